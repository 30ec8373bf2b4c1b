"""``microapp.yaml``: the single source of a micro app's intent.

The pydantic model is the contract; the JSON Schema checked in beside the template is
generated from it (``microgate manifest schema``) and a test fails when the two drift.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from scaffold import yamlio
from scaffold.engines.expiry import expiry_problem
from scaffold.errors import MicrogateError
from scaffold.policy import TierPolicy

MANIFEST_FILE = "microapp.yaml"
SCHEMA_VERSION: Literal[1] = 1

SLUG_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
# RFC 5322's characters for the local part, less '#' (a comment in CODEOWNERS); a domain
# of letters, digits and hyphens. Nothing an answer brings can break the files it lands in.
EMAIL_PATTERN = (r"^[A-Za-z0-9.!$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                 r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}$")
# One line of text that YAML, HCL and Python all hold as written: no control characters
# (a newline would end a YAML or HCL string), no Unicode line separators (YAML folds
# them), no non-characters (YAML refuses the whole file).
ONE_LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]*$"

Slug = Annotated[str, Field(pattern=SLUG_PATTERN, min_length=3, max_length=40)]
Email = Annotated[str, Field(pattern=EMAIL_PATTERN, max_length=254)]
ResourceType = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,80}$")]
Tier = Literal[0, 1, 2]
Sensitivity = Literal["public", "internal", "confidential", "restricted"]
Runtime = Literal["serverless", "container", "static-site", "scheduled"]
Sla = Literal["best-effort", "business-hours", "24x7"]
Traffic = Literal["low", "medium", "high"]
ConnectorKind = Literal["database", "api", "spreadsheet", "storage", "email", "llm", "other"]
Access = Literal["read", "write"]
CiProvider = Literal["github", "gitlab"]

# Plain-language hints, shown after a field's error. Keyed by the field's name.
FIELD_HINTS: dict[str, str] = {
    "name": "use 3-40 lowercase letters, digits and single hyphens, like sales-report",
    "owner": "give an email address, like ana@example.com",
    "approver": "give the approver's email address, like cto@example.com",
    "monthly_budget_usd": "give a number of US dollars a month, like 50",
    "expires": "give a date as YYYY-MM-DD, like 2027-03-31",
    "tier": "0 = just me, 1 = my team, 2 = the whole organisation or customers",
    "purpose": "write one line of plain text (no line breaks or control characters)",
    "cost_center": "write one line of plain text (no line breaks or control characters)",
}


class Connector(BaseModel):
    """Another system the app talks to."""

    model_config = ConfigDict(extra="forbid")

    name: Slug = Field(description="Short name of the system, e.g. crm or finance-sheet.")
    kind: ConnectorKind = Field(description="What sort of system it is.")
    access: Access = Field(description="Whether the app only reads, or also writes.")
    # What an LLM connector is expected to cost: the cost estimate prices it.
    model: str | None = Field(default=None, min_length=1, max_length=100,
                              pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$",
                              description="For an LLM: the model the budget assumes.")
    calls_per_month: int | None = Field(default=None, ge=0, le=10**10,
                                        description="For an LLM: calls expected a month.")
    input_tokens_per_call: int | None = Field(default=None, ge=0, le=10**7,
                                              description="For an LLM: tokens sent a call.")
    output_tokens_per_call: int | None = Field(
        default=None, ge=0, le=10**7, description="For an LLM: tokens received a call.")


class Quality(BaseModel):
    """Quality floors enforced by the generated CI."""

    model_config = ConfigDict(extra="forbid")

    coverage_floor: int = Field(default=80, ge=0, le=100, description="Minimum test coverage, %.")
    prompt_pass_rate: float = Field(
        default=0.9, ge=0, le=1, description="Minimum share of golden prompt cases that pass."
    )


class Manifest(BaseModel):
    """What a micro app is, who owns it and what it may do."""

    model_config = ConfigDict(
        extra="forbid",
        title="microgate micro-app manifest",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    schema_version: Literal[1, 2] = Field(
        default=SCHEMA_VERSION,
        description="Manifest format. 2 renames cost_center to billing_code "
        "(`microgate manifest migrate` rewrites a 1 as a 2).",
    )
    name: Slug = Field(description="The app's short name: lowercase letters, digits, hyphens.")
    owner: Email = Field(description="Email of the person accountable for the app.")
    purpose: str = Field(min_length=3, max_length=500, pattern=ONE_LINE_PATTERN,
                         description="What it does, for whom.")
    cost_center: str = Field(
        min_length=1, max_length=64, pattern=ONE_LINE_PATTERN,
        description="The cost centre that pays for the app."
    )
    tier: Tier = Field(description="0 personal, 1 team, 2 organisation.")
    approver: Email | None = Field(
        default=None, description="Who approved a tier-2 app (required for tier 2)."
    )
    sla: Sla = Field(default="best-effort", description="How fast it must be fixed when broken.")
    traffic: Traffic = Field(
        default="low", description="low: <1k requests/day, medium: <100k, high: more."
    )
    data_sensitivity: Sensitivity = Field(description="The most sensitive data it touches.")
    runtime: Runtime = Field(description="How it runs.")
    schedule: str | None = Field(
        default=None, max_length=100,
        pattern=r"^(rate\(\d{1,4} (minute|minutes|hour|hours|day|days)\)"
                r"|cron\([0-9A-Za-z*?,/#\- ]{9,80}\))$",
        description="For a scheduled job: when it runs, as an EventBridge Scheduler "
        "expression: rate(1 hour), cron(0 8 ? * MON *) (UTC).")
    connectors: list[Connector] = Field(default_factory=list, description="Systems it uses.")
    monthly_budget_usd: float = Field(gt=0, description="Most it may cost a month, in USD.")
    acknowledged_unpriced: list[ResourceType] = Field(
        default_factory=list, max_length=100,
        description="Resource types the cost estimate cannot price, accepted by the owner "
        "(from tier 1 an estimate with an unpriced type fails unless it is listed here).")
    expires: dt.date = Field(description="Date it is switched off unless renewed.")
    region: str = Field(
        default="us-east-1", pattern=r"^[a-z]{2}(-[a-z]+)+-\d$", description="Cloud region."
    )
    ci: CiProvider = Field(default="github", description="Where its CI runs.")
    quality: Quality = Field(default_factory=Quality)
    template_version: str = Field(default="0", description="Template release it was made from.")

    @model_validator(mode="before")
    @classmethod
    def _schema_2_names(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("schema_version") == 2:
            data = dict(data)
            if "cost_center" in data:
                raise ValueError("schema_version 2 calls cost_center billing_code: rename it")
            if "billing_code" in data:
                data["cost_center"] = data.pop("billing_code")
        return data

    @model_validator(mode="after")
    def _approver_for_tier_2(self) -> Manifest:
        if self.tier == 2 and not self.approver:
            raise ValueError("a tier-2 app needs an approver: add approver: <email>")
        if self.runtime == "scheduled" and not self.schedule:
            raise ValueError("a scheduled job needs a schedule: add schedule: "
                             "cron(0 8 ? * MON *) (every Monday at 08:00 UTC) or rate(1 day)")
        if self.schedule and self.runtime != "scheduled":
            raise ValueError(f"schedule is for runtime: scheduled, not {self.runtime}: "
                             "remove it")
        names = [c.name for c in self.connectors]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"connector names must be unique: {', '.join(duplicates)}")
        return self


@dataclass(frozen=True)
class Problem:
    """One finding about a manifest, with where it is."""

    field: str
    message: str
    line: int | None = None
    severity: Literal["error", "warning"] = "error"

    def render(self, path: str = MANIFEST_FILE) -> str:
        where = f"{path}:{self.line}" if self.line else path
        label = "warning" if self.severity == "warning" else "error"
        return f"{where}: {label}: {self.field}: {self.message}"


def json_schema() -> dict[str, Any]:
    return Manifest.model_json_schema(mode="validation")


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


def _loc_to_field(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + item)
    return "".join(parts) or "(top level)"


class _Shown(str):
    """A value cut for a message: its repr is the cut text, marked."""

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + "...'"


def _shortened(value: Any, limit: int = 60) -> Any:
    if isinstance(value, str) and len(value) > limit:
        return _Shown(value[:limit])
    return value


def _plain_message(error: Any) -> str:
    kind = error["type"]
    value = _shortened(error.get("input"))
    ctx = error.get("ctx") or {}
    field = next((str(p) for p in reversed(error["loc"]) if isinstance(p, str)), "")
    hint = FIELD_HINTS.get(field)
    if kind == "missing":
        message = "is required"
    elif kind == "extra_forbidden":
        return "is not a known field; check its spelling or remove it"
    elif kind in {"float_parsing", "int_parsing", "float_type", "int_type"}:
        message = f"{value!r} is not a number"
    elif kind in {"greater_than", "greater_than_equal"}:
        message = f"{value!r} is too small: it must be more than {ctx.get('gt', ctx.get('ge'))}"
    elif kind in {"less_than", "less_than_equal"}:
        message = f"{value!r} is too large: it must be at most {ctx.get('lt', ctx.get('le'))}"
    elif kind == "literal_error":
        message = f"{value!r} is not one of: {ctx.get('expected', '')}"
    elif kind.startswith("date"):
        message = f"{value!r} is not a date"
    elif kind == "string_pattern_mismatch":
        message = f"{value!r} is not valid"
    elif kind in {"string_too_short", "string_too_long"}:
        message = f"{value!r} is too {'short' if kind.endswith('short') else 'long'}"
    elif kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    elif kind == "model_type":
        return "must be a mapping of fields (key: value lines)"
    elif kind == "list_type":
        return "must be a list"
    else:
        message = str(error["msg"])
    return f"{message}; {hint}" if hint else message


def describe_validation_error(
    exc: ValidationError, locate: dict[tuple[int | str, ...], int] | None = None
) -> list[Problem]:
    problems = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        line = None
        if locate:
            for depth in range(len(loc), -1, -1):
                if loc[:depth] in locate:
                    line = locate[loc[:depth]]
                    break
        problems.append(Problem(_loc_to_field(loc), _plain_message(error), line))
    return problems


def _line_index(node: yaml.Node, prefix: tuple[int | str, ...] = ()) -> dict[Any, int]:
    """Map each key path of a composed YAML document to its 1-based line."""
    index: dict[Any, int] = {prefix: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = (*prefix, key_node.value)
            index.update(_line_index(value_node, path))
            index[path] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            index.update(_line_index(item, (*prefix, position)))
    return index


@dataclass(frozen=True)
class LoadedManifest:
    manifest: Manifest | None
    problems: list[Problem]
    lines: dict[Any, int]


def parse_manifest_text(text: str) -> LoadedManifest:
    """Validate manifest text; structural problems come back with their lines."""
    try:
        raw = yamlio.load(text, unique_keys=True)
        node = yaml.compose(text, Loader=yamlio.safe_loader())
    except (yaml.YAMLError, yamlio.InvalidYaml, RecursionError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problem = Problem("(file)", f"this is not valid YAML: {reason}", line)
        return LoadedManifest(None, [problem], {})
    lines = _line_index(node) if node is not None else {}
    if not isinstance(raw, dict):
        problem = Problem("(file)", "the manifest must be a mapping of key: value lines", 1)
        return LoadedManifest(None, [problem], lines)
    try:
        return LoadedManifest(Manifest.model_validate(raw), [], lines)
    except ValidationError as exc:
        return LoadedManifest(None, describe_validation_error(exc, lines), lines)


MAX_MANIFEST_BYTES = 1_000_000


def read_manifest(path: Path) -> LoadedManifest:
    from scaffold.safefiles import SkippedFile, read_bytes

    try:
        data = read_bytes(path.parent, path.name, max_bytes=MAX_MANIFEST_BYTES,
                          display=str(path))
    except FileNotFoundError:
        raise MicrogateError(
            f"{path}: no manifest here; run 'microgate new' to create a micro app"
        ) from None
    except SkippedFile as exc:
        raise MicrogateError(f"{path}: cannot read the manifest: {exc.why}") from None
    if b"\0" in data[:8192]:
        raise MicrogateError(f"{path}: the manifest is a binary file, not YAML text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MicrogateError(
            f"{path}: the manifest is not UTF-8 text (bad byte at offset {exc.start}); "
            "save it as UTF-8"
        ) from None
    return parse_manifest_text(text)


def policy_problems(
    manifest: Manifest,
    policy: TierPolicy,
    *,
    today: dt.date | None = None,
    lines: dict[Any, int] | None = None,
    for_new_app: bool = False,
) -> list[Problem]:
    """Problems with the tier rules of the platform's policy."""
    today = today or dt.date.today()
    lines = lines or {}
    rule = policy.rule(manifest.tier)
    tier_name = f"tier {manifest.tier} ({rule.label})"
    problems: list[Problem] = []

    def add(field: str, message: str, severity: Literal["error", "warning"] = "error") -> None:
        problems.append(Problem(field, message, lines.get((field,)), severity))

    if manifest.monthly_budget_usd > rule.max_monthly_budget_usd:
        add(
            "monthly_budget_usd",
            f"${manifest.monthly_budget_usd:g} a month is over the {tier_name} cap of "
            f"${rule.max_monthly_budget_usd:g}; lower the budget or ask for a higher tier",
        )
    if not rule.allows_sensitivity(manifest.data_sensitivity):
        needed = policy.lowest_tier_for(manifest.data_sensitivity)
        add(
            "data_sensitivity",
            f"{tier_name} apps may hold at most {rule.max_data_sensitivity} data, not "
            f"{manifest.data_sensitivity}"
            + (f"; choose tier {needed} or higher" if needed is not None else ""),
        )
    if rule.approver_required and not manifest.approver:
        add("approver", f"{tier_name} apps need an approver's email")
    problem = expiry_problem(
        manifest.expires, today, tier_name=tier_name, max_ttl_days=rule.max_ttl_days,
        warning_days=policy.expiry_warning_days, for_new_app=for_new_app,
    )
    if problem:
        add("expires", problem[1], problem[0])
    return problems


