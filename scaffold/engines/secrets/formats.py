"""Secret findings for other tools: JSON, SARIF 2.1.0 and gitleaks' JSON report.

No format carries the secret: gitleaks' ``Secret`` and ``Match`` fields, which its own
reports fill with the secret, hold ``[redacted]`` here (as ``gitleaks --redact`` does), and
the fingerprint is the detect-secrets hash, so a finding can be tracked across runs
without the secret.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from scaffold.engines.secrets import SecretFinding
from scaffold.engines.secrets.rules import Rule

REDACTED = "[redacted]"
SECRET_SEVERITY = "9.0"  # SARIF security-severity: a leaked credential is critical.


def as_json(findings: Sequence[SecretFinding], notes: Sequence[str]) -> str:
    return json.dumps({
        "findings": [{"path": f.path, "line": f.line, "rule": f.rule_id, "type": f.type,
                      "fingerprint": f.hashed_secret} for f in findings],
        "notes": list(notes),
    }, indent=2) + "\n"


def as_gitleaks(findings: Sequence[SecretFinding], rules: dict[str, Rule]) -> str:
    """gitleaks' report format (``--report-format json``), secrets redacted."""
    return json.dumps([{
        "RuleID": f.rule_id,
        "Description": rules[f.rule_id].description if f.rule_id in rules else f.type,
        "StartLine": f.line,
        "EndLine": f.line,
        "StartColumn": 0,
        "EndColumn": 0,
        "Match": REDACTED,
        "Secret": REDACTED,
        "File": f.path,
        "SymlinkFile": "",
        "Commit": "",
        "Entropy": 0,
        "Author": "",
        "Email": "",
        "Date": "",
        "Message": "",
        "Tags": list(rules[f.rule_id].tags) if f.rule_id in rules else [],
        "Fingerprint": f"{f.path}:{f.rule_id}:{f.line}",
    } for f in findings], indent=2) + "\n"


def as_sarif(findings: Sequence[SecretFinding], rules: dict[str, Rule], version: str) -> str:
    driver_rules: dict[str, dict[str, Any]] = {}
    results = []
    for finding in findings:
        rule = rules.get(finding.rule_id)
        description = rule.description if rule else finding.type
        driver_rules.setdefault(finding.rule_id, {
            "id": finding.rule_id,
            "name": finding.rule_id,
            "shortDescription": {"text": description.split(" (", 1)[0]},
            "fullDescription": {"text": description},
            "help": {"text": "Remove the secret from the file, load it at run time (an "
                     "environment variable or the platform's secret store), then revoke it "
                     "and make a new one: it stays in git's history."},
            "properties": {"tags": ["security", "secret", "external/cwe/cwe-798"],
                           "security-severity": SECRET_SEVERITY},
        })
        results.append({
            "ruleId": finding.rule_id,
            "level": "error",
            "message": {"text": f"{finding.type} (redacted)"},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": finding.line},
            }}],
            "partialFingerprints": {"secretHash/v1": finding.hashed_secret},
        })
    return json.dumps({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "microgate-secrets", "version": version,
                                "informationUri": "https://github.com/microgate-dev/microgate",
                                "rules": sorted(driver_rules.values(), key=lambda r: r["id"])}},
            "results": results,
        }],
    }, indent=2) + "\n"


def as_text(findings: Sequence[SecretFinding], notes: Sequence[str]) -> str:
    lines = [f"{f.path}:{f.line}: {f.type} (redacted) [{f.rule_id}]" for f in findings]
    lines += [f"note: {note}" for note in notes]
    lines.append(f"{len(findings)} secret{'s' * (len(findings) != 1)} found")
    return "\n".join(lines) + "\n"


def rules_table(rules: Sequence[Rule], disabled: set[str]) -> str:
    width = max((len(rule.id) for rule in rules), default=2)
    lines = [f"{'id'.ljust(width)}  state     source  description"]
    for rule in rules:
        state = "disabled" if rule.id in disabled else "on"
        source = "default" if rule.source.endswith("secrets/rules.toml") else "platform"
        lines.append(f"{rule.id.ljust(width)}  {state:<8}  {source:<7} {rule.description}")
    lines.append(f"{sum(rule.id not in disabled for rule in rules)} rules on, "
                 f"{sum(rule.id in disabled for rule in rules)} disabled; detect-secrets' "
                 "plugins run beside them")
    return "\n".join(lines) + "\n"
