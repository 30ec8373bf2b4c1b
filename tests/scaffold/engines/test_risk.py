"""microgate risk: score, decision and explanation from the manifest and the findings."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

from scaffold.checks import CheckResult
from scaffold.engines.risk import risk_policy, score
from scaffold.findings import Finding
from scaffold.manifest import read_manifest
from testing.fakes import secret_line
from testing.util import microgate

SOON = (dt.date.today() + dt.timedelta(days=60)).isoformat()


def manifest_of(repo: Path) -> Any:
    loaded = read_manifest(repo / "microapp.yaml")
    assert loaded.manifest is not None
    return loaded.manifest


def test_a_small_clean_app_is_promoted(make_app: Any) -> None:
    repo = make_app(tier=0, connectors=[], monthly_budget_usd=20, expires=SOON, lock=True)
    result = microgate("risk", "--format", "json", "--repo", str(repo))
    assert result.returncode == 0, result.output
    data = json.loads(result.stdout)
    assert data["decision"] == "auto-promote" and data["score"] < 30


def test_sensitive_data_and_write_access_need_approval(make_app: Any) -> None:
    repo = make_app(tier=1, data_sensitivity="confidential",
                    connectors=[{"name": "crm", "kind": "api", "access": "write"}], lock=True)
    result = microgate("risk", "--repo", str(repo))
    assert result.returncode == 0
    assert "needs-approval" in result.stdout
    assert "confidential data (+20)" in result.stdout and "writes to crm (+10)" in result.stdout
    strict = microgate("risk", "--fail-on", "needs-approval", "--repo", str(repo))
    assert strict.returncode == 1


def test_a_secret_blocks_whatever_the_score(make_app: Any) -> None:
    repo = make_app(tier=0, connectors=[], monthly_budget_usd=20, expires=SOON, lock=True)
    (repo / "app" / "keys.py").write_text(secret_line("openai") + "\n")
    result = microgate("risk", "--repo", str(repo))
    assert result.returncode == 1
    assert "blocked" in result.stdout and "Blocked whatever the score by: secrets" in \
        result.stdout


def test_findings_from_a_check_report(make_app: Any, tmp_path: Path) -> None:
    repo = make_app(lock=True)
    (repo / "app" / "calc.py").write_text("def run(x):\n    return eval(x)\n")
    report = tmp_path / "report.json"
    microgate("check", "--all-files", "--format", "json", "--output", str(report),
              "--repo", str(repo))
    result = microgate("risk", "--findings", str(report), "--format", "json",
                       "--repo", str(repo))
    data = json.loads(result.stdout)
    reasons = [d["reason"] for d in data["drivers"]]
    assert any(r.startswith("sast: 1 error") for r in reasons)
    assert any(r.startswith("test-presence: ") for r in reasons)


def test_weights_and_thresholds_come_from_the_policy(make_app: Any) -> None:
    manifest = manifest_of(make_app(tier=1, git=False))
    policy = copy.deepcopy(risk_policy())
    assert score(manifest, {}, policy).decision == "auto-promote"
    policy["manifest"]["tier"][1] = 80
    assert score(manifest, {}, policy).decision == "blocked"
    policy["manifest"]["tier"][1] = 10
    results = {"sast": CheckResult([Finding("a.py", 1, "sast", "eval-exec", "m", "error")])}
    assert score(manifest, results, policy).score == score(manifest, {}, policy).score + 22.5


def test_a_bad_findings_file_is_one_line(make_app: Any, tmp_path: Path) -> None:
    repo = make_app(git=False)
    bad = tmp_path / "report.json"
    bad.write_text("{not json")
    result = microgate("risk", "--findings", str(bad), "--repo", str(repo))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "not a 'microgate check --format json'" in \
        result.stderr
