"""The secrets check: no new secret in the files, by detect-secrets and our detectors."""

from __future__ import annotations

import os
from pathlib import Path

from scaffold.checks import CheckResult
from scaffold.engines.secrets import BASELINE_FILE, new_findings, read_baseline, scan_paths
from scaffold.findings import Finding

CHECK = "secrets"
ADVICE = """\
A secret in git stays in its history for good. For each finding above:
  1. Remove it from the file and load it at run time instead (an environment variable,
     or your platform's secret store), then revoke it and make a new one.
  2. If it is not a secret (a test value, a public id), end the line with
     `# pragma: allowlist secret`, or accept every current finding with
     `microgate secrets baseline`; both show up in review.
The secret itself is never printed here."""


def run(repo: Path, files: list[str] | None) -> CheckResult:
    if files is None:
        from scaffold.gitops import repo_files

        files = repo_files(repo)
    names = files
    names = [n for n in names if n != BASELINE_FILE]
    processes = min(os.cpu_count() or 1, 4)
    report = scan_paths(repo, names, processes=processes)
    accepted = read_baseline(repo)
    findings = [
        Finding(f.path, f.line, CHECK, "secret",
                f"{f.type} (redacted): remove it and rotate it, or mark it as not a secret")
        for f in new_findings(report, accepted)
    ]
    return CheckResult(findings, report.notes, ADVICE, report.files_scanned)
