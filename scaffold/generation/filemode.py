"""copier's question to git about executable bits, asked once per folder and copier call.

After rendering each file, copier (9.19) asks git for the destination's
``core.fileMode`` to learn whether it must write the file's executable bit into git's
index itself (where git ignores the bits on disk): a git process per file, ~40 for a new
app and more for an update (it renders the template three times): ~0.08 s of the
~0.5 s of CPU a ``microgate new`` takes. The answer cannot change while copier renders, so it is
asked once per destination folder (again once the folder has become a git repo). Where
it is not ``false`` (the default on Linux and macOS) copier's step does nothing and is
skipped; where it is, copier's own step runs as before.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _file_mode_off(folder: Path) -> bool:
    """Whether git ignores the executable bits on disk in ``folder``."""
    try:
        result = subprocess.run(["git", "config", "--type=bool", "--get", "core.fileMode"],
                                cwd=folder, capture_output=True, text=True, timeout=30,
                                check=False)
    except (OSError, subprocess.SubprocessError):
        return True  # not known: copier's own step decides
    return result.returncode == 0 and result.stdout.strip() == "false"


@contextmanager
def file_mode_asked_once() -> Iterator[None]:
    """Within the block, copier asks git for ``core.fileMode`` once per folder."""
    try:
        from copier._main import Worker
    except ImportError:
        yield
        return
    original: Any = getattr(Worker, "_sync_git_index_executable_bit", None)
    if original is None:  # another copier: its own way
        yield
        return
    answers: dict[tuple[Path, bool], bool] = {}

    def sync(self: Any, dst_relpath: Path, src_mode: int) -> None:
        folder = Path(self.subproject.local_abspath)
        key = (folder, (folder / ".git").exists())
        if key not in answers:
            answers[key] = _file_mode_off(folder)
        if answers[key]:
            original(self, dst_relpath, src_mode)

    Worker._sync_git_index_executable_bit = sync  # type: ignore[method-assign]
    try:
        yield
    finally:
        Worker._sync_git_index_executable_bit = original  # type: ignore[method-assign]
