"""microgate-cost on generated repos' real Terraform."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from hooks.cost import main
from scaffold.cost import estimate, pricing
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


@pytest.mark.parametrize("runtime", ["serverless", "container", "static-site"])
def test_every_template_resource_is_priced(make_app: Any, runtime: str) -> None:
    repo = make_app(runtime=runtime, git=False)
    result = estimate(repo / "infra", traffic="low", region="us-east-1")
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
    assert re.search(r"microapp.yaml:\d+: error: infra is estimated at \$\d+\.\d\d a month, "
                     r"over the budget of \$30\.00", out)
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


def test_unpriced_resources_are_named(container_app: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    (container_app / "infra" / "extra.tf").write_text(
        'resource "aws_instance" "worker" {\n  instance_type = "m5.large"\n}\n')
    assert main(["infra/extra.tf"]) == 0
    assert ("infra/extra.tf:1: warning: aws_instance has no price in policies/pricing.yaml"
            in capsys.readouterr().out)


def test_unknown_region_falls_back_with_a_note(container_app: Path) -> None:
    result = estimate(container_app / "infra", traffic="low", region="ap-south-1")
    assert result.region == pricing()["default_region"]
    assert "no prices for ap-south-1" in result.notes[0]


def test_broken_terraform_is_a_finding(container_app: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    (container_app / "infra" / "broken.tf").write_text('resource "x" {\n  = oops\n')
    assert main(["infra/broken.tf"]) == 1
    out = capsys.readouterr().out
    assert "infra: error:" in out and "not valid Terraform" in out


def test_every_price_names_its_region_unit_source_and_date() -> None:
    for name, entry in pricing()["prices"].items():
        assert {"unit", "source", "date", "us-east-1"} <= set(entry), name
        assert str(entry["source"]).startswith("https://"), name


def test_cost_command_prints_the_breakdown(make_app: Any) -> None:
    repo = make_app(runtime="serverless", git=False)
    result = microgate("cost", str(repo))
    assert result.returncode == 0, result.output
    assert "aws_lambda_function.app (compute)" in result.stdout
    assert "the estimate is within it" in result.stdout


def test_new_refuses_an_app_that_cannot_fit_its_budget(tmp_path: Path) -> None:
    result = microgate("new", "--defaults", "--no-lock", "--set", "runtime=static-site",
                       "--set", "traffic=medium", str(tmp_path / "site"))
    assert result.returncode == 2
    assert "would cost about $54.02 a month, over its budget of $20" in result.stderr
    assert not (tmp_path / "site").exists()
