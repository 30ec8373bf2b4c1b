"""microgate-cost on generated repos' real Terraform."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from hooks.cost import main
from scaffold.engines.cost import estimate, pricing
from testing.util import microgate


@pytest.fixture
def container_app(make_app: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo: Path = make_app(runtime="container", tier=1, monthly_budget_usd=30, git=False)
    monkeypatch.chdir(repo)
    return repo


def set_default(repo: Path, variable: str, value: int) -> None:
    path = repo / "infra" / "variables.tf"
    text = path.read_text()
    pattern = rf'(variable "{variable}" {{\n  type    = number\n  default = )\d+'
    assert re.search(pattern, text), variable
    path.write_text(re.sub(pattern, rf"\g<1>{value}", text))


@pytest.mark.parametrize("runtime", ["serverless", "container", "static-site", "scheduled"])
def test_every_template_resource_is_priced(make_app: Any, runtime: str) -> None:
    repo = make_app(runtime=runtime, git=False)
    result = estimate(repo / "infra", traffic="low", region="us-east-1", boundary=repo)
    assert result.unpriced == []
    assert result.total > 0
    assert all(line.unit_price > 0 for line in result.lines)


def test_within_budget_passes(container_app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["infra/ecs.tf"]) == 0
    assert capsys.readouterr().out == ""


def test_over_budget_is_blocked_with_a_breakdown(container_app: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    set_default(container_app, "fargate_desired_count", 2)
    set_default(container_app, "fargate_cpu", 512)
    set_default(container_app, "fargate_memory_mb", 1024)
    assert main(["infra/variables.tf"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"microapp.yaml:\d+: error: the app is estimated at \$\d+\.\d\d a month, "
                     r"over its budget of \$30\.00 \(monthly_budget_usd\)", out)
    assert "aws_ecs_service.app (vCPU)" in out and "730.00 vCPU-hour" in out
    assert "it leaves out free tiers" in out
    assert "raise monthly_budget_usd" in out


def test_a_lower_budget_in_the_manifest_is_checked_too(container_app: Path) -> None:
    manifest = container_app / "microapp.yaml"
    manifest.write_text(re.sub(r"monthly_budget_usd: .*", "monthly_budget_usd: 5.0",
                               manifest.read_text()))
    assert main(["microapp.yaml"]) == 1


def test_tfvars_override_defaults(container_app: Path) -> None:
    (container_app / "infra" / "terraform.tfvars").write_text("fargate_desired_count = 8\n")
    result = estimate(container_app / "infra", traffic="low", region="us-east-1")
    vcpu = next(line for line in result.lines if line.item == "vCPU")
    assert vcpu.quantity == pytest.approx(8 * 0.25 * 730)
    assert main(["infra/terraform.tfvars"]) == 1


def test_an_unpriced_resource_makes_the_estimate_incomplete(
        container_app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (container_app / "infra" / "extra.tf").write_text(
        'resource "aws_mq_broker" "queue" {\n  host_instance_type = "mq.t3.micro"\n}\n')
    # tier 1: an incomplete estimate fails, naming the resource, its type and why
    assert main(["infra/extra.tf"]) == 1
    assert ("infra/extra.tf:1: error: the estimate is incomplete: aws_mq_broker.queue "
            "(aws_mq_broker) not priced: no price in policies/pricing.yaml"
            in capsys.readouterr().out)
    # acknowledged in the manifest: a warning, the commit goes through
    manifest = container_app / "microapp.yaml"
    manifest.write_text(manifest.read_text() + "acknowledged_unpriced: [aws_mq_broker]\n")
    assert main(["infra/extra.tf"]) == 0
    assert "warning: the estimate is incomplete: aws_mq_broker.queue" in \
        capsys.readouterr().out
    # and `microgate cost` says the same, in every format
    text = microgate("cost", str(container_app))
    assert text.returncode == 0 and "not priced: aws_mq_broker.queue" in text.stdout
    assert "the incomplete estimate" in text.stdout
    report = json.loads(microgate("cost", str(container_app), "--format", "json").stdout)
    assert report["complete"] is False and report["unpriced_types"] == ["aws_mq_broker"]
    assert report["blocking_unpriced_types"] == []
    markdown = microgate("cost", str(container_app), "--format", "markdown").stdout
    assert "| **total (incomplete)** |" in markdown and "`aws_mq_broker.queue`" in markdown


def test_a_tier_0_app_is_warned_of_an_incomplete_estimate(
        make_app: Any, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    soon = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    repo: Path = make_app(runtime="serverless", tier=0, expires=soon, git=False)
    monkeypatch.chdir(repo)
    (repo / "infra" / "extra.tf").write_text('resource "aws_mq_broker" "queue" {}\n')
    assert main(["infra/extra.tf"]) == 0
    assert "infra/extra.tf:1: warning: the estimate is incomplete" in capsys.readouterr().out


def test_unknown_region_falls_back_with_a_note(container_app: Path) -> None:
    result = estimate(container_app / "infra", traffic="low", region="ap-south-1")
    assert result.region == "ap-south-1" and result.total > 0
    assert "no ap-south-1 price in policies/pricing.yaml; us-east-1's used" in result.notes[0]


def test_broken_terraform_is_a_finding(container_app: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    (container_app / "infra" / "broken.tf").write_text('resource "x" {\n  = oops\n')
    assert main(["infra/broken.tf"]) == 1
    out = capsys.readouterr().out
    assert "infra/broken.tf: error: " in out and "not valid Terraform" in out


def test_every_price_names_its_region_unit_source_and_date() -> None:
    for name, entry in pricing()["prices"].items():
        assert {"unit", "source", "date", "us-east-1"} <= set(entry), name
        assert str(entry["source"]).startswith("https://"), name


def test_cost_command_prints_the_breakdown(make_app: Any) -> None:
    repo = make_app(runtime="serverless", git=False)
    result = microgate("cost", str(repo))
    assert result.returncode == 0, result.output
    assert "aws_lambda_function.app (compute)" in result.stdout
    assert re.search(r"the estimate, \$\d+\.\d\d, is within it", result.stdout)


def test_new_refuses_an_app_that_cannot_fit_its_budget(tmp_path: Path) -> None:
    result = microgate("new", "--defaults", "--no-lock", "--set", "runtime=static-site",
                       "--set", "traffic=medium", str(tmp_path / "site"))
    assert result.returncode == 2
    assert "would cost about $54.02 a month, over its budget of $20" in result.stderr
    assert not (tmp_path / "site").exists()


def test_an_llm_connector_is_in_the_estimate_and_its_prompts_model_is_watched(
        make_app: Any, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from hooks.prompts import main as prompts_main

    repo: Path = make_app(runtime="serverless", tier=1, git=False,
                          connectors=[{"name": "assistant", "kind": "llm", "access": "read"}])
    monkeypatch.chdir(repo)
    manifest = (repo / "microapp.yaml").read_text()
    # the connector says what the budget assumes (policies/pricing.yaml's llm_defaults)
    assert "    model: gpt-4o-mini-2024-07-18\n    calls_per_month: 30000\n" in manifest
    report = json.loads(microgate("cost", str(repo), "--format", "json").stdout)
    llm = [line for line in report["estimates"][0]["lines"]
           if line["address"] == "llm.assistant"]
    assert [line["unit_price"] for line in llm] == [0.15, 0.60]
    assert sum(line["monthly"] for line in llm) == pytest.approx(30_000 * (1000 * 0.15 +
                                                                          300 * 0.60) / 1e6)
    # a prompt pinned to a pricier model than the budget assumed: a warning, not a block
    # (the connector's own prompt, which `new` wrote pinned to the connector's model)
    for name in ("prompts/manifest.yaml", "prompts/assistant/v1.md"):
        path = repo / name
        assert "gpt-4o-mini-2024-07-18" in path.read_text(), name
        path.write_text(path.read_text().replace("gpt-4o-mini-2024-07-18", "gpt-4o-2024-08-06"))
    prompts_main(["prompts/manifest.yaml"])  # exit 1: v1 is released, edited in place
    out = capsys.readouterr().out
    assert "warning: assistant is pinned to gpt-4o-2024-08-06, which costs about " \
        "16.7x as much a call as gpt-4o-mini-2024-07-18" in out
    assert "[prompts/model-over-budget]" in out
    # the budget follows when the owner sets the connector's model
    (repo / "microapp.yaml").write_text(manifest.replace(
        "model: gpt-4o-mini-2024-07-18", "model: gpt-4o-2024-08-06"))
    assert main(["microapp.yaml"]) == 1
    assert "over its budget" in capsys.readouterr().out


def test_known_usage_from_a_usage_file(container_app: Path, tmp_path: Path) -> None:
    usage = tmp_path / "usage.yml"
    usage.write_text("version: 0.1\nresource_usage:\n  aws_cloudwatch_log_group.app:\n"
                     "    monthly_data_ingested_gb: 100\n")
    report = json.loads(microgate("cost", str(container_app), "--format", "json",
                                  "--usage", str(usage)).stdout)
    ingestion = next(line for line in report["estimates"][0]["lines"]
                     if line["address"] == "aws_cloudwatch_log_group.app")
    assert ingestion["quantity"] == 100 and ingestion["monthly"] == pytest.approx(50)
    usage.write_text("resource_usage: [1, 2]\n")
    refused = microgate("cost", str(container_app), "--usage", str(usage))
    assert refused.returncode == 2
    assert refused.stderr.strip().startswith("microgate: ") and "not a usage file" in \
        refused.stderr and "Traceback" not in refused.stderr


def test_a_scheduled_job_is_priced_by_how_often_it_runs(make_app: Any) -> None:
    repo: Path = make_app(runtime="scheduled", git=False, schedule="rate(1 hour)")
    report = json.loads(microgate("cost", str(repo), "--format", "json").stdout)
    estimate = report["estimates"][0]
    requests = next(line for line in estimate["lines"]
                    if line["address"] == "aws_lambda_function.app"
                    and line["item"] == "requests")
    assert requests["quantity"] == pytest.approx(730 / 1e6)  # 730 runs, not the traffic
    assert "aws_lambda_function.app: run by its schedule, 730 times a month" in \
        estimate["assumptions"]
    assert report["complete"] is True


def _plan(resources: list[dict[str, Any]], children: list[dict[str, Any]] | None = None
          ) -> dict[str, Any]:
    """A plan in the shape of `terraform show -json plan.tfplan` (format 1.2)."""
    def entry(item: dict[str, Any], module: str = "") -> dict[str, Any]:
        address = f"{item['type']}.{item['name']}" + (
            f"[{item['index']}]" if "index" in item else "")
        return {"address": f"{module}.{address}" if module else address, "mode": "managed",
                "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
                "sensitive_values": {}, **item}

    return {"format_version": "1.2", "terraform_version": "1.9.8", "planned_values": {
        "root_module": {
            "resources": [entry(item) for item in resources],
            "child_modules": [
                {"address": child["address"],
                 "resources": [entry(item, child["address"]) for item in child["resources"]]}
                for child in children or []]}}}


def test_a_terraform_plan_is_priced_as_terraform_computed_it(container_app: Path) -> None:
    """CI prices `terraform show -json` output: values Terraform computed (a module's
    instances, a size from a data source) count, and the budget decides the exit."""
    plan = _plan(
        [{"type": "aws_lambda_function", "name": "app", "values": {"memory_size": 512}},
         {"type": "aws_budgets_budget", "name": "monthly", "values": {"limit_amount": "30"}},
         {"type": "aws_iam_role", "name": "app", "values": {"name": "x"}}],
        [{"address": "module.cache", "resources": [
            {"type": "aws_instance", "name": "node", "index": index,
             "values": {"instance_type": "t3.micro", "tags": {"note": "${file(\"/etc/passwd\")}"}}}
            for index in range(2)]}])
    path = container_app / "plan.json"
    path.write_text(json.dumps(plan))
    text = microgate("cost", str(container_app), "--plan", str(path))
    assert text.returncode == 0, text.stdout + text.stderr
    assert "module.cache.aws_instance.node[0]" in text.stdout
    assert "module.cache.aws_instance.node[1]" in text.stdout
    report = json.loads(microgate("cost", str(container_app), "--plan", str(path),
                                  "--format", "json").stdout)
    assert report["complete"] is True
    on_files = estimate(container_app / "infra", traffic="low", region="us-east-1")
    # two t3.micro on demand beside the Lambda function's requests, not the files' ECS
    assert report["total_monthly"] != round(on_files.total, 4)
    assert 2 * 730 * 0.0104 < report["total_monthly"] < 30

    plan["planned_values"]["root_module"]["resources"].append(
        {"address": "aws_db_instance.big", "mode": "managed", "type": "aws_db_instance",
         "name": "big", "values": {"instance_class": "db.m5.xlarge", "engine": "postgres",
                                   "allocated_storage": 100}})
    path.write_text(json.dumps(plan))
    over = microgate("cost", str(container_app), "--plan", str(path))
    assert over.returncode == 1
    assert "is OVER it" in over.stdout and "aws_db_instance.big" in over.stdout


@pytest.mark.parametrize("content", ["not json", "[]", '{"planned_values": 3}',
                                     "[" * 100_000 + "]" * 100_000])
def test_a_file_that_is_not_a_plan_is_one_clear_error(container_app: Path,
                                                      content: str) -> None:
    path = container_app / "plan.json"
    path.write_text(content)
    result = microgate("cost", str(container_app), "--plan", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().endswith(
        "not a Terraform plan in JSON (make it with 'terraform show -json plan.tfplan')")
