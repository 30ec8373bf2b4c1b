"""Answers never become code: every answer the model accepts lands in every file as its
literal text, escaped for that file's language, and every generated file still parses."""

from __future__ import annotations

import ast
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import hcl2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scaffold import NewOptions, default_policy, new, to_manifest, yamlio
from scaffold.engines.terraform import _loads, load_module
from scaffold.errors import UsageError
from testing.hostile import microgate
from testing.util import answers


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.paragraphs: list[str] = []
        self._in_p = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._in_p = tag == "p"
        if tag == "script":
            raise AssertionError("a <script> element reached the page")

    def handle_endtag(self, tag: str) -> None:
        self._in_p = False

    def handle_data(self, data: str) -> None:
        if self._in_p:
            self.paragraphs.append(data)


def generate(tmp_path: Path, **overrides: Any) -> Path:
    manifest = to_manifest(answers(**overrides), default_policy())
    dest = tmp_path / "made" / manifest.name
    if dest.exists():
        shutil.rmtree(dest)
    return new(manifest, NewOptions(dest=dest, lock=False, git=False,
                                    install_hooks=False)).path


def assert_every_file_parses_and_carries(repo: Path, given_answers: dict[str, Any]) -> None:
    for path in sorted(p for p in repo.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            ast.parse(text, filename=str(path))
        elif path.suffix in (".yml", ".yaml"):
            yamlio.load(text)
        elif path.suffix == ".json":
            json.loads(text)
        elif path.suffix in (".tf", ".tfvars"):
            _loads(hcl2, text)
    manifest = yamlio.load((repo / "microapp.yaml").read_text(encoding="utf-8"))
    for key in ("purpose", "owner", "cost_center", "approver"):
        if given_answers.get(key):
            assert manifest[key] == given_answers[key]
    # Terraform reads the answers from microapp.yaml as data: what it evaluates is the
    # text given, never an expression
    tags = load_module(repo / "infra", boundary=repo).evaluate("${local.tags}")
    assert tags["owner"] == given_answers["owner"]
    assert tags["cost-center"] == given_answers["cost_center"]
    docstring = ast.get_docstring(ast.parse((repo / "app" / "__init__.py").read_text("utf-8")),
                                  clean=False)
    assert docstring == f"{given_answers['name']}: {given_answers['purpose']}"
    site = repo / "site" / "index.html"
    if site.is_file():
        parser = _Text()
        parser.feed(site.read_text(encoding="utf-8"))
        assert "".join(parser.paragraphs) == given_answers["purpose"]
    from scaffold.engines.prompts import parse_prompt, read_registry

    for name, entry in read_registry(repo).items():
        prompt = parse_prompt(repo, f"prompts/{name}/v{entry.version}.md")
        if name == "gpt":  # the purpose lands in the system message as text
            assert prompt.system is not None and given_answers["purpose"] in prompt.system
            assert prompt.model == entry.model
    owners = (repo / "CODEOWNERS").read_text(encoding="utf-8").splitlines()[-1].split()
    assert given_answers["owner"] in owners


HOSTILE_ANSWERS = {
    "terraform-injection": {"cost_center": 'cc" } data "external" "x" { program = ["sh"] } #'},
    "terraform-interpolation": {"cost_center": "${file(\"/etc/passwd\")}"},
    "terraform-directive": {"cost_center": "%{ for x in [1] }x%{ endfor }"},
    "terraform-escaped-interpolation": {"cost_center": "$${already}"},
    "yaml-anchor-owner": {"owner": "&x@y.io"},
    "yaml-alias-approver": {"tier": 2, "approver": "*boss@x.io", "data_sensitivity": "internal"},
    "yaml-special-purpose": {"purpose": "a: b # not a comment - [x] {y} | > !tag"},
    "python-backslash": {"purpose": "ends with a backslash \\"},
    "python-triple-quote": {"purpose": 'say """hi""" and \'\'\'bye\'\'\''},
    "html-in-purpose": {"purpose": "<script>alert(1)</script> & <b>bold</b>",
                        "runtime": "static-site"},
    "markdown-pipe-owner": {"owner": "a|b@example.com"},
    "terraform-directive-owner": {"owner": "%{x}${y}@example.com"},
    "unicode": {"purpose": "Résumé ✓ 数据 — ﬁne", "cost_center": "ÆØÅ-7"},
    # the LLM connector's prompt carries the purpose into YAML front matter
    "llm-prompt-purpose": {"purpose": 'x" }}: {{ 7*7 }} --- &a *a # {% raw %} ${y}',
                           "connectors": [{"name": "gpt", "kind": "llm", "access": "read"}]},
}


@pytest.mark.parametrize("case", sorted(HOSTILE_ANSWERS))
def test_a_hostile_answer_lands_as_text(tmp_path: Path, case: str) -> None:
    given_answers = answers(**HOSTILE_ANSWERS[case])
    repo = generate(tmp_path, **HOSTILE_ANSWERS[case])
    assert_every_file_parses_and_carries(repo, given_answers)
    assert not (repo / "infra" / "variables.tf").read_text("utf-8").count('data "external"')


@pytest.mark.parametrize("field,value", [
    ("purpose", "first line\nsecond line"),
    ("purpose", "bell \x07 here"),
    ("cost_center", "cc\r\n1"),
    ("cost_center", 'cc" }\ndata "external" "x" { program = ["sh"'),
    ("owner", "a b@example.com"),
    ("owner", "#comment@example.com"),
    ("owner", 'quote"@example.com'),
])
def test_an_answer_that_cannot_be_one_line_is_refused(tmp_path: Path, field: str,
                                                      value: str) -> None:
    with pytest.raises(UsageError, match=field):
        to_manifest(answers(**{field: value}), default_policy())


def test_the_command_refuses_it_with_one_line(tmp_path: Path) -> None:
    result = microgate("new", str(tmp_path / "x"), "--defaults", "--no-git", "--no-lock",
                       "--set", "cost_center=a\nb", cwd=tmp_path, timeout=60)
    result.assert_clean_error(2)
    assert "cost_center" in result.stderr
    assert not (tmp_path / "x").exists()


one_line = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=3, max_size=60)
local_part = st.text(st.sampled_from("abcXYZ019.!$%&'*+/=?^_`{|}~-"), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(purpose=one_line, cost_center=one_line.map(lambda s: s[:64]), local=local_part,
       runtime=st.sampled_from(["serverless", "container", "static-site", "scheduled"]))
def test_every_accepted_answer_parses_everywhere(tmp_path: Path, purpose: str,
                                                 cost_center: str, local: str,
                                                 runtime: str) -> None:
    overrides = {"purpose": purpose, "cost_center": cost_center,
                 "owner": f"{local}@example.com", "runtime": runtime}
    try:
        to_manifest(answers(**overrides), default_policy())
    except UsageError:
        return  # refused up front: nothing is generated
    assert_every_file_parses_and_carries(generate(tmp_path, **overrides), answers(**overrides))
