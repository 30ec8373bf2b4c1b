"""The cost check: the app's estimated monthly cost (its Terraform's root modules plus the
LLM calls its manifest declares) is complete and within the manifest's budget."""

from __future__ import annotations

import math
import re
from pathlib import Path

from scaffold.checks import CheckResult
from scaffold.errors import MicrogateError
from scaffold.findings import Finding

TYPE_CHECKING = False  # typing costs a hook ~4 ms to import; mypy reads it as True
if TYPE_CHECKING:
    from typing import Any

CHECK = "cost"
UNREADABLE = "unreadable Terraform"
ADVICE = """\
Bring the estimate under the budget: use smaller sizes (memory, vCPU, task count) in
infra/variables.tf, or raise monthly_budget_usd in microapp.yaml (within the tier's cap).
A resource type microgate cannot price leaves the estimate incomplete: ask the platform
team to add its price to policies/pricing.yaml, or, once you know its cost, list the type
under acknowledged_unpriced in microapp.yaml. `microgate cost` prints the whole breakdown."""


class CostInputs:
    """What the estimate needs from microapp.yaml (read without the full validation:
    the manifest check does that). A plain class: see scaffold/findings.py."""

    def __init__(self, budget: float, traffic: str = "low", region: str = "us-east-1",
                 tier: int = 0, budget_line: int | None = None,
                 acknowledged: set[str] | None = None, llm: list[Any] | None = None) -> None:
        self.budget = budget
        self.traffic = traffic
        self.region = region
        self.tier = tier
        self.budget_line = budget_line
        self.acknowledged = acknowledged if acknowledged is not None else set()
        self.llm = llm if llm is not None else []


def terraform_dirs(repo: Path) -> list[Path]:
    """The root modules of the repo: folders with .tf files no other one calls."""
    from scaffold.engines.terraform import root_modules, terraform_folders

    return sorted(root_modules(terraform_folders(repo)))


def read_inputs(repo: Path) -> CostInputs:
    from scaffold import yamlio
    from scaffold.engines.cost import LlmUse
    from scaffold.safefiles import SkippedFile, read_text

    try:
        text = read_text(repo, "microapp.yaml", max_bytes=1_000_000)
    except SkippedFile as exc:
        raise ValueError(str(exc)) from None
    data = yamlio.load(text)
    match = re.search(r"^monthly_budget_usd\s*:", text, re.MULTILINE)
    tier = data.get("tier", 0)
    uses = []
    for connector in data.get("connectors") or []:
        if isinstance(connector, dict) and connector.get("kind") == "llm":
            uses.append(LlmUse(
                str(connector.get("name", "llm")), _text_or_none(connector.get("model")),
                _number_or_none(connector.get("calls_per_month")),
                _number_or_none(connector.get("input_tokens_per_call")),
                _number_or_none(connector.get("output_tokens_per_call"))))
    return CostInputs(
        budget=float(data["monthly_budget_usd"]), traffic=str(data.get("traffic", "low")),
        region=str(data.get("region", "us-east-1")),
        tier=tier if isinstance(tier, int) and not isinstance(tier, bool) else 0,
        budget_line=text.count("\n", 0, match.start()) + 1 if match else None,
        acknowledged={str(item) for item in data.get("acknowledged_unpriced") or []},
        llm=uses)


def _text_or_none(value: Any) -> str | None:
    return str(value) if isinstance(value, str) and value else None


def _number_or_none(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or \
            not math.isfinite(value) or value < 0:
        return None
    return float(value)


def estimate_app(repo: Path, inputs: CostInputs,
                 usage: dict[str, dict[str, Any]] | None = None, plan: Path | None = None
                 ) -> tuple[list[tuple[Path, Any]], list[Finding]]:
    """Each root module's estimate (the LLM calls added to the first, or to an empty one
    when the app has no Terraform), and a finding for each folder that cannot be read.
    With ``plan`` (``terraform show -json``), the plan's resources instead of the files'."""
    from scaffold.engines.cost import Estimate, add_llm_spend, estimate, estimate_module, load_plan

    estimates: list[tuple[Path, Any]] = []
    unreadable: list[Finding] = []
    if plan is not None:
        estimates.append((plan, estimate_module(load_plan(plan), traffic=inputs.traffic,
                                                region=inputs.region, usage=usage)))
    for infra in terraform_dirs(repo) if plan is None else []:
        try:
            estimates.append((infra, estimate(infra, traffic=inputs.traffic,
                                              region=inputs.region, usage=usage,
                                              boundary=repo)))
        except MicrogateError as exc:
            where = infra.relative_to(repo).as_posix() or "."
            unreadable.append(Finding(where, None, CHECK, "unreadable", exc.message))
    if inputs.llm:
        if not estimates:
            estimates.append((repo, Estimate(inputs.region)))
        add_llm_spend(estimates[0][1], inputs.llm)
    return estimates, unreadable


def run(repo: Path, files: list[str] | None) -> CheckResult:
    try:
        inputs = read_inputs(repo)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        return CheckResult(notes=["microapp.yaml has no readable monthly_budget_usd: the "
                                  "manifest check says why; the cost is not estimated"])
    estimates, findings = estimate_app(repo, inputs)
    notes: list[str] = []
    total = 0.0
    by_type: dict[str, list[Any]] = {}
    for _, result in estimates:
        notes += result.notes
        total += result.total
        for item in result.unpriced:
            by_type.setdefault(item.type, []).append(item)
    for item in by_type.pop(UNREADABLE, []):
        findings.append(Finding(_relative(repo, item.path) if item.path else ".", item.line,
                                CHECK, "unreadable", item.reason))
    for resource_type, items in sorted(by_type.items()):
        first = items[0]
        where = _relative(repo, first.path) if first.path else "microapp.yaml"
        blocking = inputs.tier >= 1 and resource_type not in inputs.acknowledged
        names = ", ".join(item.address for item in items[:5]) + (
            f" and {len(items) - 5} more" if len(items) > 5 else "")
        if resource_type == "llm":
            advice = ("; a tier 1 or 2 app needs a complete estimate" if blocking else "")
            message = f"the estimate is incomplete: {names}: {first.reason}{advice}"
        else:
            message = (
                f"the estimate is incomplete: {names} ({resource_type}) not priced: "
                f"{first.reason}. " + (
                    "For a tier 1 or 2 app that fails the check: ask the platform team to "
                    f"price it, or list {resource_type} under acknowledged_unpriced in "
                    "microapp.yaml once you know its cost" if blocking else
                    "Ask the platform team to add its price"))
        findings.append(Finding(where, first.line if first.path else inputs.budget_line,
                                CHECK, "incomplete" if blocking else "unpriced", message,
                                "error" if blocking else "warning"))
    if total > inputs.budget:
        breakdown = "\n".join(
            f"{_relative(repo, infra) or '.'}:\n{result.table()}" for infra, result in estimates)
        findings.append(Finding(
            "microapp.yaml", inputs.budget_line, CHECK, "over-budget",
            f"the app is estimated at ${total:,.2f} a month, over its budget of "
            f"${inputs.budget:,.2f} (monthly_budget_usd):\n{breakdown}"))
    return CheckResult(findings, notes, ADVICE, len(estimates))


def _relative(repo: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(repo.resolve()).as_posix()
    except ValueError:
        return str(path)
