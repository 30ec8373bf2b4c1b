"""What a check reports: findings with a place, and their text form."""

from __future__ import annotations

from functools import total_ordering

from scaffold.records import Record

TYPE_CHECKING = False  # typing costs a hook ~4 ms to import; mypy reads it as True
if TYPE_CHECKING:
    from typing import Literal

    Severity = Literal["error", "warning", "note"]
else:
    Severity = str


# Plain classes rather than dataclasses: every hook imports this module, and dataclasses
# (with inspect, ast and dis behind it) would cost each hook ~8 ms to start.
@total_ordering
class Finding:
    """One thing a check found, worded for the person who must fix it. Immutable."""

    __slots__ = ("path", "line", "check", "rule", "message", "severity")
    path: str
    line: int | None
    check: str
    rule: str
    message: str
    severity: Severity

    def __init__(self, path: str, line: int | None, check: str, rule: str, message: str,
                 severity: Severity = "error") -> None:
        for name, value in zip(self.__slots__, (path, line, check, rule, message, severity),
                               strict=True):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a Finding cannot be changed ({name})")

    def _fields(self) -> tuple[str, int | None, str, str, str, str]:
        return (self.path, self.line, self.check, self.rule, self.message, self.severity)

    def __eq__(self, other: object) -> bool:
        return type(other) is Finding and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def _order(self) -> tuple[str, int, str, str, str, str]:
        return (self.path, -1 if self.line is None else self.line, self.check, self.rule,
                self.message, self.severity)

    def __lt__(self, other: Finding) -> bool:
        return self._order() < other._order()

    def __repr__(self) -> str:
        return "Finding(" + ", ".join(f"{name}={value!r}" for name, value in
                                      zip(self.__slots__, self._fields(), strict=True)) + ")"

    def __reduce__(self) -> tuple[type[Finding], tuple[str, int | None, str, str, str, str]]:
        return (Finding, self._fields())

    def sort_key(self) -> tuple[str, int, str, str]:
        """Findings without a line (a whole file) sort first, never against None."""
        return (self.path, self.line or 0, self.rule, self.message)

    def render(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity}: {self.message} [{self.check}/{self.rule}]"


class RuleHelp(Record):
    """What a report says about a rule: for SARIF's ``tool.driver.rules`` and the docs."""

    __slots__ = ("short", "full", "help", "tags", "security_severity", "references")

    def __init__(self, short: str, full: str, help: str, tags: tuple[str, ...] = (),
                 security_severity: str | None = None,
                 references: tuple[str, ...] = ()) -> None:
        self.short = short
        self.full = full
        self.help = help
        self.tags = tags
        # CVSS-like "0.0".."10.0", as code scanning reads it
        self.security_severity = security_severity
        self.references = references


def exit_code(findings: list[Finding]) -> int:
    return 1 if any(f.severity == "error" for f in findings) else 0


def print_findings(findings: list[Finding]) -> None:
    for finding in sorted(findings, key=Finding.sort_key):
        print(finding.render())
