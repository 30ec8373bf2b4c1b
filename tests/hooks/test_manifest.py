"""microgate-manifest on a generated repo's microapp.yaml."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from hooks.manifest import main


@pytest.fixture
def repo(make_app: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    path: Path = make_app(git=False)
    monkeypatch.chdir(path)
    return path


def set_line(repo: Path, key: str, value: str) -> None:
    manifest = repo / "microapp.yaml"
    lines = [f"{key}: {value}" if line.startswith(f"{key}:") else line
             for line in manifest.read_text().splitlines()]
    manifest.write_text("\n".join(lines) + "\n")


CHANGED = ["microapp.yaml"]  # what pre-commit passes when the commit touches the manifest


def test_valid_manifest_passes(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(CHANGED) == 0
    assert capsys.readouterr().out == ""


def test_runs_even_when_the_commit_does_not_touch_it(repo: Path) -> None:
    set_line(repo, "expires", "2020-01-01")
    assert main(["app/core.py"]) == 1


def test_expiry_warns_then_fails(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    soon = dt.date.today() + dt.timedelta(days=10)
    set_line(repo, "expires", soon.isoformat())
    assert main([]) == 0
    assert "warning: expires: the app expires in 10 days" in capsys.readouterr().out
    set_line(repo, "expires", (dt.date.today() - dt.timedelta(days=1)).isoformat())
    assert main([]) == 1
    assert "error: expires: the app expired on" in capsys.readouterr().out


def test_tier_rules_come_from_policy(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    set_line(repo, "monthly_budget_usd", "9000")
    assert main(CHANGED) == 1
    out = capsys.readouterr().out
    assert "microapp.yaml:" in out and "over the tier 1 (team) cap of $500" in out


@pytest.mark.parametrize(("content", "needle"), [
    (b"name: [broken", "this is not valid YAML"),
    (b"\x00\x01\x02binary", "binary file"),
    (b"name: caf\xe9\n", "not UTF-8"),
    (b"- a\n- b\n", "must be a mapping"),
])
def test_unreadable_manifests(repo: Path, capsys: pytest.CaptureFixture[str], content: bytes,
                              needle: str) -> None:
    (repo / "microapp.yaml").write_bytes(content)
    assert main(CHANGED) == 1
    out = capsys.readouterr().out
    assert needle in out and "Traceback" not in out


def test_missing_manifest(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "microapp.yaml").unlink()
    assert main([]) == 1
    assert "there is no microapp.yaml" in capsys.readouterr().out


def test_an_unchanged_manifest_is_checked_for_expiry_only(repo: Path,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    set_line(repo, "monthly_budget_usd", "9000")  # as if committed earlier with --no-verify
    assert main(["app/core.py"]) == 0
    assert main(CHANGED) == 1
    assert main(["--all-files"]) == 1
    set_line(repo, "expires", "2020-01-01")
    assert main(["app/core.py"]) == 1
    assert "microapp.yaml:" in capsys.readouterr().out
