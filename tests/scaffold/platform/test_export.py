"""`microgate template export`: the copier template as cookiecutter and Backstage templates.

Real copier, real cookiecutter (its CLI, as Backstage's fetch:cookiecutter runs it) and
real git over tagged releases of the template in temporary folders.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator
from referencing import Registry
from referencing.jsonschema import DRAFT7

from scaffold.generation.answers import to_manifest
from scaffold.generation.render import render, template_data
from scaffold.platform.export import cookiecutter_context
from scaffold.policy import default_policy
from testing.templates import released_template
from testing.util import REPO_ROOT, answers, commit_all, git, microgate, run

# one worker runs this file: its module fixture is made once, not once a worker
pytestmark = pytest.mark.xdist_group("export")

COOKIECUTTER = [sys.executable, "-m", "cookiecutter"]
BACKSTAGE_SCHEMAS = REPO_ROOT / "tests" / "data" / "backstage"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return released_template(tmp_path_factory.mktemp("template") / "microapp-template")


@pytest.fixture(scope="module")
def exported(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("export") / "cookiecutter-microapp"
    result = microgate("template", "export", "--cookiecutter", str(dest), "--template",
                       str(template), "--vcs-ref", "v1.0.0")
    assert result.returncode == 0, result.output
    assert "at v1.0.0" in result.stdout
    return dest


def copier_app(template: Path, dest: Path, values: dict[str, Any], ref: str) -> Path:
    policy = default_policy()
    render(str(template), dest, template_data(to_manifest(values, policy), policy),
           vcs_ref=ref, unsafe=True)
    return dest


def cookiecutter_app(exported: Path, out: Path, values: dict[str, Any]) -> Path:
    """cookiecutter's CLI with the answers as key=value pairs, as a person scripts it."""
    context = cookiecutter_context(values)
    pairs = [f"{key}={json.dumps(value) if isinstance(value, dict) else value}"
             for key, value in context.items()]
    if any(isinstance(value, dict) for value in context.values()):
        # Dict variables cannot be given on the command line: a user config holds them.
        config = out.parent / f"{out.name}-config.yaml"
        config.write_text(yaml.safe_dump({"default_context": context}, sort_keys=False))
        pairs = ["--config-file", str(config)]
    scratch = out.parent / f"{out.name}-tmp"  # cookiecutter's temporary files
    scratch.mkdir(parents=True, exist_ok=True)
    result = run([*COOKIECUTTER, "--no-input", str(exported), "-o", str(out), *pairs],
                 env={"TMPDIR": str(scratch)})
    assert result.returncode == 0, result.output
    # its rendered copies of the hooks (the answers in them) removed by the hooks
    assert list(scratch.iterdir()) == []
    return out / values["name"]


def tree(root: Path) -> dict[str, tuple[bytes, bool]]:
    return {
        path.relative_to(root).as_posix(): (path.read_bytes(), os.access(path, os.X_OK))
        for path in sorted(root.rglob("*")) if path.is_file()
    }


def assert_same_repo(made_by_copier: Path, made_by_cookiecutter: Path) -> None:
    copier_files, cookiecutter_files = tree(made_by_copier), tree(made_by_cookiecutter)
    assert sorted(cookiecutter_files) == sorted(copier_files)
    different = [name for name in copier_files
                 if copier_files[name] != cookiecutter_files[name]]
    assert different == []
    answers_file = ".copier-answers.yml"
    assert (yaml.safe_load((made_by_cookiecutter / answers_file).read_text())
            == yaml.safe_load((made_by_copier / answers_file).read_text()))


