"""Infrastructure checks: checkov (its own checks plus policies/checkov), and the two
rules checkov's YAML policies cannot express, done here on python-hcl2's reading:

- every Terraform folder that creates resources has an ``aws_budgets_budget``;
- no IAM policy allows a wildcard action (``*``, ``s3:*``) or ``*`` as the resource.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaffold import yamlio
from scaffold.errors import MicrogateError
from scaffold.resources import policies_dir
from scaffold.terraform import parse_file, read_source, resources, scan_root, tf_files

CHECKOV_TIMEOUT_SECONDS = 600
INLINE_WILDCARD_ACTION = re.compile(
    r'"?Action"?\s*[=:]\s*(\[[^\]]*"[^"]*\*[^"]*"[^\]]*\]|"[^"]*\*[^"]*")')
INLINE_WILDCARD_RESOURCE = re.compile(r'"?Resource"?\s*[=:]\s*(\[\s*"\*"\s*\]|"\*")')


@dataclass(frozen=True)
class IacFinding:
    path: Path
    line: int | None
    rule: str
    message: str


@dataclass
class IacReport:
    findings: list[IacFinding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def skipped_checks() -> dict[str, str]:
    path = policies_dir() / "checkov-skips.yaml"
    try:
        skips = yamlio.load(path.read_text(encoding="utf-8"))["skip"]
        return {str(k): str(v) for k, v in skips.items()}
    except (OSError, KeyError, TypeError, AttributeError, ValueError) as exc:
        raise MicrogateError(f"{path}: not a valid list of skipped checks: {exc}") from None


def start_checkov(folder: Path, checkov: Path) -> subprocess.Popen[str]:
    command = [
        str(checkov), "--directory", str(folder), "--framework", "terraform",
        "--skip-download", "--quiet", "--compact", "--output", "json",
        "--external-checks-dir", str(policies_dir() / "checkov"),
        "--skip-check", ",".join(skipped_checks()),
    ]
    try:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, errors="replace", start_new_session=True)
    except OSError as exc:
        raise MicrogateError(f"checkov could not start: {exc.strerror}") from None


def checkov_findings(folder: Path, process: subprocess.Popen[str]) -> list[IacFinding]:
    """checkov's failed checks; ``folder`` is the one the user knows (paths are given
    relative to it, whatever folder checkov was pointed at)."""
    try:
        stdout, stderr = process.communicate(timeout=CHECKOV_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise MicrogateError(f"checkov gave no answer in {CHECKOV_TIMEOUT_SECONDS} s") from None
    try:
        output: Any = json.loads(stdout)
    except ValueError:
        last = (stderr or stdout).strip().splitlines()
        raise MicrogateError(f"checkov failed: {last[-1] if last else process.returncode}"
                             ) from None
    reports = output if isinstance(output, list) else [output]
    findings = []
    for report in reports:
        for failed in report.get("results", {}).get("failed_checks", []):
            relative = str(failed.get("file_path", "")).lstrip("/")
            lines = failed.get("file_line_range") or [None]
            findings.append(IacFinding(
                folder / relative, lines[0], str(failed["check_id"]),
                f"{failed['check_name']} ({failed['resource']})",
            ))
    return findings


def _kill_group(process: subprocess.Popen[str]) -> None:
    """Stop checkov and every process it started (it leaves workers behind otherwise)."""
    import signal

    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        process.kill()
    process.communicate()


def checkov_importable() -> bool:
    """True in the pre-commit environment of microgate-iac, where checkov is installed."""
    import importlib.util

    return importlib.util.find_spec("checkov") is not None


def run_checkov_in_process(folder: Path, root: Path | None = None) -> list[IacFinding]:
    """checkov's Terraform runner, called directly: it skips the start-up of checkov's
    other frameworks, and makes no network call (the platform integration is never set
    up; a test runs it with sockets refused). It scans ``root`` (default ``folder``)."""
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    from checkov.runner_filter import RunnerFilter
    from checkov.terraform.runner import Runner

    report = Runner().run(
        root_folder=str(root or folder),
        external_checks_dir=[str(policies_dir() / "checkov")],
        runner_filter=RunnerFilter(framework=["terraform"],
                                   skip_checks=list(skipped_checks())),
    )
    return [
        IacFinding(folder / str(record.file_path).lstrip("/"),
                   (record.file_line_range or [None])[0], str(record.check_id),
                   f"{record.check_name} ({record.resource})")
        for record in report.failed_checks
    ]


def _actions_and_resources(statement: dict[str, Any]) -> tuple[list[str], list[str]]:
    def strings(value: Any) -> list[str]:
        # Older python-hcl2 releases wrap each value in a list of its own.
        if isinstance(value, list):
            return [item for v in value for item in strings(v)]
        return [str(value)] if value is not None else []

    return strings(statement.get("actions")), strings(statement.get("resources"))


def wildcard_iam(folder: Path) -> list[IacFinding]:
    findings = []
    for tf in tf_files(folder)[0]:
        text = read_source(tf)
        parsed = parse_file(tf)
        for block in parsed.get("data", []):
            for name, body in block.get("aws_iam_policy_document", {}).items():
                statements = body.get("statement", [])
                statements = statements if isinstance(statements, list) else [statements]
                header = re.search(
                    rf'data\s+"aws_iam_policy_document"\s+"{re.escape(name)}"', text)
                line = text.count("\n", 0, header.start()) + 1 if header else None
                for statement in statements:
                    if str(statement.get("effect", "Allow")) == "Deny":
                        continue
                    actions, targets = _actions_and_resources(statement)
                    wild = [a for a in actions if "*" in a]
                    if wild:
                        findings.append(IacFinding(tf, line, "MG_IAM_ACTION",
                            f"the policy {name} allows {', '.join(wild)}: list the actions "
                            "the app needs, e.g. s3:GetObject"))
                    if "*" in targets:
                        findings.append(IacFinding(tf, line, "MG_IAM_RESOURCE",
                            f"the policy {name} applies to every resource (*): name the "
                            "resources by their ARN"))
        for pattern, rule, message in (
            (INLINE_WILDCARD_ACTION, "MG_IAM_ACTION",
             "an inline policy allows a wildcard action: list the actions the app needs"),
            (INLINE_WILDCARD_RESOURCE, "MG_IAM_RESOURCE",
             "an inline policy applies to every resource (*): name the resources"),
        ):
            for match in pattern.finditer(text):
                findings.append(IacFinding(tf, text.count("\n", 0, match.start()) + 1, rule,
                                           message))
    return findings


def missing_budget(folder: Path) -> list[IacFinding]:
    found = []
    for tf in tf_files(folder)[0]:
        found += resources(parse_file(tf), tf)
    if found and not any(r.type == "aws_budgets_budget" for r in found):
        return [IacFinding(folder, None, "MG_BUDGET",
                           "no aws_budgets_budget here: every app needs a monthly budget with "
                           "an alert to its owner (see infra/main.tf in the template)")]
    return []


def check_folder(folder: Path, checkov: Path | None) -> IacReport:
    """checkov in this process when it is installed here (the hook's environment), else
    its command from an environment of its own, working while our rules run."""
    with scan_root(folder) as (root, notes):
        report = _check_folder(folder, root, checkov)
        report.notes[:0] = notes
        return report


def _check_folder(folder: Path, root: Path, checkov: Path | None) -> IacReport:
    report = IacReport()
    if checkov is None and checkov_importable():
        try:
            report.findings += missing_budget(folder) + wildcard_iam(folder)
        except MicrogateError as exc:
            report.findings.append(IacFinding(folder, None, "MG_PARSE", exc.message))
            return report
        report.findings += run_checkov_in_process(folder, root)
        return report
    process = start_checkov(root, checkov) if checkov is not None else None
    try:
        report.findings += missing_budget(folder) + wildcard_iam(folder)
    except MicrogateError as exc:
        report.findings.append(IacFinding(folder, None, "MG_PARSE", exc.message))
        if process is not None:
            _kill_group(process)
        return report
    if process is not None:
        report.findings += checkov_findings(folder, process)
    return report
