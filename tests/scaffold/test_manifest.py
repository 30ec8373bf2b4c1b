from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from scaffold.manifest import (
    Manifest,
    json_schema_text,
    parse_manifest_text,
    policy_problems,
)
from scaffold.policy import default_policy
from scaffold.resources import bundled_template
from testing.util import answers

TODAY = dt.date(2026, 11, 24)


def manifest_text(**overrides: object) -> str:
    data = answers(**overrides)
    data["expires"] = (TODAY + dt.timedelta(days=30)).isoformat()
    data.update(overrides)
    return yaml.safe_dump(data, sort_keys=False)


def test_checked_in_schema_matches_the_model() -> None:
    checked_in = bundled_template() / "template" / ".microgate" / "microapp.schema.json"
    assert checked_in.read_text(encoding="utf-8") == json_schema_text(), (
        "the schema drifted from the model: run "
        "'microgate manifest schema --output templates/microapp/template/.microgate/"
        "microapp.schema.json'"
    )


def test_schema_rejects_what_the_model_rejects() -> None:
    import jsonschema

    schema = json.loads(json_schema_text())
    bad = yaml.safe_load(manifest_text(tier=5))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(json.loads(json.dumps(bad, default=str)), schema)


def test_valid_manifest_parses() -> None:
    loaded = parse_manifest_text(manifest_text())
    assert loaded.problems == []
    assert loaded.manifest is not None and loaded.manifest.name == "sales-report"


def test_errors_name_the_line_and_field_in_plain_words() -> None:
    text = manifest_text(monthly_budget_usd="lots", owner="not-an-email")
    loaded = parse_manifest_text(text)
    rendered = {p.field: (p.line, p.message) for p in loaded.problems}
    lines = text.splitlines()
    budget_line, budget_message = rendered["monthly_budget_usd"]
    assert budget_line is not None and lines[budget_line - 1].startswith("monthly_budget_usd:")
    assert "'lots' is not a number" in budget_message
    owner_line, owner_message = rendered["owner"]
    assert owner_line is not None and lines[owner_line - 1].startswith("owner:")
    assert "email address" in owner_message


def test_nested_connector_error_points_at_its_line() -> None:
    text = manifest_text(connectors=[{"name": "crm", "kind": "api", "access": "delete"}])
    loaded = parse_manifest_text(text)
    (problem,) = loaded.problems
    assert problem.field == "connectors[0].access"
    assert problem.line is not None and "access: delete" in text.splitlines()[problem.line - 1]


def test_unknown_field_is_reported() -> None:
    loaded = parse_manifest_text(manifest_text(colour="blue"))
    assert [p.field for p in loaded.problems] == ["colour"]
    assert "not a known field" in loaded.problems[0].message


@pytest.mark.parametrize("text", ["just a string", "- a\n- list", "a: [", ""])
def test_non_mapping_or_broken_yaml_is_a_problem_not_a_crash(text: str) -> None:
    loaded = parse_manifest_text(text)
    assert loaded.manifest is None
    assert loaded.problems and loaded.problems[0].field == "(file)"


def test_tier_2_needs_an_approver() -> None:
    loaded = parse_manifest_text(manifest_text(tier=2, monthly_budget_usd=100))
    assert any("approver" in p.message for p in loaded.problems)


def test_tier_0_cannot_hold_restricted_data_or_exceed_its_budget_cap() -> None:
    manifest = Manifest.model_validate(
        yaml.safe_load(manifest_text(tier=0, data_sensitivity="restricted",
                                     monthly_budget_usd=60))
    )
    problems = {p.field: p.message for p in policy_problems(manifest, default_policy(),
                                                             today=TODAY)}
    assert "at most internal data" in problems["data_sensitivity"]
    assert "choose tier 2" in problems["data_sensitivity"]
    assert "cap of $50" in problems["monthly_budget_usd"]


def test_expiry_warns_within_14_days_and_fails_after() -> None:
    policy = default_policy()

    def problems_on(expires: dt.date) -> list[tuple[str, str]]:
        manifest = Manifest.model_validate(
            {**yaml.safe_load(manifest_text()), "expires": expires.isoformat()}
        )
        return [(p.severity, p.field) for p in policy_problems(manifest, policy, today=TODAY)]

    assert problems_on(TODAY + dt.timedelta(days=30)) == []
    assert problems_on(TODAY + dt.timedelta(days=14)) == [("warning", "expires")]
    assert problems_on(TODAY - dt.timedelta(days=1)) == [("error", "expires")]
    assert problems_on(TODAY + dt.timedelta(days=400)) == [("error", "expires")]


def test_caps_come_from_the_policy_file(tmp_path: Path) -> None:
    from scaffold.policy import load_policy
    from scaffold.resources import policy_file

    raw = yaml.safe_load(policy_file("tiers.yaml").read_text())
    raw["tiers"][1]["max_monthly_budget_usd"] = 30
    changed = tmp_path / "tiers.yaml"
    changed.write_text(yaml.safe_dump(raw))
    manifest = Manifest.model_validate(yaml.safe_load(manifest_text(monthly_budget_usd=40)))
    assert policy_problems(manifest, default_policy(), today=TODAY) == []
    problems = policy_problems(manifest, load_policy(changed), today=TODAY)
    assert [p.field for p in problems] == ["monthly_budget_usd"]


@settings(max_examples=60, deadline=None)
@given(
    name=st.from_regex(r"\A[a-z][a-z0-9]{2,10}(-[a-z0-9]{1,5}){0,2}\Z"),
    budget=st.floats(min_value=0.01, max_value=500, allow_nan=False),
    tier=st.sampled_from([0, 1, 2]),
)
def test_every_valid_manifest_round_trips_through_yaml(name: str, budget: float,
                                                       tier: int) -> None:
    data = yaml.safe_load(manifest_text(name=name, monthly_budget_usd=budget, tier=tier,
                                        approver="boss@example.com"))
    manifest = Manifest.model_validate(data)
    dumped = yaml.safe_dump(manifest.model_dump(mode="json"))
    assert parse_manifest_text(dumped).manifest == manifest


@pytest.mark.parametrize(("overrides", "message"), [
    ({"runtime": "scheduled"}, "a scheduled job needs a schedule"),
    ({"runtime": "serverless", "schedule": "rate(1 day)"},
     "schedule is for runtime: scheduled, not serverless"),
    ({"runtime": "scheduled", "schedule": "every monday"}, "schedule"),
])
def test_a_schedule_belongs_to_a_scheduled_job(overrides: dict[str, Any], message: str) -> None:
    data = yaml.safe_load(manifest_text())
    data.update(overrides)
    loaded = parse_manifest_text(yaml.safe_dump(data, sort_keys=False))
    assert loaded.manifest is None
    assert any(message in problem.message or message == problem.field
               for problem in loaded.problems), loaded.problems
