"""The prompts check: every prompt registered, versioned, pinned, tested by golden cases,
and pinned to a model the app's budget pays for."""

from __future__ import annotations

from pathlib import Path

from scaffold.checks import CheckResult
from scaffold.engines.prompts import PROMPTS_DIR, check_repo
from scaffold.findings import Finding

CHECK = "prompts"
ADVICE = """\
Prompts are code: each lives in prompts/<name>/v<N>.md with its model, temperature 0 and
(for structured answers) an output_schema in front matter; prompts/manifest.yaml pins the
version in use and its model; prompts/golden/<name>.jsonl holds at least one example.
A released version never changes: copy it to v<N+1>.md, edit that, then run
'microgate prompts release <name>' and 'microgate prompts eval --record'."""


def run(repo: Path, files: list[str] | None) -> CheckResult:
    if not (repo / PROMPTS_DIR).is_dir():
        return CheckResult()
    findings = check_repo(repo)
    findings += pricier_models(repo)
    return CheckResult(findings, [], ADVICE, 1)


def pricier_models(repo: Path) -> list[Finding]:
    """A warning for each prompt pinned to a model that costs more per call than the
    models microapp.yaml's LLM connectors budget for (or that has no price at all)."""
    from scaffold.checks.cost import read_inputs
    from scaffold.engines.cost import cost_of_call
    from scaffold.engines.prompts import REGISTRY_FILE, read_registry
    from scaffold.errors import MicrogateError

    try:
        uses = [use for use in read_inputs(repo).llm if use.model]
        registry = read_registry(repo)
    except (MicrogateError, OSError, ValueError, KeyError, TypeError, AttributeError,
            UnicodeDecodeError):
        return []  # the manifest and prompts checks say what is wrong with them
    if not uses:
        return []
    tokens_in = max(use.input_tokens_per_call or 0 for use in uses) or 1000
    tokens_out = max(use.output_tokens_per_call or 0 for use in uses) or 300
    budgeted = {use.model: cost_of_call(str(use.model), tokens_in, tokens_out)
                for use in uses}
    known = [cost for cost in budgeted.values() if cost is not None]
    if not known:
        return []
    ceiling, assumed = max((cost, model) for model, cost in budgeted.items()
                           if cost is not None)
    text = (repo / REGISTRY_FILE).read_text(encoding="utf-8", errors="replace")
    findings = []
    for entry in registry.values():
        per_call = cost_of_call(entry.model, tokens_in, tokens_out)
        line = _model_line(text, entry.name)
        if per_call is None:
            findings.append(Finding(
                REGISTRY_FILE, line, CHECK, "model-unpriced",
                f"{entry.name} is pinned to {entry.model}, which has no price in "
                f"policies/pricing.yaml: the budget assumed {assumed}; its cost is unknown",
                "warning"))
        elif per_call > ceiling * 1.0001:
            findings.append(Finding(
                REGISTRY_FILE, line, CHECK, "model-over-budget",
                f"{entry.name} is pinned to {entry.model}, which costs about "
                f"{per_call / ceiling:.1f}x as much a call as {assumed}, the model "
                "microapp.yaml's budget assumes: "
                "pin the cheaper model, or set that connector's model in microapp.yaml "
                "(and check the budget with 'microgate cost')", "warning"))
    return findings


def _model_line(text: str, name: str) -> int | None:
    import re

    match = re.search(rf"^\s+{re.escape(name)}:\s*$(?:\n.*?)*?^\s+model:", text,
                      re.MULTILINE)
    return text.count("\n", 0, match.end()) + 1 if match else None
