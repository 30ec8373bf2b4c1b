"""The checks behind the hook suite, one module each, and their registry.

A hook under ``hooks/`` and ``microgate check`` run the same ``run(repo, files)`` of the
same module; ``files`` mirrors the ``files:`` pattern in ``.pre-commit-hooks.yaml`` (a
test keeps the two in step).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from scaffold.findings import Finding, RuleHelp


@dataclass(frozen=True)
class CheckSpec:
    name: str
    module: str
    files: str
    always_run: bool = False
    title: str = ""
    # The microapp.yaml fields the check reads, when not all of them: a change to other
    # fields cannot change its result.
    manifest_fields: tuple[str, ...] | None = None

    @property
    def hook_id(self) -> str:
        return f"microgate-{self.name}"

    def wants(self, path: str) -> bool:
        return re.search(self.files, path) is not None


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    advice: str = ""
    files_checked: int = 0
    # Per-rule help (by rule id) for checks whose rules carry it, e.g. CWE and severity.
    rule_help: dict[str, RuleHelp] = field(default_factory=dict)
    # Why the check could not run here (a scanner missing); empty when it ran.
    not_run: str = ""


CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec("secrets", "scaffold.checks.secrets", r"", title="no secrets in the code"),
    CheckSpec("manifest", "scaffold.checks.manifest", r"^microapp\.yaml$", always_run=True,
              title="microapp.yaml is valid, within its tier, not expired"),
    CheckSpec("test-presence", "scaffold.checks.testpresence", r"\.py$|(^|/)pyproject\.toml$",
              title="every public function has a test that asserts something"),
    CheckSpec("pins", "scaffold.checks.pins",
              r"(^|/)requirements[^/]*\.(txt|in)$|(^|/)requirements/[^/]+\.(txt|in)$"
              r"|(^|/)uv\.lock$|(^|/)pylock(\.[^/]+)?\.toml$|(^|/)pyproject\.toml$"
              r"|(^|/)[^/]*[Dd]ockerfile[^/]*$"
              r"|^\.github/workflows/[^/]+\.ya?ml$|(^|/)action\.ya?ml$",
              title="dependencies, images and actions are pinned"),
    CheckSpec("licenses", "scaffold.checks.licenses",
              r"(^|/)requirements[^/]*\.txt$|(^|/)requirements/[^/]+\.txt$"
              r"|(^|/)uv\.lock$|(^|/)pylock(\.[^/]+)?\.toml$"
              r"|^\.microgate/licenses\.json$|(^|/)pyproject\.toml$",
              title="dependency licenses are allowed"),
    CheckSpec("iac", "scaffold.checks.iac", r"\.tf$|\.tfvars$",
              title="the Terraform passes checkov and the platform's policies"),
    CheckSpec("cost", "scaffold.checks.cost",
              r"\.tf$|(^|/)terraform\.tfvars$|^microapp\.yaml$",
              title="the estimated monthly cost is within the budget",
              manifest_fields=("monthly_budget_usd", "traffic", "region")),
    CheckSpec("sast", "scaffold.checks.sast", r"\.py$",
              title="no risky code (eval, shell=True, SQL by string formatting...)"),
    CheckSpec("prompts", "scaffold.checks.prompts", r"^prompts/",
              title="prompts are registered, versioned, pinned and have golden cases"),
    CheckSpec("vulns", "scaffold.checks.vulns",
              r"(^|/)requirements[^/]*\.txt$|(^|/)requirements/[^/]+\.txt$|(^|/)uv\.lock$"
              r"|(^|/)pylock(\.[^/]+)?\.toml$|^\.microgate/vulns(-accepted)?\.(json|yaml)$",
              title="no pinned dependency has a known vulnerability above the tier's bar",
              manifest_fields=("tier",)),
    CheckSpec("dependencies", "scaffold.checks.dependencies",
              r"(^|/)requirements[^/]*\.txt$|(^|/)requirements/[^/]+\.txt$|(^|/)uv\.lock$"
              r"|(^|/)pylock(\.[^/]+)?\.toml$|\.py$|(^|/)pyproject\.toml$",
              title="dependencies are in the curated set; every import is provided",
              manifest_fields=("tier",)),
)


def spec(name: str) -> CheckSpec:
    for candidate in CHECKS:
        if candidate.name == name:
            return candidate
    raise KeyError(name)
