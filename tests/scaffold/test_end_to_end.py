"""A new app's whole life on this machine: for each runtime, `microgate new`, its pinned
requirements installed in an environment of its own, its tests and its pre-commit
configuration as written; then, on the digest app, a manifest edit reaching the
Terraform and an update to a newer template release. Real copier, git, pip, pre-commit
and the package index."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import venv
from pathlib import Path

import pytest
import yaml

from scaffold.engines.terraform import load_module
from testing.util import git, microgate, run

# The marketing manager's app of issue 17: a weekly digest of feedback emails,
# summarised by an LLM and posted to Slack.
DIGEST = {
    "name": "feedback-digest",
    "purpose": "Summarise customer feedback emails with an LLM and post a weekly digest to "
               "Slack",
    "owner": "mia@example.com",
    "runtime": "scheduled",
    "schedule": "cron(0 8 ? * MON *)",
    "monthly_budget_usd": 40,
    "connectors": [{"name": "openai", "kind": "llm", "access": "read"},
                   {"name": "slack", "kind": "api", "access": "write"},
                   {"name": "outlook", "kind": "email", "access": "read"}],
}


def _evaluated_tags(repo: Path) -> dict[str, str]:
    module = load_module(repo / "infra", boundary=repo)
    return dict(module.evaluate(module.locals["tags"].value))


@pytest.mark.slow
@pytest.mark.parametrize("runtime", ["serverless", "container", "static-site", "scheduled"])
def test_a_new_app_from_first_command_to_template_update(
        runtime: str, hooks_snapshot: tuple[Path, str], tmp_path: Path) -> None:
    store = tmp_path / "template-store"
    env = {"MICROGATE_HOOKS_REPO": str(hooks_snapshot[0]),
           "MICROGATE_HOOKS_REV": hooks_snapshot[1], "MICROGATE_TEMPLATE_STORE": str(store)}
    repo = tmp_path / "app"
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump(DIGEST if runtime == "scheduled" else
                                      {"runtime": runtime}))
    made = microgate("new", "--defaults", "--data-file", str(answers), "--no-install-hooks",
                     str(repo), env=env, timeout=900)
    assert made.returncode == 0, made.output
    assert git(repo, "status", "--porcelain") == ""

    # the app's pinned requirements, in an environment of its own (installed by this
    # pip: the same install as the environment's own pip would make, without ~3 s of
    # ensurepip)
    environment = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(environment)
    python = str(environment / "bin" / "python")
    installed = run([sys.executable, "-m", "pip", "--python", python, "install", "--quiet",
                     "--require-hashes", "-r", "requirements-dev.txt"], cwd=repo, timeout=900)
    assert installed.returncode == 0, installed.output
    tested = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=repo)
    assert tested.returncode == 0, tested.output
    if runtime == "scheduled":  # the digest's connectors have their starter modules
        for module in ("llm_client", "api_client", "email_client"):
            assert f"tests/test_{module}.py" in tested.stdout or \
                (repo / "tests" / f"test_{module}.py").is_file(), module
        prompt = (repo / "prompts" / "openai" / "v1.md").read_text()
        assert "model: \"gpt-4o-mini-2024-07-18\"" in prompt and "weekly digest" in prompt
        assert not (repo / "prompts" / "classify-request").exists()

    # every hook, under pre-commit, with the configuration as generated
    checked = run([sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=repo,
                  timeout=1800)
    assert checked.returncode == 0, checked.output
    assert "Failed" not in checked.stdout

    if runtime != "scheduled":
        return  # what follows is the same for every runtime: once, on the digest app

    # a manifest edit reaches the Terraform, with no other step
    manifest = repo / "microapp.yaml"
    old_expiry = yaml.safe_load(manifest.read_text())["expires"]
    assert _evaluated_tags(repo)["expires"] == str(old_expiry)
    renewed = (dt.date.today() + dt.timedelta(days=60)).isoformat()  # tier 0: 90 at most
    manifest.write_text(manifest.read_text().replace(f"expires: {old_expiry}",
                                                     f"expires: {renewed}"))
    assert _evaluated_tags(repo)["expires"] == renewed
    # ... and the gate still passes on the edit, and blocks an expired app
    assert run([sys.executable, "-m", "pre_commit", "run", "--files", "microapp.yaml"],
               cwd=repo).returncode == 0
    git(repo, "commit", "--quiet", "--all", "-m", "Renew the app")
    manifest.write_text(manifest.read_text().replace(f"expires: {renewed}",
                                                     "expires: 2020-01-01"))
    blocked = run([sys.executable, "-m", "pre_commit", "run", "--files", "microapp.yaml"],
                  cwd=repo)
    assert blocked.returncode == 1 and "expired on 2020-01-01" in blocked.stdout
    git(repo, "checkout", "--", "microapp.yaml")

    # a newer release of the template reaches the app
    from scaffold.generation.templatestore import ensure_release
    from scaffold.resources import bundled_template

    newer = tmp_path / "newer-template"
    shutil.copytree(bundled_template(), newer)
    (newer / "RELEASE").write_text("9.0.0\n")
    readme = newer / "template" / "README.md.jinja"
    readme.write_text(readme.read_text() + "\nRelease 9 of the template was here.\n")
    assert ensure_release(newer, store)[1] == "v9.0.0"
    updated = microgate("update", str(repo), "--commit", env=env, timeout=900)
    assert updated.returncode == 0, updated.output
    assert "Release 9 of the template was here." in (repo / "README.md").read_text()
    assert 'template_version: "9.0.0"' in manifest.read_text()
    assert _evaluated_tags(repo)["expires"] == renewed  # the owner's edit survives
    assert git(repo, "status", "--porcelain") == ""
