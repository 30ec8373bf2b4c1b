"""Findings of ``microgate check`` as text, JSON or SARIF 2.1.0 (for GitHub code scanning)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from scaffold import __version__
from scaffold.checks import CHECKS, CheckResult
from scaffold.findings import Finding, RuleHelp

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/microgate-dev/microgate"


def as_json(results: dict[str, CheckResult]) -> str:
    payload = {
        "version": __version__,
        "checks": {
            name: {
                "files_checked": result.files_checked,
                "notes": result.notes,
                **({"not_run": result.not_run} if result.not_run else {}),
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


def as_sarif(results: dict[str, CheckResult], repo: Path | None = None) -> str:
    """SARIF 2.1.0 that code scanning files once per finding and tracks across commits.

    Each rule is described once in ``tool.driver.rules`` (its help, tags and severity);
    each result carries ``partialFingerprints`` made from the rule, the file and the
    text of its line, so a finding keeps its identity when lines above it move.
    """
    titles = {check.name: check.title for check in CHECKS}
    rules: dict[str, dict[str, Any]] = {}
    sarif_results = []
    seen: dict[str, int] = {}
    lines: dict[str, list[str]] = {}
    for name, result in results.items():
        for finding in sorted(result.findings, key=Finding.sort_key):
            rule_id = f"{finding.check}/{finding.rule}"
            if rule_id not in rules:
                rules[rule_id] = _rule_descriptor(
                    rule_id, result.rule_help.get(finding.rule), titles.get(name, name),
                    result.advice)
            location: dict[str, Any] = {
                "artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"},
            }
            if finding.line:
                location["region"] = {"startLine": finding.line}
            text = _line_text(repo, finding, lines)
            key = hashlib.sha256(
                f"{rule_id}\0{finding.path}\0{text}".encode("utf-8", "replace")).hexdigest()[:16]
            seen[key] = seen.get(key, 0) + 1
            sarif_results.append({
                "ruleId": rule_id,
                "ruleIndex": 0,  # set below, once the rules are sorted
                "level": finding.severity,
                "message": {"text": finding.message},
                "locations": [{"physicalLocation": location}],
                "partialFingerprints": {"primaryLocationLineHash": f"{key}:{seen[key]}"},
            })
    ordered = sorted(rules.values(), key=lambda r: str(r["id"]))
    index = {str(rule["id"]): position for position, rule in enumerate(ordered)}
    for sarif_result in sarif_results:
        sarif_result["ruleIndex"] = index[str(sarif_result["ruleId"])]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "microgate",
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": ordered,
            }},
            "results": sarif_results,
        }],
    }
    return json.dumps(log, indent=2) + "\n"


def _rule_descriptor(rule_id: str, rule_help: RuleHelp | None, title: str,
                     advice: str) -> dict[str, Any]:
    if rule_help is None:
        return {
            "id": rule_id,
            "name": rule_id.replace("/", "-"),
            "shortDescription": {"text": title},
            "fullDescription": {"text": title},
            "help": {"text": advice or title},
            "properties": {"tags": [rule_id.split("/")[0]]},
        }
    properties: dict[str, Any] = {"tags": list(rule_help.tags)}
    if rule_help.security_severity is not None:
        properties["security-severity"] = rule_help.security_severity
    return {
        "id": rule_id,
        "name": rule_id.replace("/", "-"),
        "shortDescription": {"text": rule_help.short},
        "fullDescription": {"text": rule_help.full},
        "help": {"text": rule_help.help,
                 "markdown": f"**{rule_help.short}**\n\n{rule_help.help}"
                 + ("\n\n" + ", ".join(rule_help.references) if rule_help.references else "")},
        "properties": properties,
    }


def _line_text(repo: Path | None, finding: Finding, cache: dict[str, list[str]]) -> str:
    """The finding's line without its indentation: what keeps a fingerprint stable."""
    if repo is None or not finding.line:
        return finding.message
    if finding.path not in cache:
        from scaffold.safefiles import SkippedFile, read_bytes

        try:
            data = read_bytes(repo, finding.path, max_bytes=2_000_000)
        except (OSError, SkippedFile):
            data = b""
        cache[finding.path] = data.decode("utf-8", "replace").splitlines()
    file_lines = cache[finding.path]
    if 0 < finding.line <= len(file_lines):
        return " ".join(file_lines[finding.line - 1].split())
    return finding.message


def as_text(results: dict[str, CheckResult]) -> str:
    lines = []
    for name, result in results.items():
        errors = sum(1 for f in result.findings if f.severity == "error")
        warnings = len(result.findings) - errors
        if result.not_run:
            lines.append(f"{name}: NOT RUN: {result.not_run}")
            continue
        status = "failed" if errors else "passed"
        counts = f" ({errors} error{'s' * (errors != 1)}" + (
            f", {warnings} warning{'s' * (warnings != 1)})" if warnings else ")")
        lines.append(f"{name}: {status}{counts if result.findings else ''}")
        for finding in sorted(result.findings, key=Finding.sort_key):
            lines.append(f"  {finding.render()}")
        for note in result.notes:
            lines.append(f"  note: {note}")
    return "\n".join(lines) + "\n"
