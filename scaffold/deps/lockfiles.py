"""Every pinned dependency of a repo, from every lockfile the pins check reads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

# requirements*.txt anywhere, and any .txt in a folder named requirements (pip-tools'
# layout: requirements/base.txt, requirements/dev.txt); the same for their .in sources.
LOCKFILE_PATTERN = re.compile(r"(^|/)requirements[^/]*\.txt$|(^|/)requirements/[^/]+\.txt$")
SOURCE_PATTERN = re.compile(r"(^|/)requirements[^/]*\.in$|(^|/)requirements/[^/]+\.in$")
PIN_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;\\]+)")
MAX_LOCKFILE_BYTES = 5_000_000


class PinnedPackage(NamedTuple):
    name: str  # PEP 503 normalised
    version: str
    lockfile: str
    line: int


def canonical_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lockfiles(repo: Path, files: list[str] | None = None) -> list[str]:
    """The repo's lockfiles (``files``: only those of them)."""
    if files is None:
        from scaffold.gitops import repo_files

        files = repo_files(repo)
    return sorted(name for name in files if LOCKFILE_PATTERN.search(name))


def read_pinned(repo: Path, names: list[str]) -> tuple[list[PinnedPackage], list[str]]:
    """The ``name==version`` pins of each lockfile, and a note for each unreadable one."""
    from scaffold.checks.pins import logical_lines
    from scaffold.safefiles import SkippedFile, read_text

    pinned: list[PinnedPackage] = []
    notes: list[str] = []
    for lockfile in names:
        try:
            text = read_text(repo, lockfile, max_bytes=MAX_LOCKFILE_BYTES)
        except FileNotFoundError:
            continue
        except SkippedFile as exc:
            notes.append(str(exc))
            continue
        for number, line in logical_lines(text):
            match = PIN_LINE.match(line)
            if match:
                pinned.append(PinnedPackage(canonical_name(match.group(1)), match.group(3),
                                            lockfile, number))
    return pinned, notes


def app_tier(repo: Path) -> int:
    """The tier in microapp.yaml, read cheaply (the manifest check validates it); 1 when
    there is none to read."""
    from scaffold.safefiles import SkippedFile, read_text

    try:
        match = re.search(r"^tier:\s*([0-2])\s*(#.*)?$",
                          read_text(repo, "microapp.yaml", max_bytes=1_000_000), re.M)
    except (OSError, SkippedFile):
        return 1
    return int(match.group(1)) if match else 1


def approved_packages(repo: Path) -> set[str]:
    """``[tool.microgate.dependencies] approved`` in the repo's pyproject.toml."""
    from scaffold.safefiles import SkippedFile, read_text

    try:
        text = read_text(repo, "pyproject.toml", max_bytes=1_000_000)
    except (OSError, SkippedFile):
        return set()
    if "microgate" not in text or "approved" not in text:
        return set()
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return set()
    approved = data.get("tool", {}).get("microgate", {}).get("dependencies", {}).get(
        "approved", [])
    return {canonical_name(str(name)) for name in approved} if isinstance(approved, list) \
        else set()
