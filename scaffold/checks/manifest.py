"""The manifest check: microapp.yaml exists, validates, and keeps the tier's rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from scaffold.checks import CheckResult
from scaffold.errors import MicrogateError
from scaffold.findings import Finding
from scaffold.manifest import MANIFEST_FILE, policy_problems, read_manifest
from scaffold.policy import TierPolicy, default_policy

CHECK = "manifest"


def check_manifest(
    repo: Path, policy: TierPolicy | None = None, today: dt.date | None = None
) -> list[Finding]:
    path = repo / MANIFEST_FILE
    if not path.is_file():
        return [Finding(MANIFEST_FILE, None, CHECK, "missing",
                        "there is no microapp.yaml; run 'microgate new' to create one, or "
                        "restore it from git")]
    try:
        loaded = read_manifest(path)
    except MicrogateError as exc:
        message = exc.message.split(": ", 1)[-1]
        return [Finding(MANIFEST_FILE, None, CHECK, "unreadable", message)]
    problems = list(loaded.problems)
    if loaded.manifest is not None:
        problems += policy_problems(
            loaded.manifest, policy or default_policy(), today=today, lines=loaded.lines
        )
    return [
        Finding(MANIFEST_FILE, p.line, CHECK, "policy" if loaded.manifest else "schema",
                f"{p.field}: {p.message}", p.severity)
        for p in problems
    ]


def run(repo: Path, files: list[str] | None) -> CheckResult:
    findings = check_manifest(repo)
    advice = ("Fix microapp.yaml as each line says; 'microgate manifest validate' checks it "
              "again.")
    return CheckResult(findings, [], advice, 1)
