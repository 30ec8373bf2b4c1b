"""The checks behind the hook suite, one module each, and their registry.

A hook under ``hooks/`` and ``microgate check`` run the same ``run(repo, files)`` of the
same module; ``files`` mirrors the ``files:`` pattern in ``.pre-commit-hooks.yaml`` (a
test keeps the two in step).
"""

from __future__ import annotations

import re

from scaffold.findings import Finding, RuleHelp
from scaffold.records import Record


# Plain classes, not dataclasses: see scaffold/findings.py.
class CheckSpec:
    """One check: its module, the files its hook is given, and what it reads."""

    __slots__ = ("name", "module", "files", "always_run", "title", "manifest_fields")

    def __init__(self, name: str, module: str, files: str, always_run: bool = False,
                 title: str = "", manifest_fields: tuple[str, ...] | None = None) -> None:
        self.name = name
        self.module = module
        self.files = files
        self.always_run = always_run
        self.title = title
        # The microapp.yaml fields the check reads, when not all of them: a change to
        # other fields cannot change its result.
        self.manifest_fields = manifest_fields

    def __repr__(self) -> str:
        return f"CheckSpec({self.name!r})"

    @property
    def hook_id(self) -> str:
        return f"microgate-{self.name}"

    def wants(self, path: str) -> bool:
        return re.search(self.files, path) is not None


class CheckResult(Record):
    """What one check found on the files it was given."""

    __slots__ = ("findings", "notes", "advice", "files_checked", "rule_help", "not_run")

    def __init__(self, findings: list[Finding] | None = None, notes: list[str] | None = None,
                 advice: str = "", files_checked: int = 0,
                 rule_help: dict[str, RuleHelp] | None = None, not_run: str = "") -> None:
        self.findings = [] if findings is None else findings
        self.notes = [] if notes is None else notes
        self.advice = advice
        self.files_checked = files_checked
        # Per-rule help (by rule id) for checks whose rules carry it, e.g. CWE and severity.
        self.rule_help = {} if rule_help is None else rule_help
        # Why the check could not run here (a scanner missing); empty when it ran.
        self.not_run = not_run

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
