"""Lockfiles with real pip-tools: hashes, no index URLs, and a clear path when offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.util import microgate

NO_INDEX = {
    # a closed port on this machine: the index "cannot be reached", at once
    "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
    "PIP_EXTRA_INDEX_URL": "",
    "PIP_FIND_LINKS": "",
    "PIP_CONFIG_FILE": "/dev/null",
    "MICROGATE_INDEX_URL": "http://127.0.0.1:9/simple",
}


def test_offline_new_still_makes_the_repo_and_says_how_to_finish(tmp_path: Path) -> None:
    result = microgate("new", "--defaults", str(tmp_path / "app"), env=NO_INDEX, timeout=300)
    assert result.returncode == 0, result.output
    assert "could not reach the package index" in result.stdout
    assert "run 'microgate lock'" in result.stdout
    app = tmp_path / "app"
    assert (app / "microapp.yaml").is_file() and (app / "requirements.in").is_file()
    assert not (app / "requirements.txt").exists()
    assert not list(app.glob(".requirements*.microgate-tmp"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app"]  # no scratch left behind
    offline_lock = microgate("lock", str(app), env=NO_INDEX, timeout=300)
    assert offline_lock.returncode == 1
    assert offline_lock.stderr.count("\n") == 1 and "package index" in offline_lock.stderr


@pytest.mark.slow
def test_lock_pins_with_hashes_and_writes_no_index_urls(tmp_path: Path) -> None:
    assert microgate("new", "--defaults", "--no-lock", "--set", "runtime=container",
                     str(tmp_path / "app")).returncode == 0
    app = tmp_path / "app"
    result = microgate("lock", str(app), timeout=600)
    assert result.returncode == 0, result.output
    for name in ("requirements.txt", "requirements-dev.txt"):
        text = (app / name).read_text()
        assert "flask==" in text and "--hash=sha256:" in text
        for option in ("--index-url", "--extra-index-url", "--find-links", "file://"):
            assert option not in text, (name, option)
    assert "pytest==" in (app / "requirements-dev.txt").read_text()
    licenses = (app / ".microgate" / "licenses.json").read_text()
    assert '"flask==' in licenses


def test_new_installs_the_git_hook(tmp_path: Path) -> None:
    result = microgate("new", "--defaults", "--no-lock", str(tmp_path / "app"))
    assert result.returncode == 0, result.output
    hook = tmp_path / "app" / ".git" / "hooks" / "pre-commit"
    assert hook.is_file() and "pre-commit" in hook.read_text()
    skipped = microgate("new", "--defaults", "--no-lock", "--no-install-hooks",
                        str(tmp_path / "other"))
    assert skipped.returncode == 0
    assert not (tmp_path / "other" / ".git" / "hooks" / "pre-commit").exists()


@pytest.mark.parametrize(("tier", "cutoff"), [(0, "2026-11-24"), (1, "2026-11-24"),
                                               (2, "2026-11-17")])
def test_the_lockfile_is_made_from_releases_past_the_tiers_cooldown(
        tmp_path: Path, tier: int, cutoff: str) -> None:
    import datetime as dt

    from scaffold.lockfile import cooldown_cutoff

    (tmp_path / "microapp.yaml").write_text(f"name: app\ntier: {tier}\n")
    now = dt.datetime(2026, 12, 1, 15, 30, tzinfo=dt.UTC)
    # pip-compile gets --uploaded-prior-to this: the pins check then finds no release
    # younger than the tier waits for, whatever the index published this week.
    assert cooldown_cutoff(tmp_path, now) == f"{cutoff}T00:00:00Z"