def field_error(name: str, value: Any) -> str | None:
    """Validate one field on its own (for live validation); a plain message or None."""
    from pydantic import TypeAdapter

    info = Manifest.model_fields[name]
    # The field's own FieldInfo as metadata carries its constraints (pattern, bounds...).
    adapter: TypeAdapter[Any] = TypeAdapter(
        Annotated[info.annotation, info]  # type: ignore[arg-type]
    )
    try:
        adapter.validate_python(value)
    except ValidationError as exc:
        error: dict[str, Any] = dict(exc.errors()[0])
        error["loc"] = (name, *error["loc"])
        return _plain_message(error)
    return None


# Field names renamed by each schema version: {version: {old name: new name}}.
SCHEMA_RENAMES: dict[int, dict[str, str]] = {2: {"cost_center": "billing_code"}}
LATEST_SCHEMA_VERSION = max(SCHEMA_RENAMES)


def migrate_manifest_text(text: str, to_version: int = LATEST_SCHEMA_VERSION) -> str:
    """Rewrite a manifest's text to a newer schema version, keeping its comments."""
    import re

    match = re.search(r"^schema_version:[ \t]*(\d+)[ \t]*(#.*)?$", text, re.MULTILINE)
    current = int(match.group(1)) if match else 1
    if to_version < current:
        raise MicrogateError(f"the manifest is at schema version {current}; it cannot go back "
                             f"to {to_version}")
    if to_version not in (1, *SCHEMA_RENAMES):
        raise MicrogateError(f"there is no manifest schema version {to_version} "
                             f"(the newest is {LATEST_SCHEMA_VERSION})")
    for version in range(current + 1, to_version + 1):
        for old, new in SCHEMA_RENAMES.get(version, {}).items():
            text = re.sub(rf"^{re.escape(old)}:", f"{new}:", text, flags=re.MULTILINE)
    if match:
        text = text[:match.start(1)] + str(to_version) + text[match.end(1):]
    else:
        text = f"schema_version: {to_version}\n" + text
    return text