CASES = {
    "serverless-github-team": {},
    "container-gitlab-organisation": {
        "runtime": "container", "ci": "gitlab", "tier": 2, "approver": "cto@example.com",
        "data_sensitivity": "restricted", "monthly_budget_usd": 900,
        "connectors": [{"name": "warehouse", "kind": "database", "access": "write"},
                       {"name": "crm", "kind": "api", "access": "read"}],
        "purpose": 'Quotes "fast" <replies> & more, for sales',
    },
    "static-site-personal": {
        "runtime": "static-site", "tier": 0, "monthly_budget_usd": 12.5, "connectors": [],
        "data_sensitivity": "public", "region": "eu-west-1",
        "expires": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
        "quality": {"coverage_floor": 90, "prompt_pass_rate": 0.75},
    },
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_both_engines_make_the_same_repo_for_the_same_answers(
        case: str, template: Path, exported: Path, tmp_path: Path) -> None:
    values = answers(**CASES[case])
    by_copier = copier_app(template, tmp_path / "copier" / values["name"], values, "v1.0.0")
    by_cookiecutter = cookiecutter_app(exported, tmp_path / "cookiecutter", values)
    assert_same_repo(by_copier, by_cookiecutter)
    recorded = yaml.safe_load((by_cookiecutter / ".copier-answers.yml").read_text())
    assert recorded["_commit"] == "v1.0.0"
    assert recorded["_src_path"] == str(template)


def test_the_cookiecutter_made_repo_is_updated_by_microgate(
        template: Path, exported: Path, tmp_path: Path) -> None:
    repo = cookiecutter_app(exported, tmp_path, answers())
    git(repo, "init", "--quiet", "--initial-branch=main")
    commit_all(repo, "Made with cookiecutter")
    updated = microgate("update", "--vcs-ref", "v1.1.0", cwd=repo)
    assert updated.returncode == 0, updated.output
    assert "v1.1" in (repo / "scripts" / "healthcheck.sh").read_text()
    assert not (repo / "prompts" / "README.md").exists()
    assert yaml.safe_load((repo / ".copier-answers.yml").read_text())["_commit"] == "v1.1.0"
    assert yaml.safe_load((repo / "microapp.yaml").read_text())["template_version"] == "1.1.0"


@pytest.mark.parametrize(("pair", "message"), [
    ("name=Sales Report", "name: \"Sales Report\" is not valid"),
    ("monthly_budget_usd=lots", "monthly_budget_usd: \"lots\" is not a number"),
    ("monthly_budget_usd=80", "monthly_budget_usd: 80.0 is more than the most allowed, 50"),
    ("expires=2999-01-01", "expires: 2999-01-01 is more than 90 days away"),
    ("owner=ana", "owner: \"ana\" is not valid"),
    ("tier=2", "approver: is required"),
])
def test_cookiecutter_refuses_what_the_wizard_refuses_and_writes_nothing(
        pair: str, message: str, exported: Path, tmp_path: Path) -> None:
    values = [f"{k}={v}" for k, v in cookiecutter_context(answers(tier=0, connectors=[]))
              .items() if not isinstance(v, dict)]
    result = run([*COOKIECUTTER, "--no-input", str(exported), "-o", str(tmp_path),
                  *values, pair])
    assert result.returncode != 0
    assert f"microgate: {message}" in result.stderr
    assert "nothing was generated" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_cookiecutter_prompts_in_the_wizards_words(exported: Path) -> None:
    context = json.loads((exported / "cookiecutter.json").read_text())
    prompts = context["__prompts__"]
    assert prompts["name"] == "What should the app be called?"
    assert prompts["tier"]["__prompt__"] == "Who will use it?"
    assert prompts["tier"]["2"].startswith("The whole organisation")
    assert context["tier"] == ["0", "1", "2"]
    assert context["connectors"] == {}
    assert context["expires"].startswith("{% now 'utc' + 'days=90'")


def test_export_refuses_what_it_cannot_do(template: Path, exported: Path,
                                          tmp_path: Path) -> None:
    busy = microgate("template", "export", "--cookiecutter", str(exported))
    assert busy.returncode == 2
    assert busy.stderr.strip() == (
        f"microgate: {exported} is not empty; choose a new or empty folder")
    no_target = microgate("template", "export")
    assert no_target.returncode == 2
    assert no_target.stderr.strip().endswith("(see 'microgate template export --help')")
    no_release = microgate("template", "export", "--cookiecutter", str(tmp_path / "a"),
                           "--template", str(template), "--vcs-ref", "v9.9.9")
    assert no_release.returncode == 2
    assert "has no release or commit called v9.9.9" in no_release.stderr
    assert not (tmp_path / "a").exists()
    not_a_template = microgate("template", "export", "--cookiecutter", str(tmp_path / "b"),
                               "--template", str(tmp_path))
    assert not_a_template.returncode == 2
    assert "not a copier template" in not_a_template.stderr

    copier_only = tmp_path / "copier-only"
    shutil.copytree(REPO_ROOT / "templates" / "microapp", copier_only)
    readme = copier_only / "template" / "README.md.jinja"
    readme.write_text(readme.read_text() + "{{ connectors | to_nice_yaml }}\n")
    refused = microgate("template", "export", "--cookiecutter", str(tmp_path / "c"),
                        "--template", str(copier_only))
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1
    assert "README.md.jinja: uses the to_nice_yaml filter, which only copier has" in refused.stderr
    assert not (tmp_path / "c").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".microgate")] == []


def test_the_bundled_template_exports_with_a_note_about_updates(tmp_path: Path) -> None:
    result = microgate("template", "export", "--cookiecutter", str(tmp_path / "bundled"))
    assert result.returncode == 0, result.output
    assert "not a git repo" in result.stdout
    app = cookiecutter_app(tmp_path / "bundled", tmp_path / "out", answers())
    assert "_commit" not in yaml.safe_load((app / ".copier-answers.yml").read_text())
    assert (app / "app" / "handler.py").is_file()


# --- Backstage ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def backstage(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("backstage") / "microapp"
    result = microgate("template", "export", "--backstage", str(dest), "--template",
                       str(template), "--vcs-ref", "v1.0.0", "--owner", "group:default/platform")
    assert result.returncode == 0, result.output
    return dest


def backstage_validator() -> Draft7Validator:
    schemas = [json.loads(path.read_text()) for path in BACKSTAGE_SCHEMAS.glob("*.json")]
    registry: Registry[Any] = Registry().with_resources(
        (schema["$id"], DRAFT7.create_resource(schema)) for schema in schemas)
    template_schema = next(s for s in schemas if s["$id"] == "TemplateV1beta3")
    return Draft7Validator(template_schema, registry=registry)


