"""microgate-prompts: every rule on a generated repo's prompts/ folder."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from testing.util import REPO_ROOT, microgate, run

PROMPT = "prompts/classify-request/v1.md"


@pytest.fixture
def app(make_app: Any) -> Path:
    repo: Path = make_app(git=False)
    return repo


def hook(app: Path) -> Any:
    return run([sys.executable, "-m", "hooks.prompts", "--all-files"], cwd=app,
               env={"PYTHONPATH": str(REPO_ROOT)})


def edit(app: Path, relative: str, old: str, new: str) -> None:
    path = app / relative
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_the_generated_prompts_pass(app: Path) -> None:
    result = hook(app)
    assert result.returncode == 0, result.output


def test_a_released_version_edited_in_place_is_refused(app: Path) -> None:
    edit(app, PROMPT, "You sort requests", "You sort all requests")
    result = hook(app)
    assert result.returncode == 1
    assert (f"{PROMPT}: error: v1 of classify-request is released and must not be edited in "
            "place: undo the change, put it in prompts/classify-request/v2.md") in result.stdout


def test_a_new_version_is_released_and_used(app: Path) -> None:
    v2 = app / "prompts" / "classify-request" / "v2.md"
    v2.write_text((app / PROMPT).read_text().replace("max_tokens: 200", "max_tokens: 150"))
    released = microgate("prompts", "release", "classify-request", "--repo", str(app))
    assert released.returncode == 0, released.output
    registry = (app / "prompts" / "manifest.yaml").read_text()
    assert "version: 2" in registry and "1: sha256:" in registry and "2: sha256:" in registry
    assert hook(app).returncode == 0


@pytest.mark.parametrize(("change", "message"), [
    ((PROMPT, "temperature: 0", "temperature: 0.7"), "temperature is 0.7: use 0"),
    ((PROMPT, "model: gpt-4o-mini-2024-07-18", "model: gpt-4o-latest"), "moves under you"),
    ((PROMPT, "model: gpt-4o-mini-2024-07-18", "model: gpt-4o-mini"),
     "but prompts/manifest.yaml pins 'gpt-4o-mini-2024-07-18'"),
    ((PROMPT, "      enum: [low, normal, high]", "      enum: 12"),
     "output_schema is not a valid JSON Schema"),
    (("prompts/manifest.yaml", "version: 1", "version: 3"),
     "classify-request uses v3, but prompts/classify-request/v3.md does not exist"),
])
def test_each_rule_is_enforced(app: Path, change: tuple[str, str, str], message: str) -> None:
    edit(app, *change)
    if change[0] == PROMPT:  # the digest would hide the rule: treat it as a draft in use
        edit(app, "prompts/manifest.yaml", "    released:\n", "    released: {}\n    old:\n")
    result = hook(app)
    assert result.returncode == 1
    assert message in result.stdout, result.stdout


def test_an_unregistered_prompt_without_goldens_is_refused(app: Path) -> None:
    summary = app / "prompts" / "summarise" / "v1.md"
    summary.parent.mkdir()
    summary.write_text("---\nmodel: llama3.1:8b-instruct-q4_0\ntemperature: 0\n---\n"
                       "Summarise: {{ text }}\n")
    result = hook(app)
    assert "prompt summarise is not in prompts/manifest.yaml" in result.stdout
    assert microgate("prompts", "release", "summarise", "--repo", str(app)).returncode == 0
    result = hook(app)
    assert result.returncode == 1
    assert "summarise has no golden case" in result.stdout
    (app / "prompts" / "golden" / "summarise.jsonl").write_text(
        '{"id": "one", "input": {"text": "a b"}, "expected": {"summary": "a"}}\n')
    assert "golden cases expect structured output, so the prompt needs an output_schema" \
        in hook(app).stdout


@pytest.mark.parametrize(("relative", "content", "message"), [
    (PROMPT, b"\xff\xfe not utf-8", "not UTF-8 text"),
    (PROMPT, b"no front matter here\n", "starts with front matter"),
    ("prompts/golden/classify-request.jsonl", b'{"id": "x", "input": ', "not a JSON object"),
    ("prompts/manifest.yaml", b"prompts: [1, 2]\n", "expected 'prompts:' mapping"),
])
def test_broken_files_are_one_clear_line(app: Path, relative: str, content: bytes,
                                         message: str) -> None:
    (app / relative).write_bytes(content)
    result = hook(app)
    assert result.returncode == 1
    assert message in result.stdout
    assert "Traceback" not in result.output
