"""A numeric risk score for a release, and the decision it leads to (policies/risk.yaml)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from scaffold import yamlio
from scaffold.checks import CheckResult
from scaffold.errors import MicrogateError
from scaffold.manifest import Manifest
from scaffold.resources import policy_file

Decision = Literal["auto-promote", "needs-approval", "blocked"]


@dataclass
class RiskReport:
    score: float
    decision: Decision
    drivers: list[tuple[str, float]] = field(default_factory=list)
    blocked_by: list[str] = field(default_factory=list)
    thresholds: dict[str, float] = field(default_factory=dict)
    not_run: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 1),
            "decision": self.decision,
            "drivers": [{"reason": reason, "points": round(points, 1)}
                        for reason, points in self.drivers],
            "blocked_by": self.blocked_by,
            "thresholds": self.thresholds,
            "not_run": self.not_run,
        }

    def explain(self) -> str:
        top = sorted((d for d in self.drivers if d[1] > 0), key=lambda d: -d[1])
        reasons = ", ".join(f"{reason} (+{points:g})" for reason, points in top) or "nothing"
        text = f"Risk score {self.score:g}: {self.decision}. What drove it: {reasons}."
        if self.blocked_by:
            text += f" Blocked whatever the score by: {', '.join(self.blocked_by)}."
        for check, reason in self.not_run.items():
            text += f"\nNot run, so at least needs-approval: {check}: {reason}"
        return text


@cache
def risk_policy() -> dict[str, Any]:
    path = policy_file("risk.yaml")
    try:
        data = yamlio.load(path.read_text(encoding="utf-8"))
        for key in ("manifest", "findings", "thresholds"):
            data[key]  # noqa: B018 - presence check
        return dict(data)
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise MicrogateError(f"{path}: the risk policy is not valid: {exc}") from None


def score(manifest: Manifest, results: dict[str, CheckResult],
          policy: dict[str, Any] | None = None, accepted_vulnerabilities: int = 0
          ) -> RiskReport:
    policy = policy or risk_policy()
    weights = policy["manifest"]
    drivers: list[tuple[str, float]] = [
        (f"tier {manifest.tier}", float(weights["tier"][manifest.tier])),
        (f"{manifest.data_sensitivity} data", float(weights["data_sensitivity"][
            manifest.data_sensitivity])),
        (f"{manifest.traffic} traffic", float(weights["traffic"][manifest.traffic])),
        (f"{manifest.sla} support", float(weights["sla"][manifest.sla])),
    ]
    writes = [c.name for c in manifest.connectors if c.access == "write"]
    reads = [c.name for c in manifest.connectors if c.access == "read"]
    if writes:
        drivers.append((f"writes to {', '.join(writes)}",
                        len(writes) * float(weights["connector_write"])))
    if reads:
        drivers.append((f"reads from {', '.join(reads)}",
                        len(reads) * float(weights["connector_read"])))
    finding_weights = policy["findings"]
    multipliers = finding_weights.get("check_multiplier", {})
    blocked_by = []
    for check, result in results.items():
        counts = Counter(f.severity for f in result.findings)
        points = (counts["error"] * float(finding_weights["error"])
                  + counts["warning"] * float(finding_weights["warning"]))
        points *= float(multipliers.get(check, 1))
        if points:
            parts = [f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in
                     (("error", counts["error"]), ("warning", counts["warning"])) if n]
            drivers.append((f"{check}: {', '.join(parts)}", points))
        if counts["error"] and check in policy.get("always_block", []):
            blocked_by.append(check)
    not_run = [check for check, result in results.items() if result.not_run]
    if not_run:
        drivers.append((f"not run: {', '.join(not_run)}", 0.0))
    if accepted_vulnerabilities:
        drivers.append((f"{accepted_vulnerabilities} accepted "
                        f"vulnerabilit{'ies' if accepted_vulnerabilities != 1 else 'y'}",
                        accepted_vulnerabilities * float(
                            finding_weights.get("accepted_vulnerability", 0))))
    total = sum(points for _, points in drivers)
    thresholds = {k: float(v) for k, v in policy["thresholds"].items()}
    decision: Decision
    if blocked_by or total >= thresholds["blocked"]:
        decision = "blocked"
    elif total >= thresholds["needs_approval"] or not_run:
        # what a check that did not run would have found is unknown: a person decides
        decision = "needs-approval"
    else:
        decision = "auto-promote"
    return RiskReport(total, decision, drivers, blocked_by, thresholds,
                      {check: results[check].not_run for check in not_run})
