"""scaffold/generation/filemode.py: copier asks git for core.fileMode once per folder, and
still writes an executable bit into git's index where git ignores the bits on disk.
Real copier and git."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaffold.generation import filemode
from testing.util import git


def template(folder: Path) -> Path:
    folder.mkdir()
    (folder / "copier.yml").write_text("_templates_suffix: .jinja\n")
    for name in ("run.sh", "deploy.sh", "build.sh"):
        (folder / name).write_text("#!/bin/sh\necho hello\n")
        (folder / name).chmod(0o755)
    (folder / "README.md").write_text("An app.\n")
    return folder


def tracked_repo(folder: Path, file_mode: str) -> Path:
    """A repo that tracks run.sh without its executable bit."""
    folder.mkdir()
    git(folder, "init", "--quiet")
    git(folder, "config", "core.fileMode", file_mode)
    (folder / "run.sh").write_text("#!/bin/sh\necho old\n")
    (folder / "run.sh").chmod(0o644)
    git(folder, "add", "--all")
    git(folder, "commit", "--quiet", "-m", "first")
    return folder


def index_mode(repo: Path, name: str) -> str:
    return git(repo, "ls-files", "--stage", "--", name).split()[0]


@pytest.mark.parametrize(("file_mode", "expected"), [("false", "100755"), ("true", "100644")])
def test_the_executable_bit_reaches_the_index_only_where_git_ignores_the_disk(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, file_mode: str, expected: str) -> None:
    import copier

    asked: list[Path] = []
    real = filemode._file_mode_off
    monkeypatch.setattr(filemode, "_file_mode_off",
                        lambda folder: asked.append(folder) or real(folder))
    source = template(tmp_path / "template")
    repo = tracked_repo(tmp_path / "app", file_mode)
    with filemode.file_mode_asked_once():
        copier.run_copy(str(source), str(repo), defaults=True, overwrite=True, quiet=True)
    assert (repo / "run.sh").stat().st_mode & 0o111  # on disk, either way
    # where git ignores the disk, copier writes the bit into the index itself
    assert index_mode(repo, "run.sh") == expected
    assert [folder.resolve() for folder in asked] == [repo.resolve()]  # once, for four files
    # and copier is as it was after the block
    from copier._main import Worker

    assert Worker._sync_git_index_executable_bit.__qualname__.startswith("Worker.")
