"""Lockfiles with real pip-tools: hashes, no index URLs, and a clear path when offline."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from testing.util import (
    MICROGATE,
    commit_all,
    git,
    interrupted_while_waiting_on_the_index,
    microgate,
)

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

    from scaffold.generation.lockfile import cooldown_cutoff

    (tmp_path / "microapp.yaml").write_text(f"name: app\ntier: {tier}\n")
    now = dt.datetime(2026, 12, 1, 15, 30, tzinfo=dt.UTC)
    # pip-compile gets --uploaded-prior-to this: the pins check then finds no release
    # younger than the tier waits for, whatever the index published this week.
    assert cooldown_cutoff(tmp_path, now) == f"{cutoff}T00:00:00Z"


@pytest.mark.slow
def test_the_same_requirements_are_pinned_once_and_a_change_is_pinned_afresh(
        tmp_path: Path) -> None:
    """pip-compile's answer is kept for the same inputs on the same cut-off day: a second
    app with the same requirements gets the same bytes without asking the index."""
    one, two = tmp_path / "one", tmp_path / "two"
    for app in (one, two):
        assert microgate("new", "--defaults", "--no-lock", "--set", "runtime=container",
                         str(app)).returncode == 0
        # inputs no other test of the run has (the kept answers are the run's)
        with (app / "requirements.in").open("a") as handle:
            handle.write(f"# {tmp_path.name}\n")
    first = microgate("lock", str(one), timeout=600)
    assert first.returncode == 0, first.output
    assert "kept from before" not in first.stdout
    second = microgate("lock", str(two), timeout=600)
    assert second.returncode == 0, second.output
    assert second.stdout.count("kept from before") == 2, second.stdout
    for name in ("requirements.txt", "requirements-dev.txt"):
        assert (one / name).read_bytes() == (two / name).read_bytes()
    with (two / "requirements-dev.in").open("a") as handle:
        handle.write("iniconfig>=2\n")
    third = microgate("lock", str(two), timeout=600)
    assert third.returncode == 0, third.output
    # (the lockfiles being refreshed are inputs too: pip-compile keeps their pins)
    assert "kept from before" not in third.stdout
    assert "iniconfig==" in (two / "requirements-dev.txt").read_text()
    assert (one / "requirements.txt").read_bytes() == (two / "requirements.txt").read_bytes()


def test_a_kept_answer_is_keyed_by_every_input_and_never_for_what_points_elsewhere(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from scaffold.generation.lockcache import lock_key

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "app").mkdir()
    app = tmp_path / "app"
    (app / "requirements.in").write_text("flask>=3.0\n")
    (app / "requirements-dev.in").write_text("-r requirements.in\npytest>=8\n")
    command = ["python", "-m", "piptools", "compile", "--uploaded-prior-to", "2026-12-01"]
    env = {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "XDG_CONFIG_DIRS": str(tmp_path / "etc"),
           "XDG_CONFIG_HOME": str(tmp_path / "home" / ".config")}

    def key(name: str = "requirements-dev.in", previous: bytes = b"", **changes: str) -> str | None:
        return lock_key(app, name, previous, changes.get("argv", "").split() or command,
                        {**env, **{k: v for k, v in changes.items() if k != "argv"}})

    base = key()
    assert base is not None and key() == base
    assert key(previous=b"flask==3.0.0\n") != base  # the lockfile refreshed keeps its pins
    assert key(argv="python -m piptools compile --uploaded-prior-to 2026-12-02") != base
    assert key(PIP_INDEX_URL="https://mirror.example/simple") != base
    (app / "requirements.in").write_text("flask>=3.1\n")  # an included file changed
    assert key() not in (base, None)
    # what pip's settings name: a constraints file from pip.conf
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("werkzeug<3\n")
    (tmp_path / "etc" / "pip").mkdir(parents=True)
    (tmp_path / "etc" / "pip" / "pip.conf").write_text(f"[global]\nconstraint = {constraints}\n")
    constrained = key()
    constraints.write_text("werkzeug<4\n")
    assert key() not in (constrained, None)
    # requirements that point outside the files in the key are never kept
    for line in ("-e ./lib", "-r ../shared.in", "-r /etc/passwd", "./wheels/x.whl",
                 "pkg @ https://example.com/pkg.whl", "--find-links ./wheels",
                 "git+https://example.com/x.git", "--index-url https://example.com/simple"):
        (app / "requirements-dev.in").write_text(f"-r requirements.in\n{line}\n")
        assert key() is None, line
    # nor an include reached through a link out of the repo
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "more.in").write_text("rich\n")
    (app / "shared").symlink_to(tmp_path / "elsewhere")
    (app / "requirements-dev.in").write_text("-r shared/more.in\n")
    assert key() is None


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
                         ids=["Ctrl-C", "SIGTERM"])
def test_ctrl_c_during_pip_compile_leaves_no_scratch_file_and_no_process(
        make_app: Any, signum: int, code: int) -> None:
    """Ctrl-C, or SIGTERM (a CI job cancelled, `timeout`): the same clean-up."""
    repo = make_app()
    (repo / "requirements.txt").write_text("# the lockfile so far\n")  # pip-compile's start
    commit_all(repo, "a lockfile")
    run, left = interrupted_while_waiting_on_the_index(
        [*MICROGATE, "lock"], repo, {}, watch=repo, signum=signum)
    assert run.returncode == code, run.stderr
    assert "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith("microgate: cancelled")
    assert left == []
    assert git(repo, "status", "--porcelain", "--ignored") == ""  # no scratch lockfile
    assert (repo / "requirements.txt").read_text() == "# the lockfile so far\n"


def test_a_lockfile_that_fails_leaves_the_other_as_it_was_too(make_app: Any) -> None:
    """The lockfiles take their places together: requirements.txt (nothing to pin, so it
    compiles offline) is not rewritten when requirements-dev.txt cannot be."""
    repo = make_app()
    (repo / "requirements.in").write_text("# nothing yet\n")
    for lockfile in ("requirements.txt", "requirements-dev.txt"):
        (repo / lockfile).write_text("# the lockfile so far\n")
    commit_all(repo, "lockfiles")
    result = microgate("lock", str(repo), env=NO_INDEX, timeout=300)
    assert result.returncode == 1 and "package index" in result.stderr, result.output
    assert git(repo, "status", "--porcelain", "--ignored") == ""
