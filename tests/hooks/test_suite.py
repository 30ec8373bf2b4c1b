"""microgate-suite: the fast checks in one process give what the separate hooks give."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from scaffold.checks.runner import SUITE
from testing.fakes import secret_line
from testing.util import run

# A finding's message may run over several lines (the cost table): up to its [check/rule].
FINDING = re.compile(r"^\S+: (error|warning|note): .*? \[[a-z-]+/[a-z-]+\]$",
                     re.MULTILINE | re.DOTALL)


def _findings(output: str) -> set[str]:
    return {match.group(0) for match in FINDING.finditer(output)}


def test_the_suite_reports_exactly_what_the_separate_hooks_report(make_app: Any) -> None:
    repo: Path = make_app()
    (repo / "app" / "settings.py").write_text(secret_line("aws") + "\nimport leftpadx\n")
    (repo / "app" / "core.py").write_text((repo / "app" / "core.py").read_text()
                                          + "\n\ndef untested(x: int) -> int:\n    return x\n")
    (repo / "requirements.txt").write_text("flask==3.0.0\n")
    manifest = repo / "microapp.yaml"
    manifest.write_text(re.sub(r"monthly_budget_usd: \S+", "monthly_budget_usd: 0.01",
                               manifest.read_text()))
    (repo / "prompts" / "golden" / "classify-request.jsonl").unlink()
    suite = run([sys.executable, "-P", "-m", "hooks.suite", "--all-files"], cwd=repo)
    assert suite.returncode == 1
    separate: set[str] = set()
    for name in SUITE:
        module = name.replace("-", "")
        result = run([sys.executable, "-P", "-m", f"hooks.{module}", "--all-files"], cwd=repo)
        separate |= _findings(result.stdout)
    assert _findings(suite.stdout) == separate
    checks = {line.rsplit("[", 1)[1].split("/")[0] for line in separate}
    assert {"secrets", "test-presence", "pins", "licenses", "cost", "prompts",
            "dependencies"} <= checks


def test_skip_leaves_a_check_out(make_app: Any) -> None:
    repo: Path = make_app()
    (repo / "app" / "settings.py").write_text(secret_line("aws") + "\n")
    skipped = run([sys.executable, "-P", "-m", "hooks.suite", "--all-files", "--skip",
                   "secrets", "--skip", "test-presence"], cwd=repo)
    assert "[secrets/" not in skipped.stdout


def test_the_files_pre_commit_passes_are_the_ones_checked(make_app: Any) -> None:
    """As pre-commit calls it: file names only, each check on those of its kind."""
    repo: Path = make_app()
    (repo / "app" / "settings.py").write_text(secret_line("aws") + "\n")
    (repo / "app" / "other.py").write_text(secret_line("stripe") + "\n")
    given = run([sys.executable, "-P", "-m", "hooks.suite", "app/settings.py"], cwd=repo)
    assert given.returncode == 1
    assert "app/settings.py:1: error: AWS access key id" in given.stdout
    assert "app/other.py" not in given.stdout
    clean = run([sys.executable, "-P", "-m", "hooks.suite", "app/core.py", "README.md"],
                cwd=repo)
    assert clean.returncode == 0, clean.output
