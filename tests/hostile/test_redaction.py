"""No secret is ever printed: one secret of every kind, planted in every field and file
that a check or command quotes back, through every output (text, JSON, SARIF, errors,
hooks). Each surface is one that did echo what it read before the redaction layer."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from testing.hostile import SECRETS, CappedRun, capped, microgate, secret_part

HEX64 = "0" * 64


@dataclass(frozen=True)
class Surface:
    plant: Callable[[Path, str], list[str]]  # writes the files, returns the command
    echoes: bool = True  # the message quotes the planted text (so "[redacted]" shows)
    report_file: str | None = None
    fails: bool = True  # the command reports the planted problem with a non-zero exit


def _requirement(app: Path, secret: str) -> None:
    (app / "requirements.txt").write_text(
        f"this is not a requirement {secret} --hash=sha256:{HEX64}\n", encoding="utf-8")


def pins_requirement(app: Path, secret: str) -> list[str]:
    _requirement(app, secret)
    return ["check", "--all-files", "--only", "pins"]


def pins_dockerfile(app: Path, secret: str) -> list[str]:
    (app / "Dockerfile").write_text(f"FROM registry.example.com/{secret}:1\n", encoding="utf-8")
    return ["check", "--all-files", "--only", "pins"]


def pins_workflow(app: Path, secret: str) -> list[str]:
    workflow = app / ".github" / "workflows" / "ci.yml"
    workflow.write_text("jobs:\n  x:\n    steps:\n"
                        f"      - uses: {secret}@v1\n", encoding="utf-8")
    return ["check", "--all-files", "--only", "pins"]


def _bad_region(app: Path, secret: str) -> None:
    manifest = app / "microapp.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("region: us-east-1", f"region: '{secret}'"),
                        encoding="utf-8")


def manifest_check(app: Path, secret: str) -> list[str]:
    _bad_region(app, secret)
    return ["check", "--all-files", "--only", "manifest"]


def manifest_validate(app: Path, secret: str) -> list[str]:
    _bad_region(app, secret)
    return ["manifest", "validate", "microapp.yaml"]


def manifest_migrate(app: Path, secret: str) -> list[str]:
    _bad_region(app, secret)
    return ["manifest", "migrate", "microapp.yaml"]


def fleet_list_json(app: Path, secret: str) -> list[str]:
    _bad_region(app, secret)
    return ["fleet", "list", str(app), "--format", "json"]


def cost_estimate(app: Path, secret: str) -> list[str]:
    _bad_region(app, secret)
    return ["cost", str(app)]


def check_json(app: Path, secret: str) -> list[str]:
    _requirement(app, secret)
    return ["check", "--all-files", "--only", "pins", "--format", "json"]


def check_sarif_file(app: Path, secret: str) -> list[str]:
    _requirement(app, secret)
    return ["check", "--all-files", "--only", "pins", "--format", "sarif",
            "--output", "report.sarif"]


def prompt_front_matter(app: Path, secret: str) -> list[str]:
    prompt = app / "prompts" / "classify-request" / "v1.md"
    prompt.write_text(f"---\nmodel: {secret}\n  : [\n---\nHello\n", encoding="utf-8")
    return ["check", "--all-files", "--only", "prompts"]


def usage_error(app: Path, secret: str) -> list[str]:
    return ["new", str(app / "other"), "--defaults", "--no-git", "--no-lock",
            "--set", f"region={secret}"]


def data_file_key(app: Path, secret: str) -> list[str]:
    (app / "answers.yaml").write_text(f"'{secret}': 1\n", encoding="utf-8")
    return ["new", str(app / "other"), "--data-file", str(app / "answers.yaml")]


def hook_pins(app: Path, secret: str) -> list[str]:
    _requirement(app, secret)
    return ["hook:pins", "requirements.txt"]


SURFACES: dict[str, Surface] = {
    "pins-requirement": Surface(pins_requirement),
    "pins-dockerfile": Surface(pins_dockerfile),
    "pins-workflow": Surface(pins_workflow),
    "manifest-check": Surface(manifest_check),
    "manifest-validate": Surface(manifest_validate),
    "manifest-migrate": Surface(manifest_migrate),
    "fleet-list-json": Surface(fleet_list_json, fails=False),
    "cost": Surface(cost_estimate, fails=False),
    "check-json": Surface(check_json),
    "check-sarif-file": Surface(check_sarif_file, report_file="report.sarif"),
    "prompt-front-matter": Surface(prompt_front_matter, echoes=False),
    "usage-error": Surface(usage_error),
    "data-file-key": Surface(data_file_key),
    "hook-pins": Surface(hook_pins),
}


def _run(app: Path, command: list[str]) -> CappedRun:
    if command[0].startswith("hook:"):
        name = command[0].split(":", 1)[1]
        return capped([sys.executable, "-m", f"hooks.{name}", *command[1:]], cwd=app,
                      timeout=60)
    return microgate(*command, cwd=app, timeout=60)


@pytest.mark.parametrize("kind", sorted(SECRETS))
@pytest.mark.parametrize("surface", sorted(SURFACES))
def test_no_secret_is_printed(app: Path, surface: str, kind: str) -> None:
    spec = SURFACES[surface]
    command = spec.plant(app, SECRETS[kind])
    result = _run(app, command)
    shown = result.output
    if spec.report_file:
        shown += (app / spec.report_file).read_text(encoding="utf-8")
    hidden = secret_part(kind)
    if spec.fails:
        assert result.returncode != 0, f"the planted problem was not reported:\n{shown}"
    assert "Traceback" not in shown
    assert hidden not in shown, shown
    assert hidden[:16] not in shown, shown
    if spec.echoes:
        assert "[redacted]" in shown, shown
