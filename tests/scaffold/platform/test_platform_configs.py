"""Renovate in the generated repos and the platform's fleet workflow, validated by their
schemas (check-jsonschema's copies: offline)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from scaffold.checks import spec
from scaffold.checks.runner import run_check
from testing.util import microgate, run

CHECK_JSONSCHEMA = [sys.executable, "-m", "check_jsonschema"]


def test_generated_repos_carry_a_valid_renovate_config_with_the_copier_manager(
        make_app: Any) -> None:
    app: Path = make_app(git=False)
    config = app / "renovate.json"
    result = run([*CHECK_JSONSCHEMA, "--builtin-schema", "vendor.renovate", str(config)])
    assert result.returncode == 0, result.output
    document = json.loads(config.read_text())
    assert document["copier"] == {"enabled": True}
    assert any(rule.get("matchManagers") == ["copier"] for rule in document["packageRules"])
    broken = app / "broken-renovate.json"
    broken.write_text(json.dumps({**document, "copier": {"enabled": "yes"}}))
    assert run([*CHECK_JSONSCHEMA, "--builtin-schema", "vendor.renovate", str(broken)]
               ).returncode == 1


def test_the_fleet_workflow_is_a_valid_pinned_matrix_workflow(tmp_path: Path) -> None:
    target = tmp_path / ".github" / "workflows" / "microgate-fleet.yml"
    result = microgate("fleet", "workflow", "--output", str(target))
    assert result.returncode == 0, result.output
    valid = run([*CHECK_JSONSCHEMA, "--builtin-schema", "vendor.github-workflows", str(target)])
    assert valid.returncode == 0, valid.output
    workflow = yaml.safe_load(target.read_text())
    matrix = workflow["jobs"]["update"]["strategy"]["matrix"]
    assert matrix["repo"] == "${{ fromJSON(needs.repos.outputs.matrix) }}"
    steps = "\n".join(step.get("run", "") for step in workflow["jobs"]["update"]["steps"])
    assert "microgate update app --trust --commit" in steps
    text = target.read_text()
    assert "__MICROGATE_REQUIREMENT__" not in text and "microgate==" not in text
    assert '"microgate @ git+' in text  # microgate at its hooks' commit, no dependencies
    tools = target.parent / "microgate-fleet-tools.txt"
    assert "--hash=sha256:" in tools.read_text()
    pins = run_check(spec("pins"), tmp_path, [".github/workflows/microgate-fleet.yml",
                                              ".github/workflows/microgate-fleet-tools.txt"])
    assert pins.findings == []
