"""The risky-code rules on whole apps: a vulnerable Flask app and a FastAPI app.

Both live in tests/data/sast, written here. Every line ending in `# flaw: <rule>` must be
reported with that rule; no line ending in `# twin: <rule>` (the safe way to write the
same thing) may be reported at all.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from scaffold.engines.sast import scan

APPS = Path(__file__).resolve().parents[2] / "data" / "sast"
MARK = re.compile(r"#\s*(?P<kind>flaw|twin):\s*(?P<rule>[\w-]+)\s*$")


def marked_lines(app: Path) -> tuple[set[tuple[int, str]], dict[int, str]]:
    flaws: set[tuple[int, str]] = set()
    twins: dict[int, str] = {}
    for number, line in enumerate(app.read_text().splitlines(), start=1):
        match = MARK.search(line)
        if match and match.group("kind") == "flaw":
            flaws.add((number, match.group("rule")))
        elif match:
            twins[number] = match.group("rule")
    return flaws, twins


@pytest.mark.parametrize("app", ["flask_app.py", "fastapi_app.py"])
def test_every_flaw_found_and_no_safe_twin_flagged(app: str, tmp_path: Path) -> None:
    shutil.copy(APPS / app, tmp_path / "app.py")
    flaws, twins = marked_lines(APPS / app)
    report = scan(tmp_path, ["app.py"])
    found = {(m.line, m.rule.removeprefix("microgate.")) for m in report.matches}
    assert flaws - found == set(), "flaws not reported"
    flagged_twins = {(m.line, m.rule) for m in report.matches if m.line in twins}
    assert flagged_twins == set(), "safe twins reported"
    assert report.notes == []


def test_the_apps_cover_every_class_the_issue_names() -> None:
    rules = {rule for app in APPS.glob("*.py") for _, rule in marked_lines(app)[0]}
    assert {"sql-string-formatting", "command-injection", "subprocess-shell", "eval-exec",
            "pickle-untrusted", "yaml-unsafe-load", "path-traversal",
            "archive-extract-traversal", "xss-request-in-html", "ssrf", "open-redirect",
            "weak-password-hash", "insecure-random-secret", "insecure-cookie", "xxe",
            "xpath-ldap-injection", "mass-assignment", "prompt-injection",
            "llm-output-executed", "hardcoded-app-secret", "tls-verify-disabled",
            "requests-no-timeout", "wildcard-cors", "web-debug-mode",
            "bind-all-interfaces"} <= rules
    twins = {rule for app in APPS.glob("*.py") for rule in marked_lines(app)[1].values()}
    assert rules - twins == set(), "every flaw needs its safe twin"


def test_one_flaw_is_one_finding(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "from flask import Flask, request\nimport os\napp = Flask(__name__)\n\n"
        "@app.route('/x')\ndef x():\n    os.system('ping ' + request.args['h'])\n"
        "    return 'ok'\n")
    report = scan(tmp_path, ["app.py"])
    assert [(m.line, m.rule) for m in report.matches] == [(7, "microgate.command-injection")]
