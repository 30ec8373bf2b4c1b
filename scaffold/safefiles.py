"""Reading a repo's files as untrusted input: regular files inside the repo, bounded.

Every check reads files that a pull request controls. A file may be a symbolic link to
``/etc/shadow`` or ``/dev/zero``, a FIFO that blocks a reader for ever, or a gigabyte of
text. :func:`read_bytes` opens only regular files whose real path is inside the repo,
without blocking, and never reads more than its cap; anything else is a
:class:`SkippedFile` whose message says why, for a note.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

DEFAULT_MAX_BYTES = 10_000_000


class SkippedFile(Exception):
    """A file that is not read; the message is a note for the user."""

    def __init__(self, display: str, why: str) -> None:
        super().__init__(f"{display}: skipped ({why})")
        self.why = why


def inside(repo: Path, path: Path) -> bool:
    """Whether ``path``'s real location (links resolved) is inside ``repo``."""
    try:
        real = Path(os.path.realpath(path))
        root = Path(os.path.realpath(repo))
    except (OSError, ValueError):
        return False
    return real == root or root in real.parents


def resolve_inside(repo: Path, name: str | Path) -> Path | None:
    """``repo / name`` when it stays inside the repo, else None (absolute paths, ``..``,
    links out of it)."""
    candidate = Path(name)
    if candidate.is_absolute():
        return None
    path = repo / candidate
    return path if inside(repo, path) else None


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def read_bytes(repo: Path, name: str, *, max_bytes: int = DEFAULT_MAX_BYTES,
               display: str | None = None) -> bytes:
    """The bytes of ``repo/name``, or SkippedFile; FileNotFoundError when it is gone."""
    shown = display or name
    path = repo / name
    if path.is_symlink() and not inside(repo, path):
        raise SkippedFile(shown, "a link to somewhere outside the repo is never followed")
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise SkippedFile(shown, "a folder") from None
    except OSError as exc:
        raise SkippedFile(shown, f"cannot read it: {exc.strerror}") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise SkippedFile(shown, f"{_kind(info.st_mode)}, not a file")
        if info.st_size > max_bytes:
            raise SkippedFile(shown, f"{_size(info.st_size)} is over the {_size(max_bytes)} "
                              "limit for this check")
        chunks = []
        remaining = max_bytes + 1
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        if len(data) > max_bytes:  # it grew while we read it
            raise SkippedFile(shown, f"over the {_size(max_bytes)} limit for this check")
        return data
    except OSError as exc:
        raise SkippedFile(shown, f"cannot read it: {exc.strerror}") from None
    finally:
        os.close(descriptor)


def read_text(repo: Path, name: str, *, max_bytes: int = DEFAULT_MAX_BYTES,
              display: str | None = None) -> str:
    """UTF-8 text of ``repo/name`` (SkippedFile when it is not UTF-8)."""
    data = read_bytes(repo, name, max_bytes=max_bytes, display=display)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise SkippedFile(display or name, "not UTF-8 text") from None


def is_regular_inside(repo: Path, name: str) -> bool:
    """A regular file (not a FIFO, device or socket) whose real path is in the repo."""
    path = repo / name
    try:
        return inside(repo, path) and stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def _size(count: int) -> str:
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f} MB"
    return f"{count / 1000:.0f} kB"
