"""Answers to the wizard's questions, from a data file, ``--set`` pairs or defaults.

Every route ends in :func:`to_manifest`, so the wizard, CI and platform teams share one
set of rules and one set of messages.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from scaffold.errors import UsageError
from scaffold.manifest import (
    EMAIL_PATTERN,
    Manifest,
    describe_validation_error,
    policy_problems,
)
from scaffold.policy import TierPolicy

# The keys a person answers, in the order the wizard asks them.
ANSWER_KEYS: tuple[str, ...] = (
    "name",
    "purpose",
    "owner",
    "cost_center",
    "tier",
    "approver",
    "data_sensitivity",
    "runtime",
    "schedule",
    "sla",
    "traffic",
    "connectors",
    "monthly_budget_usd",
    "expires",
    "ci",
    "region",
    "quality",
)
REQUIRED_KEYS = ("name", "purpose", "owner", "cost_center", "tier", "data_sensitivity",
                 "runtime", "monthly_budget_usd", "expires")
MAX_DATA_FILE_BYTES = 1_000_000
# A scheduled job's default: every Monday at 08:00 UTC (a weekly digest).
DEFAULT_SCHEDULE = "cron(0 8 ? * MON *)"


def git_user_email() -> str | None:
    try:
        result = subprocess.run(
            ["git", "config", "--get", "user.email"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    email = result.stdout.strip()
    return email if re.match(EMAIL_PATTERN, email) else None


def default_answers(policy: TierPolicy, today: dt.date | None = None) -> dict[str, Any]:
    today = today or dt.date.today()
    tier = 0
    return {
        "name": "my-micro-app",
        "purpose": "A small internal tool",
        "owner": git_user_email() or "owner@example.com",
        "cost_center": "unassigned",
        "tier": tier,
        "data_sensitivity": "internal",
        "runtime": "serverless",
        "sla": "best-effort",
        "traffic": "low",
        "connectors": [],
        "monthly_budget_usd": min(20.0, policy.rule(tier).max_monthly_budget_usd),
        "expires": (today + dt.timedelta(days=min(90, policy.rule(tier).max_ttl_days))).isoformat(),
        "ci": "github",
    }


def check_known_keys(data: dict[str, Any], source: str) -> None:
    unknown = sorted(str(key) for key in data if key not in ANSWER_KEYS)
    if unknown:
        raise UsageError(
            f"{source}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
            f"(known keys: {', '.join(ANSWER_KEYS)})"
        )


def read_data_file(path: Path) -> dict[str, Any]:
    """Read a YAML (or JSON) answers file, refusing anything that is not a mapping."""
    try:
        size = path.stat().st_size
        if size > MAX_DATA_FILE_BYTES:
            raise UsageError(f"{path}: {size} bytes is too large for an answers file")
        raw_bytes = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such answers file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a folder, not an answers file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the answers file: {exc.strerror}") from None
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: the answers file is not UTF-8 text") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise UsageError(f"{where}: the answers file is not valid YAML") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UsageError(f"{path}: the answers file must be a mapping of key: value lines")
    check_known_keys(data, str(path))
    return data


def parse_connectors(value: str) -> list[dict[str, str]]:
    """``crm:api:read,sheet:spreadsheet:write`` -> a list of connectors."""
    connectors = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        pieces = item.split(":")
        if len(pieces) != 3:
            raise UsageError(
                f"--set connectors: {item!r} should be name:kind:access, like crm:api:read"
            )
        name, kind, access = pieces
        connectors.append({"name": name, "kind": kind, "access": access})
    return connectors


def parse_set_pairs(pairs: list[str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--set {pair!r}: write it as key=value, like --set tier=1")
        check_known_keys({key: value}, "--set")
        if key == "connectors":
            data[key] = parse_connectors(value)
        elif key == "approver" and not value:
            data[key] = None
        elif key == "quality":
            raise UsageError("--set quality: set quality in a --data-file instead")
        else:
            data[key] = value
    return data


def with_llm_defaults(connectors: Any, traffic: str) -> Any:
    """LLM connectors get the model, calls and tokens the cost estimate needs (from
    policies/pricing.yaml's llm_defaults and the traffic) where the answers give none."""
    if not isinstance(connectors, list):
        return connectors if connectors is not None else []
    from scaffold.engines.cost import pricing

    table = pricing()
    defaults = table["llm_defaults"]
    level = table["usage"].get(traffic) or table["usage"]["low"]
    calls = int(float(level["requests_per_month"]) * float(defaults["calls_per_request"]))
    filled = []
    for connector in connectors:
        if isinstance(connector, dict) and connector.get("kind") == "llm":
            connector = {"model": defaults["model"], "calls_per_month": calls,
                         "input_tokens_per_call": defaults["input_tokens_per_call"],
                         "output_tokens_per_call": defaults["output_tokens_per_call"],
                         **{k: v for k, v in connector.items() if v is not None}}
        filled.append(connector)
    return filled


def missing_keys(data: dict[str, Any]) -> list[str]:
    return [key for key in REQUIRED_KEYS if data.get(key) in (None, "")]


def to_manifest(
    data: dict[str, Any],
    policy: TierPolicy,
    *,
    template_version: str = "0",
    source: str = "answers",
    today: dt.date | None = None,
) -> Manifest:
    """Validate answers into a manifest, or raise one plain-language UsageError."""
    check_known_keys(data, source)
    payload = {key: value for key, value in data.items() if value is not None}
    if isinstance(payload.get("tier"), str) and payload["tier"].strip().isdigit():
        payload["tier"] = int(payload["tier"])
    payload["template_version"] = template_version
    if payload.get("runtime") == "scheduled" and not payload.get("schedule"):
        payload["schedule"] = DEFAULT_SCHEDULE
    payload["connectors"] = with_llm_defaults(payload.get("connectors"),
                                              str(payload.get("traffic", "low")))
    try:
        manifest = Manifest.model_validate(payload)
    except ValidationError as exc:
        problems = describe_validation_error(exc)
        raise UsageError(
            f"{source}: " + "; ".join(f"{p.field}: {p.message}" for p in problems)
        ) from None
    errors = [
        p for p in policy_problems(manifest, policy, today=today, for_new_app=True)
        if p.severity == "error"
    ]
    if errors:
        raise UsageError(f"{source}: " + "; ".join(f"{p.field}: {p.message}" for p in errors))
    return manifest
