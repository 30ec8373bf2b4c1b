"""pip-compile's answers, kept by everything they depend on.

pip-compile takes 5 to 20 s and the package index; microgate asks it only for releases
uploaded before a cutoff day (the tier's cool-down, scaffold/generation/lockfile.py), so the same
inputs give the same lockfile all that day: a second app with the same requirements, or
`microgate lock` run again, is answered from the user's cache in milliseconds, offline.

The key is a SHA-256 (scaffold/parsecache.py) of: pip-compile's arguments (the cutoff, the
index, the packages to upgrade), the requirement files (the ``.in`` and every file it
includes with ``-r``/``-c``), the lockfile being refreshed (pip-compile keeps its pins),
the Python, pip and pip-tools that resolve (environment markers, resolver), pip's
settings (``PIP_*`` and every pip.conf) and every file or folder they name (constraints,
find-links). A requirement file that points anywhere else (``-e``, a local path, a URL,
other options) is not kept: what it names is not in the key. Errors are never kept.
"""

from __future__ import annotations

import configparser
import functools
import os
import sys
from pathlib import Path

KIND = "pip-compile"
INCLUDES = ("-r", "--requirement", "-c", "--constraint")
MAX_INCLUDED_FILES = 20
MAX_REQUIREMENTS_BYTES = 1_000_000


class _Uncacheable(Exception):
    pass


def lock_key(repo: Path, source_name: str, previous: bytes, command: list[str],
             env: dict[str, str]) -> str | None:
    """The key of pip-compile's answer for ``source_name`` in ``repo``, or None."""
    from scaffold import parsecache

    try:
        parts = [repr(command[1:]).encode(), _resolver(), b"previous", previous]
        for name in _requirement_files(repo, source_name):
            parts += [b"file " + name.encode(), (repo / name).read_bytes()]
        parts += _pip_settings(env)
    except (_Uncacheable, OSError, ValueError, configparser.Error):
        return None
    return parsecache.entry_key(KIND, b"\0".join(parts))


def kept_lock(key: str | None) -> str | None:
    from scaffold import parsecache

    if key is None:
        return None
    _, text = parsecache.lookup(KIND, key)
    return text if isinstance(text, str) and text else None


def keep_lock(key: str | None, text: str) -> None:
    from scaffold import parsecache

    if key is not None and text:
        parsecache.store(KIND, key, text)


@functools.cache
def _resolver() -> bytes:
    import importlib.metadata
    import platform

    return repr((sys.version, sys.platform, platform.machine(), sys.implementation.name,
                 importlib.metadata.version("pip-tools"), importlib.metadata.version("pip"))
                ).encode()


def _requirement_files(repo: Path, source_name: str) -> list[str]:
    """The requirement file and those it includes, as names inside ``repo``."""
    seen: list[str] = []
    pending = [source_name]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        path = repo / name
        if len(seen) >= MAX_INCLUDED_FILES or name.startswith(("/", "~")) or \
                ".." in Path(name).parts or path.is_symlink() or not path.is_file() or \
                not path.resolve().is_relative_to(repo.resolve()) or \
                path.stat().st_size > MAX_REQUIREMENTS_BYTES:
            raise _Uncacheable(name)
        seen.append(name)
        folder = Path(name).parent
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split(" #", 1)[0].strip()
            if not line or line.startswith("#"):
                continue
            if line.endswith("\\") or "://" in line or "@" in line or "file:" in line or \
                    line.startswith((".", "/", "~")):
                raise _Uncacheable(line)
            if line.startswith("-"):
                option, _, value = line.replace("=", " ", 1).partition(" ")
                if option not in INCLUDES or not value.strip():
                    raise _Uncacheable(option)
                pending.append((folder / value.strip()).as_posix())
    return sorted(seen)


def _pip_config_files(env: dict[str, str]) -> list[Path]:
    home = Path(os.path.expanduser("~"))
    config_home = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    config_dirs = (env.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(os.pathsep)
    files = [Path(folder) / "pip" / "pip.conf" for folder in config_dirs if folder]
    files += [Path("/etc/pip.conf"), config_home / "pip" / "pip.conf", home / ".pip" / "pip.conf",
              Path(sys.prefix) / "pip.conf"]
    if env.get("PIP_CONFIG_FILE"):
        files.append(Path(env["PIP_CONFIG_FILE"]))
    return files


def _pip_settings(env: dict[str, str]) -> list[bytes]:
    """pip's settings and what they name: a constraints file or a find-links folder
    changes the answer as surely as the requirements do."""
    parts: list[bytes] = []
    values: list[str] = []
    for name, value in sorted(env.items()):
        # pip-tools' cache of package metadata by release is not an input to the answer
        if name.startswith("PIP_") and name != "PIP_TOOLS_CACHE_DIR":
            parts.append(f"env {name}={value}".encode())
            values.append(value)
    for config in _pip_config_files(env):
        if config.is_file():
            text = config.read_text(encoding="utf-8", errors="replace")
            parts += [f"config {config}".encode(), text.encode()]
            parser = configparser.RawConfigParser()
            parser.read_string(text)
            values += [value for section in parser.sections()
                       for _, value in parser.items(section)]
    for value in values:
        for token in value.split():
            parts += _named(token)
    return parts


def _named(token: str) -> list[bytes]:
    path = Path(token.removeprefix("file://"))
    if not path.is_absolute() or not path.exists():
        return []
    if path.is_file():
        return [f"named {path}".encode(), path.read_bytes()]
    listing = []
    for entry in sorted(os.scandir(path), key=lambda e: e.name):
        stat = entry.stat()
        listing.append(f"{entry.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return [f"named {path}".encode(), "\n".join(listing).encode()]
