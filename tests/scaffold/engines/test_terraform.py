"""scaffold/engines/terraform.py and scaffold/engines/hclexpr.py: the generated Terraform
as Terraform will evaluate it, read from microapp.yaml (one source of truth)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from scaffold.engines.hclexpr import Unknown, template
from scaffold.engines.terraform import Module, load_module, parse_file, resources

RUNTIMES = ["serverless", "container", "static-site", "scheduled"]


def budget(repo: Path) -> tuple[Module, dict[str, Any]]:
    module = load_module(repo / "infra", boundary=repo)
    found = next(r for r in module.resources if r.type == "aws_budgets_budget")
    return module, found.body


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_a_manifest_edit_reaches_tags_budget_and_caps(make_app: Any, runtime: str) -> None:
    repo = make_app(runtime=runtime, tier=1, git=False, monthly_budget_usd=40)
    module, body = budget(repo)
    name = re.search(r"^name: (\S+)$", (repo / "microapp.yaml").read_text(), re.M)
    assert name
    # the budget tracks the app's own tag: "user:app$<name>" (not "${var...}" text)
    assert module.evaluate(body["cost_filter"])[0]["values"] == [f"user:app${name.group(1)}"]
    assert module.evaluate(body["limit_amount"]) == "40.00"
    assert module.evaluate("${local.tier_caps.lambda_memory_mb}") == 1024
    # renewing in microapp.yaml reaches the tags every resource carries, with no other step
    manifest = repo / "microapp.yaml"
    text = re.sub(r"^expires: .*$", "expires: 2031-01-31", manifest.read_text(), flags=re.M)
    text = re.sub(r"^monthly_budget_usd: .*$", "monthly_budget_usd: 75", text, flags=re.M)
    manifest.write_text(re.sub(r"^tier: 1$", "tier: 2", text, flags=re.M))
    module, body = budget(repo)
    assert module.evaluate("${local.tags}")["expires"] == "2031-01-31"
    assert module.evaluate(body["limit_amount"]) == "75.00"
    assert module.evaluate("${local.tier_caps.lambda_memory_mb}") == 3008
    sized = next(r for r in module.resources if r.type in (
        "aws_lambda_function", "aws_ecs_task_definition", "aws_s3_bucket"))
    assert module.evaluate(sized.body["tags"])["tier"] == "2"


@pytest.mark.parametrize(("text", "expected"), [
    ('user:app$${var.app_name}', "user:app${var.app_name}"),  # $${ is a literal ${
    ('${format("user:app$%s", local.name)}', "user:app$sales"),
    ('${format("%.2f", 12.5)}', "12.50"),
    ('${local.name}-monthly', "sales-monthly"),
    ('${try(local.missing, local.name)}', "sales"),
    ('${upper(local.name)}', "SALES"),
    ('${local.map["a"]}', 1),
])
def test_expressions_evaluate_as_terraform_does(tmp_path: Path, text: str,
                                               expected: Any) -> None:
    values = {"name": "sales", "map": {"a": 1}}

    def lookup(root: str, name: str, depth: int) -> Any:
        if root == "local" and name in values:
            return values[name]
        raise Unknown(name)

    assert template(text, lookup, tmp_path, tmp_path) == expected


@pytest.mark.parametrize("text", [
    "${aws_s3_bucket.site.arn}", "${timestamp()}", '${file("/etc/passwd")}',
    '${file("../../outside.txt")}', "${local.nothing}",
])
def test_what_only_terraform_knows_is_unknown(tmp_path: Path, text: str) -> None:
    (tmp_path / "repo" / "infra").mkdir(parents=True)
    with pytest.raises(Unknown):
        template(text, lambda *_: (_ for _ in ()).throw(Unknown("x")),
                 tmp_path / "repo" / "infra", tmp_path / "repo")


@pytest.mark.parametrize("runtime", ["serverless", "scheduled"])
def test_the_deploy_moves_only_aliases_terraform_creates(make_app: Any, runtime: str) -> None:
    repo = make_app(runtime=runtime, git=False)
    module = load_module(repo / "infra", boundary=repo)
    aliases = {module.evaluate(r.body["name"]) for r in module.resources
               if r.type == "aws_lambda_alias"}
    deploy = (repo / "scripts" / "deploy.sh").read_text()
    used = set(re.findall(r"--name (\w+)", deploy))
    assert used and used <= aliases, (used, aliases)
    # what callers (the API) or the schedule reach is the live alias, never $LATEST
    if runtime == "serverless":
        integration = next(r for r in module.resources
                           if r.type == "aws_apigatewayv2_integration")
        assert "aws_lambda_alias.live" in integration.body["integration_uri"]
    else:
        schedule = next(r for r in module.resources if r.type == "aws_scheduler_schedule")
        assert "aws_lambda_alias.live" in str(schedule.body["target"])


@pytest.mark.parametrize("runtime", ["serverless", "container", "scheduled"])
def test_each_connector_gets_a_secret_the_app_alone_reads(make_app: Any, runtime: str) -> None:
    connectors = [{"name": "slack", "kind": "api", "access": "write"},
                  {"name": "finance-sheet", "kind": "spreadsheet", "access": "read"}]
    repo = make_app(runtime=runtime, git=False, connectors=connectors,
                    monthly_budget_usd=40)
    module = load_module(repo / "infra", boundary=repo)
    secrets = {r.name: module.evaluate(r.body["name"]) for r in module.resources
               if r.type == "aws_secretsmanager_secret"}
    app_name = module.evaluate("${local.app_name}")
    assert secrets == {"slack": f"{app_name}/slack",
                       "finance_sheet": f"{app_name}/finance-sheet"}
    # read access to exactly those secrets, for the app's own role
    connectors_tf = repo / "infra" / "connectors.tf"
    document = next(r for r in resources(parse_file(connectors_tf), connectors_tf, kind="data")
                    if r.type == "aws_iam_policy_document" and r.name == "connectors")
    statement = document.body["statement"][0]
    assert statement["actions"] == ["secretsmanager:GetSecretValue"]
    assert sorted(statement["resources"]) == sorted(
        f"${{aws_secretsmanager_secret.{name}.arn}}" for name in secrets)
    # the names the app reads them by, the same in Terraform and in app/connectors.py
    variables = module.locals["connector_secrets"].value
    assert sorted(variables) == ["CONNECTOR_FINANCE_SHEET_SECRET", "CONNECTOR_SLACK_SECRET"]
    code = (repo / "app" / "connectors.py").read_text()
    assert '"finance-sheet": Connector("finance-sheet", "spreadsheet", "read")' in code
