"""The prompts check: every prompt registered, versioned, pinned, tested by golden cases."""

from __future__ import annotations

from pathlib import Path

from scaffold.checks import CheckResult
from scaffold.prompts import PROMPTS_DIR, check_repo

ADVICE = """\
Prompts are code: each lives in prompts/<name>/v<N>.md with its model, temperature 0 and
(for structured answers) an output_schema in front matter; prompts/manifest.yaml pins the
version in use and its model; prompts/golden/<name>.jsonl holds at least one example.
A released version never changes: copy it to v<N+1>.md, edit that, then run
'microgate prompts release <name>' and 'microgate prompts eval --record'."""


def run(repo: Path, files: list[str] | None) -> CheckResult:
    if not (repo / PROMPTS_DIR).is_dir():
        return CheckResult()
    findings = check_repo(repo)
    return CheckResult(findings, [], ADVICE, 1)
