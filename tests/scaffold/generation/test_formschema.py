"""The question schema (Backstage form, cookiecutter check) against the manifest model.

Whatever the wizard's rules accept, the form accepts, and the other way round; the
cookiecutter hook's small validator agrees with jsonschema on the same inputs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator, FormatChecker

from scaffold.errors import UsageError
from scaffold.generation.answers import to_manifest
from scaffold.generation.formschema import expiry_windows, question_schema, to_mapping_form
from scaffold.platform.cookiecutter_hook import answer_problems, schema_problems
from scaffold.platform.export import FORM_PAGES, form_pages
from scaffold.policy import default_policy

TODAY = dt.date.today()
POLICY = default_policy()
SCHEMA = question_schema(POLICY)
PAGES = form_pages(POLICY)


def manifest_accepts(values: dict[str, Any]) -> bool:
    try:
        to_manifest(values, POLICY, today=TODAY)
    except UsageError:
        return False
    return True


def form_accepts(values: dict[str, Any]) -> bool:
    """Backstage validates each page of the form on its own, in the mapping form."""
    form = to_mapping_form(values)
    for page in PAGES[: len(FORM_PAGES)]:
        subset = {key: value for key, value in form.items() if key in page["properties"]}
        validator = Draft7Validator({"type": "object", **page}, format_checker=FormatChecker())
        if any(True for _ in validator.iter_errors(subset)):
            return False
    unknown = set(form) - {name for page in PAGES for name in page["properties"]}
    return not unknown


def hook_accepts(values: dict[str, Any]) -> bool:
    return answer_problems(values, SCHEMA, expiry_windows(POLICY), TODAY) == []


SOON = (TODAY + dt.timedelta(days=30)).isoformat()
# For each question: (answers the wizard takes, answers it refuses whatever the tier).
OPTIONS: dict[str, tuple[list[Any], list[Any]]] = {
    "name": (["sales-report", "a1-b2"], ["ab", "Sales Report", "x" * 41, "bad--name"]),
    "purpose": (["Weekly sales figures"], ["ok", "", "x" * 501]),
    "owner": (["ana@example.com"], ["ana", "ana@example", "a b@example.com"]),
    "cost_center": (["cc-1234"], ["", "x" * 65]),
    "runtime": (["serverless", "container", "static-site", "scheduled"], ["vm"]),
    "sla": (["best-effort", "24x7"], ["asap"]),
    "traffic": (["low", "high"], ["huge"]),
    "region": (["us-east-1", "eu-west-1"], ["mars", "US-EAST-1"]),
    "ci": (["github", "gitlab"], ["jenkins"]),
    "expires": ([SOON], ["2027-02-30", "next week", "31/12/2026"]),
    "monthly_budget_usd": ([0.5, 20, 50, 51, 500, 501.5, 5000], [-5, 0, 9999]),
    "data_sensitivity": (["public", "internal", "confidential", "restricted"], ["secret"]),
    "tier": ([0, 1, 2], []),
    "approver": ([None, "cto@example.com"], ["cto"]),
    "connectors": ([[], [{"name": "crm", "kind": "api", "access": "read"}],
                    [{"name": "crm", "kind": "llm", "access": "write"},
                     {"name": "finance-sheet", "kind": "spreadsheet", "access": "read"}]],
                   [[{"name": "Bad Name", "kind": "api", "access": "read"}],
                    [{"name": "crm", "kind": "fax", "access": "read"}],
                    [{"name": "crm", "kind": "api", "access": "admin"}]]),
    "quality": ([None, {"coverage_floor": 80, "prompt_pass_rate": 0.9},
                 {"coverage_floor": 0, "prompt_pass_rate": 1.0}],
                [{"coverage_floor": 101, "prompt_pass_rate": 0.9},
                 {"coverage_floor": 80, "prompt_pass_rate": 1.5}]),
}


@st.composite
def answers_strategy(draw: st.DrawFn) -> dict[str, Any]:
    """Good answers with none, one or two spoilt; the tier rules (budget cap, data,
    approver) come and go with the tier drawn."""
    values = {key: draw(st.sampled_from(good)) for key, (good, _) in OPTIONS.items()}
    spoilable = sorted(key for key, (_, bad) in OPTIONS.items() if bad)
    for key in draw(st.lists(st.sampled_from(spoilable), max_size=2, unique=True)):
        values[key] = draw(st.sampled_from(OPTIONS[key][1]))
    return {key: value for key, value in values.items() if value is not None}


@settings(max_examples=300, deadline=None)
@given(answers_strategy())
def test_the_form_and_the_hook_accept_exactly_what_the_manifest_accepts(
        values: dict[str, Any]) -> None:
    expected = manifest_accepts(values)
    assert form_accepts(values) == expected
    assert hook_accepts(values) == expected


@settings(max_examples=300, deadline=None)
@given(answers_strategy())
def test_the_hooks_validator_agrees_with_jsonschema(values: dict[str, Any]) -> None:
    reference = Draft7Validator(SCHEMA, format_checker=FormatChecker())
    assert (schema_problems(values, SCHEMA) == []) == reference.is_valid(values)


def test_some_answers_of_each_kind_are_accepted_and_refused() -> None:
    good = {
        "name": "sales-report", "purpose": "Weekly sales figures", "owner": "ana@example.com",
        "cost_center": "cc-1", "tier": 2, "approver": "cto@example.com",
        "data_sensitivity": "restricted", "runtime": "container", "monthly_budget_usd": 900,
        "expires": (TODAY + dt.timedelta(days=400)).isoformat(),
        "connectors": [{"name": "crm", "kind": "api", "access": "read"}],
    }
    assert manifest_accepts(good) and form_accepts(good) and hook_accepts(good)
    for change in ({"approver": None}, {"tier": 0}, {"monthly_budget_usd": 6000},
                   {"name": "Sales"}, {"connectors": [{"name": "crm", "kind": "fax",
                                                       "access": "read"}]}):
        bad = {**good, **change}
        assert not manifest_accepts(bad) and not form_accepts(bad) and not hook_accepts(bad)


@pytest.mark.parametrize("days", [0, -3, 731])
def test_the_expiry_window_is_the_hooks_job_as_a_form_cannot_know_today(days: int) -> None:
    values = {"name": "sales-report", "purpose": "Weekly sales", "owner": "ana@example.com",
              "cost_center": "cc-1", "tier": 2, "approver": "cto@example.com",
              "data_sensitivity": "internal", "runtime": "serverless",
              "monthly_budget_usd": 20,
              "expires": (TODAY + dt.timedelta(days=days)).isoformat()}
    assert not manifest_accepts(values)
    assert form_accepts(values)
    problems = answer_problems(values, SCHEMA, expiry_windows(POLICY), TODAY)
    assert len(problems) == 1 and problems[0].startswith("expires: ")
    help_text = PAGES[1]["properties"]["expires"]["ui:help"]
    assert "730 days ahead for tier 2" in help_text


def test_the_validator_refuses_keywords_it_does_not_know() -> None:
    with pytest.raises(ValueError, match="unsupported schema keywords: oneOf"):
        schema_problems("x", {"oneOf": [{"type": "string"}]})
