"""The risky-code check: policies/semgrep rules on the Python files."""

from __future__ import annotations

from pathlib import Path

from scaffold.checks import CheckResult
from scaffold.engines.sast import rule_catalogue, scan
from scaffold.findings import Finding

CHECK = "sast"
ADVICE = """\
Each finding says what is risky and how to write it safely. If a finding is wrong for
this line, add `# nosemgrep: <rule id>` at its end with a comment saying why; it shows
up in review."""


def run(repo: Path, files: list[str] | None) -> CheckResult:
    if files is None:
        from scaffold.gitops import repo_files

        files = repo_files(repo)
    names = [name for name in files if name.endswith(".py")]
    report = scan(repo, names)
    findings = [
        Finding(m.path, m.line, CHECK, m.rule.removeprefix("microgate."), m.message,
                "error" if m.severity == "error" else "warning")
        for m in report.matches
    ]
    result = CheckResult(findings, report.notes, ADVICE, len(names))
    if findings:
        catalogue = rule_catalogue()
        result.rule_help = {f.rule: catalogue[f.rule] for f in findings if f.rule in catalogue}
    return result
