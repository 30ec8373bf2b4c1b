"""Findings of ``microgate check`` as text, JSON or SARIF 2.1.0 (for GitHub code scanning)."""

from __future__ import annotations

import json
from typing import Any

from scaffold import __version__
from scaffold.checks import CHECKS, CheckResult
from scaffold.findings import Finding

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/microgate-dev/microgate"


def as_json(results: dict[str, CheckResult]) -> str:
    payload = {
        "version": __version__,
        "checks": {
            name: {
                "files_checked": result.files_checked,
                "notes": result.notes,
                "findings": [
                    {"path": f.path, "line": f.line, "rule": f"{f.check}/{f.rule}",
                     "severity": f.severity, "message": f.message}
                    for f in sorted(result.findings, key=Finding.sort_key)
                ],
            }
            for name, result in results.items()
        },
    }
    return json.dumps(payload, indent=2) + "\n"


def as_sarif(results: dict[str, CheckResult]) -> str:
    titles = {check.name: check.title for check in CHECKS}
    rules: dict[str, dict[str, Any]] = {}
    sarif_results = []
    for name, result in results.items():
        for finding in sorted(result.findings, key=Finding.sort_key):
            rule_id = f"{finding.check}/{finding.rule}"
            rules.setdefault(rule_id, {
                "id": rule_id,
                "name": rule_id.replace("/", "-"),
                "shortDescription": {"text": titles.get(name, name)},
                "help": {"text": result.advice or titles.get(name, name)},
            })
            location: dict[str, Any] = {
                "artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"},
            }
            if finding.line:
                location["region"] = {"startLine": finding.line}
            sarif_results.append({
                "ruleId": rule_id,
                "level": finding.severity,
                "message": {"text": finding.message},
                "locations": [{"physicalLocation": location}],
            })
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "microgate",
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": sorted(rules.values(), key=lambda r: str(r["id"])),
            }},
            "results": sarif_results,
        }],
    }
    return json.dumps(log, indent=2) + "\n"


def as_text(results: dict[str, CheckResult]) -> str:
    lines = []
    for name, result in results.items():
        errors = sum(1 for f in result.findings if f.severity == "error")
        warnings = len(result.findings) - errors
        status = "failed" if errors else "passed"
        counts = f" ({errors} error{'s' * (errors != 1)}" + (
            f", {warnings} warning{'s' * (warnings != 1)})" if warnings else ")")
        lines.append(f"{name}: {status}{counts if result.findings else ''}")
        for finding in sorted(result.findings, key=Finding.sort_key):
            lines.append(f"  {finding.render()}")
        for note in result.notes:
            lines.append(f"  note: {note}")
    return "\n".join(lines) + "\n"