def test_the_backstage_template_is_valid_against_backstages_schema(backstage: Path) -> None:
    entity = yaml.safe_load((backstage / "template.yaml").read_text())
    errors = [error.message for error in backstage_validator().iter_errors(entity)]
    assert errors == []
    broken = {**entity, "spec": {k: v for k, v in entity["spec"].items() if k != "steps"}}
    assert [e.message for e in backstage_validator().iter_errors(broken)] == [
        "'steps' is a required property"]
    for page in entity["spec"]["parameters"]:
        Draft7Validator.check_schema(page)
    actions = [step["action"] for step in entity["spec"]["steps"]]
    assert actions == ["fetch:cookiecutter", "catalog:write", "publish:github",
                       "publish:gitlab", "catalog:register"]


def test_the_form_asks_every_question_cookiecutter_needs(backstage: Path) -> None:
    entity = yaml.safe_load((backstage / "template.yaml").read_text())
    context = json.loads((backstage / "skeleton" / "cookiecutter.json").read_text())
    questions = {name for name in context if not name.startswith("_")}
    asked = {name for page in entity["spec"]["parameters"] for name in page["properties"]}
    fetch = entity["spec"]["steps"][0]
    assert fetch["input"]["url"] == "./skeleton"
    assert fetch["input"]["values"] == {name: f"${{{{ parameters.{name} }}}}"
                                        for name in context if name in questions}
    assert questions <= asked


def fill_in(values: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """Backstage's ``${{ parameters.x }}``: a whole-value expression keeps the type."""
    filled = {}
    for key, expression in values.items():
        match = re.fullmatch(r"\$\{\{ parameters\.(\w+) \}\}", expression)
        assert match, expression
        if match.group(1) in parameters:
            filled[key] = parameters[match.group(1)]
    return filled


def test_backstage_values_through_fetch_cookiecutter_make_the_copier_repo(
        backstage: Path, template: Path, tmp_path: Path) -> None:
    """fetch:cookiecutter merges the step's values into cookiecutter.json and runs
    cookiecutter --no-input; done here the same way, with the form's own value types."""
    values = answers(**CASES["container-gitlab-organisation"])
    form = {**cookiecutter_context(values), "tier": values["tier"]}
    entity = yaml.safe_load((backstage / "template.yaml").read_text())
    pages = entity["spec"]["parameters"][:-1]
    for page in pages:
        subset = {k: v for k, v in form.items() if k in page["properties"]}
        assert list(Draft7Validator({"type": "object", **page}).iter_errors(subset)) == []
    skeleton = tmp_path / "skeleton"
    shutil.copytree(backstage / "skeleton", skeleton)
    context = json.loads((skeleton / "cookiecutter.json").read_text())
    context.update(fill_in(entity["spec"]["steps"][0]["input"]["values"], form))
    (skeleton / "cookiecutter.json").write_text(json.dumps(context))
    result = run([*COOKIECUTTER, "--no-input", str(skeleton), "-o", str(tmp_path / "out")])
    assert result.returncode == 0, result.output
    by_copier = copier_app(template, tmp_path / "copier" / values["name"], values, "v1.0.0")
    assert_same_repo(by_copier, tmp_path / "out" / values["name"])


def test_a_person_answers_cookiecutters_prompts_in_a_real_terminal(
        exported: Path, tmp_path: Path) -> None:
    import pexpect

    replies = {"called?": "demo-app", "Who will use it?": "3",
               "approves it": "cto@example.com", "sensitive data": "3",
               "other systems": '{"crm": {"kind": "api", "access": "read"}}'}
    child = pexpect.spawn(sys.executable, ["-m", "cookiecutter", str(exported), "-o",
                                           str(tmp_path)],
                          env={**os.environ, "NO_COLOR": "1", "TERM": "dumb"},
                          encoding="utf-8", timeout=60, dimensions=(40, 200))
    seen: list[str] = []
    while child.expect([r": $", pexpect.EOF]) == 0:
        prompt = re.sub(r"\x1b\[[0-9;]*m", "", child.before)
        seen.append(prompt)
        child.sendline(next((reply for key, reply in replies.items() if key in prompt), ""))
    child.close()
    assert child.exitstatus == 0, child.before
    assert any("What should the app be called? (my-micro-app)" in p for p in seen)
    assert any("3 - The whole organisation or customers (tier 2" in p for p in seen)
    manifest = yaml.safe_load((tmp_path / "demo-app" / "microapp.yaml").read_text())
    assert (manifest["tier"], manifest["approver"], manifest["data_sensitivity"]) == (
        2, "cto@example.com", "confidential")
    assert manifest["connectors"] == [{"name": "crm", "kind": "api", "access": "read"}]
    recorded = yaml.safe_load((tmp_path / "demo-app" / ".copier-answers.yml").read_text())
    assert recorded["approver"] == "cto@example.com"
    assert recorded["tier"] == 2
