"""Every pinned dependency of a repo, from every lockfile the pins check reads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

# requirements*.txt anywhere, and any .txt in a folder named requirements (pip-tools'
# layout: requirements/base.txt, requirements/dev.txt); the same for their .in sources.
LOCKFILE_PATTERN = re.compile(r"(^|/)requirements[^/]*\.txt$|(^|/)requirements/[^/]+\.txt$"
                              r"|(^|/)uv\.lock$|(^|/)pylock(\.[^/]+)?\.toml$")
# Lockfiles in TOML: uv's, and the standard one of PEP 751.
TOML_LOCKFILE = re.compile(r"(^|/)uv\.lock$|(^|/)pylock(\.[^/]+)?\.toml$")
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
        if TOML_LOCKFILE.search(lockfile):
            try:
                packages = toml_lock_packages(text)
            except ValueError as exc:
                notes.append(f"{lockfile}: not valid TOML ({exc})")
                continue
            pinned += [PinnedPackage(canonical_name(package.name), package.version, lockfile,
                                     package.line)
                       for package in packages if package.version and package.from_index]
            continue
        for number, line in logical_lines(text):
            match = PIN_LINE.match(line)
            if match:
                pinned.append(PinnedPackage(canonical_name(match.group(1)), match.group(3),
                                            lockfile, number))
    return pinned, notes


class LockedPackage(NamedTuple):
    """One package of a TOML lockfile (uv.lock, pylock.toml)."""

    name: str
    version: str
    line: int
    hashes: int  # how many artifact hashes it lists
    from_index: bool  # False for the project itself, local folders and editable installs
    vcs_commit: bool  # a git source pinned to a full commit


def toml_lock_packages(text: str) -> list[LockedPackage]:
    """The packages of a uv.lock (``[[package]]``) or a PEP 751 pylock.toml
    (``[[packages]]``), each with the line its table starts on."""
    from scaffold import tomlio

    data = tomlio.load(text)  # tomllib's TOMLDecodeError is a ValueError
    tables = data.get("package") or data.get("packages") or []
    if not isinstance(tables, list):
        return []
    starts = [number for number, line in enumerate(text.splitlines(), 1)
              if line.strip() in ("[[package]]", "[[packages]]")]
    found = []
    for index, table in enumerate(tables):
        if not isinstance(table, dict):
            continue
        raw_source = table.get("source")
        source: dict[str, object] = raw_source if isinstance(raw_source, dict) else {}
        local = any(key in source for key in ("editable", "virtual", "directory", "path")) or \
            any(key in table for key in ("directory",))
        raw_vcs = table.get("vcs")
        vcs: dict[str, object] = raw_vcs if isinstance(raw_vcs, dict) else {}
        git = str(source.get("git", ""))
        commit = bool(re.search(r"[#@][0-9a-f]{40}$", git)) or bool(
            re.fullmatch(r"[0-9a-f]{40}", str(vcs.get("commit-id", ""))))
        artifacts = []
        for key in ("sdist", "archive"):
            if isinstance(table.get(key), dict):
                artifacts.append(table[key])
        wheels = table.get("wheels")
        if isinstance(wheels, list):
            artifacts += [wheel for wheel in wheels if isinstance(wheel, dict)]
        hashes = sum(1 for artifact in artifacts if artifact.get("hash") or artifact.get("hashes"))
        found.append(LockedPackage(
            str(table.get("name", "")), str(table.get("version", "")),
            starts[index] if index < len(starts) else 1, hashes,
            not local and not vcs and not git, commit))
    return found


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
    from scaffold import tomlio

    try:
        data = tomlio.load(text)
    except ValueError:  # tomllib's TOMLDecodeError
        return set()
    approved = data.get("tool", {}).get("microgate", {}).get("dependencies", {}).get(
        "approved", [])
    return {canonical_name(str(name)) for name in approved} if isinstance(approved, list) \
        else set()


VIA_LINE = re.compile(r"^\s*#\s+(?:via\s+)?(?P<via>-r\s+\S+|[A-Za-z0-9][A-Za-z0-9._-]*)\s*$")


class Origins:
    """Where the owner decides on a locked package, in plain words for a message: "it is
    in requirements.in line 3", or "flask in requirements.in line 2 needs it" (followed
    through pip-compile's ``# via`` notes to what the .in file lists); "" when the
    lockfile does not say. Each lockfile and .in file is read once."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self._parents: dict[str, dict[str, list[str]]] = {}
        self._lines: dict[str, dict[str, int]] = {}

    def _text(self, relative: str) -> str:
        from scaffold.safefiles import SkippedFile, read_text

        try:
            return read_text(self.repo, relative, max_bytes=MAX_LOCKFILE_BYTES)
        except (OSError, SkippedFile):
            return ""

    def _source_line(self, source: str, name: str) -> int | None:
        if source not in self._lines:
            lines: dict[str, int] = {}
            for number, line in enumerate(self._text(source).splitlines(), start=1):
                match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
                if match:
                    lines.setdefault(canonical_name(match.group(1)), number)
            self._lines[source] = lines
        return self._lines[source].get(name)

    def _parents_in(self, lockfile: str) -> dict[str, list[str]]:
        if lockfile not in self._parents:
            parents: dict[str, list[str]] = {}
            current = ""
            for line in self._text(lockfile).splitlines():
                pin = PIN_LINE.match(line)
                if pin:
                    current = canonical_name(pin.group(1))
                    continue
                via = VIA_LINE.match(line)
                if via and current and via.group("via") != "via":
                    parents.setdefault(current, []).append(via.group("via"))
            self._parents[lockfile] = parents
        return self._parents[lockfile]

    def of(self, lockfile: str, name: str) -> str:
        def phrase(top: str, source: str) -> str:
            line = self._source_line(source, top)
            where = f"{source} line {line}" if line else source
            return f"it is in {where}" if top == name else f"{top} in {where} needs it"

        parents = self._parents_in(lockfile)
        seen = {name}
        step = name
        while True:
            found = parents.get(step, [])
            listed = next((v.split()[-1] for v in found if v.startswith("-r")), None)
            if listed:
                return phrase(step, listed)
            following = next((canonical_name(v) for v in found
                              if canonical_name(v) not in seen), None)
            if following is None:
                source = re.sub(r"\.txt$", ".in", lockfile)
                return phrase(step, source) if step == name and \
                    self._source_line(source, name) else ""
            seen.add(following)
            step = following
