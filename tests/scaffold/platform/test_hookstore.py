"""An installed (wheel) microgate pins its own hook suite, kept as a git store."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
PINNED_VALUES = """
from scaffold.policy import default_policy
from scaffold.generation.render import policy_values
values = policy_values(0, default_policy())
print(values["hooks_repo"], values["hooks_rev"])
"""


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """microgate's wheel, built from this checkout and unpacked as an install would."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w",
                    str(out), str(REPO_ROOT)], check=True, timeout=600)
    site = out / "site"
    with zipfile.ZipFile(next(out.glob("microgate-*.whl"))) as wheel:
        wheel.extractall(site)
    return site


def _pinned(site: Path, store: Path) -> tuple[str, str]:
    env = {**os.environ, "PYTHONPATH": str(site), "MICROGATE_HOOK_STORE": str(store)}
    result = subprocess.run([sys.executable, "-c", PINNED_VALUES], env=env, cwd=site.parent,
                            capture_output=True, text=True, timeout=120, check=True)
    repo, rev = result.stdout.split()
    return repo, rev


def _git(store: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=store, capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.mark.slow
def test_an_installed_microgate_pins_its_own_hooks_and_pre_commit_runs_them(
        installed_wheel: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    repo, rev = _pinned(installed_wheel, store)
    assert repo == str(store)
    assert len(rev) == 40 and _git(store, "rev-parse", "HEAD") == rev
    assert _git(store, "tag", "--points-at", rev) == "v0.1.0"
    # Asked again, the same release is pinned: no new commit.
    assert _pinned(installed_wheel, store) == (repo, rev)
    assert _git(store, "rev-list", "--count", "--all") == "1"

    app = tmp_path / "app"
    app.mkdir()
    _git(app, "init", "--quiet")
    (app / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo}\n    rev: {rev}\n    hooks:\n      - id: microgate-pins\n",
        encoding="utf-8")
    (app / "requirements.txt").write_text("requests\n", encoding="utf-8")
    _git(app, "add", "--all")
    result = subprocess.run(["pre-commit", "run", "--all-files"], cwd=app,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "requirements.txt:1: error: requests is not pinned" in result.stdout


def test_a_changed_installation_is_a_new_release_and_the_old_one_stays(
        installed_wheel: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    _, first = _pinned(installed_wheel, store)
    changed = tmp_path / "site"
    subprocess.run(["cp", "-a", str(installed_wheel), str(changed)], check=True)
    policy = changed / "scaffold" / "_data" / "policies" / "tiers.yaml"
    policy.write_text(policy.read_text(encoding="utf-8") + "# a platform edit\n",
                      encoding="utf-8")
    _, second = _pinned(changed, store)
    assert second != first
    assert _git(store, "tag", "--points-at", second).startswith("v0.1.0+")
    assert "a platform edit" in _git(store, "show", f"{second}:scaffold/_data/policies/tiers.yaml")
    assert "a platform edit" not in _git(store, "show",
                                         f"{first}:scaffold/_data/policies/tiers.yaml")
