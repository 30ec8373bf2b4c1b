"""`microgate secrets scan` and `microgate secrets rules --list`, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testing.fakes import secret_line, secret_value
from testing.util import microgate


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "settings.py").write_text(
        "import os\n" + secret_line("github-classic") + "\n" + secret_line("aws") + "\n")
    (tmp_path / "README.md").write_text("export API_KEY=your_api_key_here\n")
    return tmp_path


def _assert_no_secret(output: str) -> None:
    for name in ("github-classic", "aws"):
        assert secret_value(name) not in output
        assert secret_value(name)[6:18] not in output


def test_text_report(folder: Path) -> None:
    result = microgate("secrets", "scan", str(folder), "--all-files")
    assert result.returncode == 1, result.output
    assert "app/settings.py:2: GitHub token (redacted) [github-token]" in result.stdout
    assert "app/settings.py:3: AWS access key id (redacted) [aws-access-key-id]" in result.stdout
    assert "README.md" not in result.stdout
    _assert_no_secret(result.output)


def test_json_and_gitleaks_reports(folder: Path) -> None:
    report = microgate("secrets", "scan", str(folder), "--all-files", "--format", "json")
    findings = json.loads(report.stdout)["findings"]
    assert {(f["path"], f["line"], f["rule"]) for f in findings} == {
        ("app/settings.py", 2, "github-token"), ("app/settings.py", 3, "aws-access-key-id")}
    _assert_no_secret(report.output)
    gitleaks = microgate("secrets", "scan", str(folder), "--all-files", "--format", "gitleaks")
    entries = json.loads(gitleaks.stdout)
    assert {e["RuleID"] for e in entries} == {"github-token", "aws-access-key-id"}
    assert {e["Secret"] for e in entries} == {"[redacted]"}
    _assert_no_secret(gitleaks.output)


def test_sarif_report_for_code_scanning(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "secrets.sarif"
    result = microgate("secrets", "scan", str(folder), "--all-files", "--format", "sarif",
                       "--output", str(out))
    assert result.returncode == 1
    log = json.loads(out.read_text())
    run = log["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert set(rules) == {"github-token", "aws-access-key-id"}
    assert "external/cwe/cwe-798" in rules["github-token"]["properties"]["tags"]
    fingerprints = {r["partialFingerprints"]["secretHash/v1"] for r in run["results"]}
    assert len(fingerprints) == 2
    _assert_no_secret(out.read_text())


def test_scan_of_a_git_repo_skips_ignored_files_and_a_missing_path_is_one_line(
        folder: Path) -> None:
    import subprocess

    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    (folder / ".gitignore").write_text("app/\n")
    assert microgate("secrets", "scan", str(folder)).stdout.strip() == "0 secrets found"
    assert microgate("secrets", "scan", str(folder), "--all-files").returncode == 1
    missing = microgate("secrets", "scan", str(folder / "nope"))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
    assert "no such file or folder" in missing.stderr


def test_rules_list() -> None:
    result = microgate("secrets", "rules", "--list")
    assert result.returncode == 0
    ids = {line.split()[0] for line in result.stdout.splitlines()[1:-1]}
    assert {"openai-api-key", "anthropic-api-key", "aws-access-key-id", "generic-credential",
            "slack-webhook", "private-key"} <= ids
    assert "rules on, 0 disabled" in result.stdout
