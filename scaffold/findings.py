"""What a check reports: findings with a place, and their text form."""

from __future__ import annotations

from dataclasses import dataclass

TYPE_CHECKING = False  # typing costs a hook ~4 ms to import; mypy reads it as True
if TYPE_CHECKING:
    from typing import Literal

    Severity = Literal["error", "warning", "note"]
else:
    Severity = str


@dataclass(frozen=True, order=True)
class Finding:
    """One thing a check found, worded for the person who must fix it."""

    path: str
    line: int | None
    check: str
    rule: str
    message: str
    severity: Severity = "error"

    def sort_key(self) -> tuple[str, int, str, str]:
        """Findings without a line (a whole file) sort first, never against None."""
        return (self.path, self.line or 0, self.rule, self.message)

    def render(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity}: {self.message} [{self.check}/{self.rule}]"


@dataclass(frozen=True)
class RuleHelp:
    """What a report says about a rule: for SARIF's ``tool.driver.rules`` and the docs."""

    short: str
    full: str
    help: str
    tags: tuple[str, ...] = ()
    security_severity: str | None = None  # CVSS-like "0.0".."10.0", as code scanning reads it
    references: tuple[str, ...] = ()


def exit_code(findings: list[Finding]) -> int:
    return 1 if any(f.severity == "error" for f in findings) else 0


def print_findings(findings: list[Finding]) -> None:
    for finding in sorted(findings, key=Finding.sort_key):
        print(finding.render())
