"""The wizard's questions as JSON Schema, for forms outside microgate.

One schema, derived from the manifest model and the tier policy, serves the cookiecutter
flavour's pre-generation check and (reshaped) the Backstage web form, so every route to
a new app accepts and refuses the same answers. JSON Schema has no notion of today, so
the expiry window is described separately (:func:`expiry_windows`).
"""

from __future__ import annotations

import copy
from typing import Any

from scaffold.manifest import Manifest
from scaffold.policy import SENSITIVITY_ORDER, TierPolicy

# Manifest fields that are not questions: microgate fills them itself.
NOT_ASKED = ("schema_version", "template_version", "acknowledged_unpriced")

# What each question says, in the words the wizard uses.
QUESTION_TITLES: dict[str, str] = {
    "name": "What should the app be called?",
    "purpose": "In one sentence, what does it do, and for whom?",
    "owner": "Who owns it? Their work email",
    "cost_center": "Which cost centre pays for it?",
    "tier": "Who will use it?",
    "approver": "Who approves it for the organisation? Their email",
    "data_sensitivity": "What is the most sensitive data it touches?",
    "runtime": "How should it run?",
    "schedule": "When should it run? (for a scheduled job: cron(0 8 ? * MON *), rate(1 day))",
    "sla": "If it breaks, how soon must it be fixed?",
    "traffic": "How much will it be used?",
    "connectors": "Which other systems does it connect to?",
    "monthly_budget_usd": "What is the most it may cost a month, in US dollars?",
    "expires": "When should it be switched off unless someone renews it? (YYYY-MM-DD)",
    "region": "Cloud region",
    "ci": "Where does your team keep code?",
    "quality": "Quality floors",
}


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target = defs[node["$ref"].rsplit("/", 1)[-1]]
            return _inline_refs({**target, **{k: v for k, v in node.items() if k != "$ref"}},
                                defs)
        return {key: _inline_refs(value, defs) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline_refs(item, defs) for item in node]
    return node


def _without_null(node: dict[str, Any]) -> dict[str, Any]:
    """``X | None`` becomes X: a form leaves an optional answer out instead."""
    options = node.get("anyOf")
    if options and any(option.get("type") == "null" for option in options):
        kept = [option for option in options if option.get("type") != "null"]
        rest = {k: v for k, v in node.items() if k not in ("anyOf", "default")}
        return {**rest, **kept[0]} if len(kept) == 1 else {**rest, "anyOf": kept}
    return node


def _strip_titles(node: Any) -> Any:
    """pydantic's generated titles ("Cost Center") read worse than none."""
    if isinstance(node, dict):
        return {key: _strip_titles(value) for key, value in node.items()
                if not (key == "title" and isinstance(value, str))}
    if isinstance(node, list):
        return [_strip_titles(item) for item in node]
    return node


def tier_rules(policy: TierPolicy) -> list[dict[str, Any]]:
    """The policy's per-tier limits as ``if tier is N then ...`` clauses."""
    rules = []
    for tier, rule in sorted(policy.tiers.items()):
        allowed = [level for level in SENSITIVITY_ORDER if rule.allows_sensitivity(level)]
        then: dict[str, Any] = {
            "properties": {
                "monthly_budget_usd": {"maximum": rule.max_monthly_budget_usd},
                "data_sensitivity": {"enum": allowed},
            }
        }
        if rule.approver_required:
            then["required"] = ["approver"]
        rules.append({
            "if": {"properties": {"tier": {"const": tier}}, "required": ["tier"]},
            "then": then,
        })
    return rules


def question_schema(policy: TierPolicy) -> dict[str, Any]:
    """The answers to the wizard's questions, in the manifest's shape (draft-07)."""
    model = Manifest.model_json_schema(mode="validation")
    defs = model.get("$defs", {})
    properties: dict[str, Any] = {}
    for name, node in model["properties"].items():
        if name in NOT_ASKED:
            continue
        field = _strip_titles(_without_null(_inline_refs(node, defs)))
        properties[name] = {"title": QUESTION_TITLES.get(name, name), **field}
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "A new micro app",
        "type": "object",
        "required": [name for name in model.get("required", []) if name not in NOT_ASKED],
        "properties": properties,
        "additionalProperties": False,
        "allOf": tier_rules(policy),
    }


def expiry_windows(policy: TierPolicy) -> dict[str, int]:
    """The longest life, in days from today, of a new app of each tier."""
    return {str(tier): rule.max_ttl_days for tier, rule in policy.tiers.items()}


def mapping_form(schema: dict[str, Any]) -> dict[str, Any]:
    """Lists of named objects (connectors) as ``{name: {...}}`` mappings.

    Cookiecutter has no list variables (a list is a choice) and Backstage hands its
    values to cookiecutter as they are, so both use the mapping; the names stay unique
    by construction, as the manifest requires.
    """
    reshaped = copy.deepcopy(schema)
    for name, field in reshaped["properties"].items():
        items = field.get("items") if field.get("type") == "array" else None
        if not (isinstance(items, dict) and "name" in items.get("properties", {})):
            continue
        value = {k: v for k, v in items.items() if k != "title"}
        value["properties"] = {k: v for k, v in items["properties"].items() if k != "name"}
        value["required"] = [k for k in items.get("required", []) if k != "name"]
        reshaped["properties"][name] = {
            "title": field.get("title", name),
            "description": f"{field.get('description', '')} One entry per system, by name."
                           .strip(),
            "type": "object",
            "propertyNames": {k: v for k, v in items["properties"]["name"].items()
                              if k not in ("title", "description", "type")},
            "additionalProperties": value,
        }
    return reshaped


def to_mapping_form(answers: dict[str, Any],
                    fields: tuple[str, ...] = ("connectors",)) -> dict[str, Any]:
    """Manifest-shaped answers -> the mapping form (see :func:`mapping_form`)."""
    values = dict(answers)
    for name in fields:
        items = values.get(name)
        if isinstance(items, list) and all(
            isinstance(item, dict) and isinstance(item.get("name"), str) for item in items
        ):
            values[name] = {
                item["name"]: {k: v for k, v in item.items() if k != "name"} for item in items
            }
    return values
