"""The manifest check: microapp.yaml exists, validates, and keeps the tier's rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from scaffold.checks import CheckResult
from scaffold.errors import MicrogateError
from scaffold.findings import Finding

TYPE_CHECKING = False  # typing costs a hook ~4 ms to import; mypy reads it as True
if TYPE_CHECKING:
    from scaffold.policy import TierPolicy

MANIFEST_FILE = "microapp.yaml"

CHECK = "manifest"
ADVICE = "Fix microapp.yaml as each line says; 'microgate manifest validate' checks it again."


def check_manifest(
    repo: Path, policy: TierPolicy | None = None, today: dt.date | None = None
) -> list[Finding]:
    from scaffold.manifest import policy_problems, read_manifest
    from scaffold.policy import default_policy

    path = repo / MANIFEST_FILE
    if not path.is_file() and not path.is_symlink():
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
    if files is not None and MANIFEST_FILE not in files:
        # The manifest did not change: only the calendar can have made it wrong.
        from scaffold.engines.expiry import quick_expiry_check

        try:
            problem = quick_expiry_check(repo / MANIFEST_FILE)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError,
                yaml_error()):
            pass  # not what the quick check expects: the full check says what is wrong
        else:
            if problem is None:
                return CheckResult(files_checked=1)
            line, severity, message = problem
            finding = Finding(MANIFEST_FILE, line, CHECK, "policy", f"expires: {message}",
                              severity)
            return CheckResult([finding], [], ADVICE, 1)
    findings = check_manifest(repo)
    return CheckResult(findings, [], ADVICE, 1)


def yaml_error() -> type[Exception]:
    import yaml

    return yaml.YAMLError
