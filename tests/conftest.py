from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scaffold import NewOptions, default_policy, new, to_manifest
from testing.util import answers, snapshot_checkout

TOOLS_DIR = Path(os.path.expanduser("~")) / ".cache" / "microgate-test-tools"


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the real home, git identity or pre-commit cache."""
    home = tmp_path_factory.getbasetemp() / "home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Test User")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "test@example.com")
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path_factory.getbasetemp() / "pre-commit"))
    monkeypatch.setenv("PROMPT_TOOLKIT_NO_CPR", "1")
    monkeypatch.delenv("MICROGATE_HOOKS_REPO", raising=False)
    # Tools microgate installs in environments of their own (checkov) outlive a test run.
    monkeypatch.setenv("MICROGATE_TOOLS_DIR", str(TOOLS_DIR))
    monkeypatch.delenv("MICROGATE_HOOKS_REV", raising=False)


@pytest.fixture(scope="session")
def hooks_snapshot(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This checkout as a git repo pre-commit can install hooks from: (path, rev)."""
    return snapshot_checkout(tmp_path_factory.mktemp("microgate-hooks"))


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Any]:
    def factory(dest: Path | None = None, *, lock: bool = False, git: bool = True,
                hooks: tuple[Path, str] | None = None, **overrides: Any) -> Path:
        manifest = to_manifest(answers(**overrides), default_policy())
        options = NewOptions(
            dest=dest or tmp_path / manifest.name, lock=lock, git=git,
            install_hooks=False,
            hooks_repo=str(hooks[0]) if hooks else None,
            hooks_rev=hooks[1] if hooks else None,
        )
        return new(manifest, options).path

    yield factory


@pytest.fixture(scope="session", autouse=True)
def _no_stray_env() -> None:
    os.environ.pop("MICROGATE_LLM_BASE_URL", None)
