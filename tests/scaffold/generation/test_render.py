"""Generated repos, for every runtime, with real copier, git, pip-tools and pre-commit."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from scaffold.engines.terraform import load_module, parse_file
from scaffold.generation.templatestore import bundled_release
from scaffold.manifest import parse_manifest_text
from scaffold.policy import default_policy
from testing.util import REPO_ROOT, git, run

RUNTIMES = ["serverless", "container", "static-site", "scheduled"]


# Each runtime's own tests, in an environment of its pinned requirements: test_end_to_end.


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_generated_repo_has_every_part(make_app: Any, runtime: str) -> None:
    repo = make_app(runtime=runtime, ci="github")
    for name in ("microapp.yaml", "README.md", "requirements.in", "requirements-dev.in",
                 ".pre-commit-config.yaml", ".secrets.baseline", "CODEOWNERS", ".gitignore",
                 ".copier-answers.yml", "prompts/README.md", "infra/main.tf",
                 "infra/variables.tf", ".github/workflows/ci.yml", "tests/test_core.py",
                 ".microgate/microapp.schema.json"):
        assert (repo / name).is_file(), name
    manifest_text = (repo / "microapp.yaml").read_text()
    assert manifest_text.startswith(
        "# yaml-language-server: $schema=.microgate/microapp.schema.json"
    )
    loaded = parse_manifest_text(manifest_text)
    assert loaded.problems == [] and loaded.manifest is not None
    assert loaded.manifest.runtime == runtime
    assert loaded.manifest.template_version == bundled_release()
    assert (repo / "CODEOWNERS").read_text().strip().endswith("* ana@example.com")
    assert git(repo, "status", "--porcelain") == ""
    assert "Create sales-report" in git(repo, "log", "--oneline")


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_terraform_parses_and_carries_the_tier_caps(make_app: Any, runtime: str) -> None:
    repo = make_app(runtime=runtime, tier=1)
    parsed = {}
    for tf in sorted((repo / "infra").glob("*.tf")):
        parsed[tf.name] = parse_file(tf)
    expected = {"serverless": "lambda.tf", "container": "ecs.tf", "static-site": "site.tf",
                "scheduled": "schedule.tf"}
    # the default answers connect to a CRM: its secret, for the runtimes that run code
    connectors = set() if runtime == "static-site" else {"connectors.tf"}
    assert set(parsed) == {"main.tf", "variables.tf", expected[runtime], *connectors}
    budget = parsed["main.tf"]["resource"][0]["aws_budgets_budget"]["monthly"]
    assert budget["limit_unit"] == "USD"
    # the tier's caps, from policies/tiers.yaml, checked before the sized resources exist
    module = load_module(repo / "infra", boundary=repo)
    caps = default_policy().tiers[1].compute
    assert module.evaluate("${local.tier_caps}")["lambda_memory_mb"] == caps.lambda_memory_mb
    assert module.evaluate("${local.tier_caps}")["fargate_cpu"] == caps.fargate_cpu
    sized = {"serverless": "aws_lambda_function", "container": "aws_ecs_task_definition",
             "scheduled": "aws_lambda_function"}
    if runtime in sized:
        resource = next(r for r in module.resources if r.type == sized[runtime])
        condition = resource.body["lifecycle"][0]["precondition"][0]["condition"]
        assert "local.tier_caps." in condition


def test_github_workflow_validates_against_its_schema(make_app: Any) -> None:
    repo = make_app(ci="github")
    result = run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                  "vendor.github-workflows", str(repo / ".github/workflows/ci.yml")])
    assert result.returncode == 0, result.output


def test_gitlab_ci_validates_against_its_schema(make_app: Any) -> None:
    repo = make_app(ci="gitlab")
    assert not (repo / ".github").exists()
    result = run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                  "vendor.gitlab-ci", str(repo / ".gitlab-ci.yml")])
    assert result.returncode == 0, result.output


def test_tier_2_codeowners_include_the_approver(make_app: Any) -> None:
    repo = make_app(tier=2, approver="cto@example.com", monthly_budget_usd=900)
    assert "cto@example.com" in (repo / "CODEOWNERS").read_text()
    assert yaml.safe_load((repo / "microapp.yaml").read_text())["approver"] == "cto@example.com"


def test_answers_file_records_the_answers_for_updates(make_app: Any) -> None:
    repo = make_app(runtime="container")
    text = (repo / ".copier-answers.yml").read_text()
    recorded = yaml.safe_load(text)
    assert recorded["runtime"] == "container"
    assert recorded["_src_path"].endswith("microapp")
    # copier's part holds the answers; the platform's values follow, recorded by microgate
    # so that an update renders the old release with them (test_update.py)
    answers, _, platform = text.partition("# Also rendered with")
    assert "hooks_repo" not in answers and "tier_caps" not in answers
    assert "hooks_repo:" in platform and "tier_caps:" in platform


def test_pre_commit_config_pins_the_hook_suite(make_app: Any, tmp_path: Path) -> None:
    repo = make_app(hooks=(tmp_path / "hooks-repo", "abc123"))
    config = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())
    (entry,) = config["repos"]
    assert entry["repo"] == str(tmp_path / "hooks-repo") and entry["rev"] == "abc123"
    # This microgate was installed from a git checkout (pip install -e .): a new app pins
    # that checkout at its commit, which a fresh machine reaches with no network.
    default = make_app(dest=tmp_path / "default")
    default_entry = yaml.safe_load((default / ".pre-commit-config.yaml").read_text())["repos"][0]
    head = run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT).stdout.strip()
    assert default_entry == {**default_entry, "repo": str(REPO_ROOT), "rev": head}
