"""microgate doctor on generated apps: what the app pins is reachable and pinned, or the
line says how to fix it; no probe hangs."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from testing.util import git, microgate


def test_a_fresh_app_pins_what_this_machine_reaches(make_app: Any, tmp_path: Path,
                                                    monkeypatch: Any) -> None:
    monkeypatch.setenv("MICROGATE_TEMPLATE_STORE", str(tmp_path / "store"))
    repo = make_app(runtime="serverless")
    result = microgate("doctor", str(repo))
    lines = result.stdout.splitlines()
    assert re.match(r"ok  hooks: .+ at [0-9a-f]{40}: reachable and pinned", lines[0]), lines
    assert lines[1] == f"ok  template: {tmp_path / 'store'} at v" + \
        lines[1].split(" at v")[1] and lines[1].endswith("reachable, updates can merge")
    # made without pinned dependencies here: the one thing to fix, and how
    assert "FIX dependencies: no requirements*.txt lockfile" in result.stdout
    assert "fix: run 'microgate lock'" in result.stdout
    assert result.returncode == 1


def test_an_unreachable_or_unpinned_hook_repository_is_explained(make_app: Any,
                                                                 tmp_path: Path) -> None:
    repo = make_app(runtime="serverless", git=False)
    config = repo / ".pre-commit-config.yaml"
    original = config.read_text()
    # the public address this project does not have, as the first apps pinned it
    config.write_text(re.sub(r"repo: .*\n    rev: .*\n",
                             "repo: https://github.com/microgate-dev/microgate\n"
                             "    rev: v0.1.0\n", original, count=1))
    start = time.monotonic()
    result = microgate("doctor", str(repo))
    assert time.monotonic() - start < 60
    assert result.returncode == 1
    assert "FIX hooks: https://github.com/microgate-dev/microgate at v0.1.0: not reachable" \
        in result.stdout
    assert "set hooks.repo and hooks.rev in the platform's policies/platform.yaml" in \
        result.stdout
    # a reachable repository at a branch: reachable but not pinned
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    git(hooks, "init", "--quiet", "--initial-branch", "main")
    git(hooks, "commit", "--quiet", "--allow-empty", "-m", "hooks")
    config.write_text(re.sub(r"repo: .*\n    rev: .*\n", f"repo: {hooks}\n    rev: main\n",
                             original, count=1))
    result = microgate("doctor", str(repo))
    assert f"FIX hooks: {hooks} at main: a branch, not a pinned release or commit" in \
        result.stdout


def test_doctor_outside_an_app_is_one_clear_line(tmp_path: Path) -> None:
    result = microgate("doctor", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip() == f"microgate: {tmp_path}: no microapp.yaml here; run it " \
        "in an app's folder"


def test_the_platforms_settings_decide_what_a_new_app_pins(tmp_path: Path) -> None:
    hooks = tmp_path / "platform-hooks"
    hooks.mkdir()
    git(hooks, "init", "--quiet")
    git(hooks, "commit", "--quiet", "--allow-empty", "-m", "the platform's hook release")
    rev = git(hooks, "rev-parse", "HEAD").strip()
    settings = tmp_path / "platform.yaml"
    settings.write_text(f"hooks:\n  repo: {hooks}\n  rev: {rev}\n")
    env = {"MICROGATE_PLATFORM_SETTINGS": str(settings),
           "MICROGATE_TEMPLATE_STORE": str(tmp_path / "store")}
    made = microgate("new", "--defaults", "--no-lock", "--no-install-hooks",
                     str(tmp_path / "app"), env=env)
    assert made.returncode == 0, made.output
    config = (tmp_path / "app" / ".pre-commit-config.yaml").read_text()
    assert f"  - repo: {hooks}\n    rev: {rev}\n" in config
    doctor = microgate("doctor", str(tmp_path / "app"), env=env).stdout
    assert doctor.startswith(f"ok  hooks: {hooks} at {rev}: reachable and pinned (a folder "
                             "on this machine: for CI and other machines")
    missing = microgate("new", "--defaults", str(tmp_path / "other"),
                        env={"MICROGATE_PLATFORM_SETTINGS": str(tmp_path / "none.yaml")})
    assert missing.returncode != 0 and "none.yaml: no such file" in missing.stderr
