"""The hostile-input suite: what an attacker controls, tried against every entry point.

Every case runs the real command in a child process capped at 3 GiB of memory and
killed after its timeout (testing/hostile.py), so that a regression cannot hurt the
machine running the suite; each asserts what a user would see.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scaffold import NewOptions, default_policy, new, to_manifest
from testing.hostile import copy_app
from testing.util import answers, commit_all


@pytest.fixture(scope="session")
def pristine_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One generated app (serverless), committed; tests work on copies of it."""
    root = tmp_path_factory.mktemp("hostile-pristine")
    manifest = to_manifest(answers(name="hostile-app"), default_policy())
    return new(manifest, NewOptions(dest=root / "hostile-app", lock=False, git=True,
                                    commit=True, install_hooks=False)).path


@pytest.fixture
def app(pristine_app: Path, tmp_path: Path) -> Iterator[Path]:
    yield copy_app(pristine_app, tmp_path / "app")


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file outside the repo that nothing may read or print."""
    path = tmp_path / "outside-secret.txt"
    path.write_text("OUTSIDE-CONTENT-MUST-NOT-APPEAR\n", encoding="utf-8")
    return path


__all__ = ["commit_all"]
