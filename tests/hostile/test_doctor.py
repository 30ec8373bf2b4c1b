"""microgate doctor reads addresses from the app's files, which a pull request may change:
none of them becomes a git option or runs a command, and no probe hangs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from testing.hostile import microgate


@pytest.mark.parametrize("address", [
    "--upload-pack=touch {marker}",
    "ext::sh -c touch% {marker}",
    "-c core.sshCommand=touch {marker} x",
])
def test_a_hostile_hook_or_template_address_runs_nothing(app: Path, tmp_path: Path,
                                                         address: str) -> None:
    marker = tmp_path / "PWNED"
    hostile = address.format(marker=marker)
    config = app / ".pre-commit-config.yaml"
    config.write_text(re.sub(r"repo: .*\n", f"repo: '{hostile}'\n", config.read_text(),
                             count=1))
    answers = app / ".copier-answers.yml"
    recorded = yaml.safe_load(answers.read_text())
    recorded["_src_path"], recorded["_commit"] = hostile, "--output=" + str(marker)
    answers.write_text(yaml.safe_dump(recorded))
    result = microgate("doctor", str(app), cwd=app, timeout=60)
    assert result.returncode == 1, result.output
    assert "FIX hooks:" in result.stdout and "FIX template:" in result.stdout
    assert "Traceback" not in result.output
    assert not marker.exists()


def test_credentials_in_an_address_are_never_shown(app: Path) -> None:
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    config = app / ".pre-commit-config.yaml"
    config.write_text(re.sub(r"repo: .*\n", f"repo: https://ana:{token}@git.invalid/hooks\n",
                             config.read_text(), count=1))
    result = microgate("doctor", str(app), cwd=app, timeout=60)
    assert result.returncode == 1
    assert token not in result.output and "ana:" not in result.output
    assert "https://***@git.invalid/hooks" in result.stdout
