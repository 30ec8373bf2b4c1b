"""The cost check: the Terraform's estimated monthly cost is within the manifest's budget."""

from __future__ import annotations

import re
from pathlib import Path

from scaffold.checks import CheckResult
from scaffold.errors import MicrogateError
from scaffold.findings import Finding

CHECK = "cost"
ADVICE = """\
Bring the estimate under the budget: use smaller sizes (memory, vCPU, task count) in
infra/variables.tf, or raise monthly_budget_usd in microapp.yaml (within the tier's cap).
`microgate cost` prints the whole breakdown."""


def terraform_dirs(repo: Path) -> list[Path]:
    dirs = {p.parent for p in repo.rglob("*.tf")
            if ".terraform" not in p.parts and ".git" not in p.parts}
    return sorted(dirs)


def manifest_numbers(repo: Path) -> tuple[float, str, str, int | None]:
    """(budget, traffic, region, line of the budget) from microapp.yaml, without the
    full validation (the manifest check does that)."""
    from scaffold import yamlio
    from scaffold.safefiles import SkippedFile, read_text

    try:
        text = read_text(repo, "microapp.yaml", max_bytes=1_000_000)
    except SkippedFile as exc:
        raise ValueError(str(exc)) from None
    data = yamlio.load(text)
    budget = float(data["monthly_budget_usd"])
    match = re.search(r"^monthly_budget_usd\s*:", text, re.MULTILINE)
    line = text.count("\n", 0, match.start()) + 1 if match else None
    return budget, str(data.get("traffic", "low")), str(data.get("region", "us-east-1")), line


def run(repo: Path, files: list[str] | None) -> CheckResult:
    from scaffold.cost import estimate

    try:
        budget, traffic, region, line = manifest_numbers(repo)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        return CheckResult(notes=["microapp.yaml has no readable monthly_budget_usd: the "
                                  "manifest check says why; the cost is not estimated"])
    findings: list[Finding] = []
    notes: list[str] = []
    folders = terraform_dirs(repo)
    for infra in folders:
        where = infra.relative_to(repo).as_posix() or "."
        try:
            result = estimate(infra, traffic=traffic, region=region)
        except MicrogateError as exc:
            findings.append(Finding(where, None, CHECK, "unreadable", exc.message))
            continue
        notes += result.notes
        for resource in result.unpriced:
            findings.append(Finding(
                resource.path.relative_to(repo).as_posix(), resource.line, CHECK, "unpriced",
                f"{resource.type} has no price in policies/pricing.yaml, so the estimate "
                "leaves it out: ask the platform team to add it", "warning"))
        if result.total > budget:
            findings.append(Finding(
                "microapp.yaml", line, CHECK, "over-budget",
                f"{where} is estimated at ${result.total:,.2f} a month, over the budget of "
                f"${budget:,.2f}:\n{result.table()}"))
    return CheckResult(findings, notes, ADVICE, len(folders))
