"""`microgate new` as a user runs it: bad input gets one line and a non-zero exit."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from testing.util import answers, microgate


def assert_one_line_error(result: object, *needles: str) -> None:
    from testing.util import Run

    assert isinstance(result, Run)
    assert result.returncode != 0
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("microgate: ")
    for needle in needles:
        assert needle in lines[0], lines[0]


def write_answers(path: Path, **overrides: object) -> Path:
    path.write_text(yaml.safe_dump(answers(**overrides)), encoding="utf-8")
    return path


def test_defaults_make_a_repo_without_questions(tmp_path: Path) -> None:
    result = microgate("new", "--defaults", "--no-lock", str(tmp_path / "app"), cwd=tmp_path)
    assert result.returncode == 0, result.output
    assert (tmp_path / "app" / "microapp.yaml").is_file()
    assert "Created my-micro-app" in result.stdout


def test_data_file_and_set_make_a_repo_named_after_the_app(tmp_path: Path) -> None:
    data = write_answers(tmp_path / "answers.yaml")
    result = microgate("new", "--data-file", str(data), "--set", "name=price-check",
                       "--set", "connectors=erp:database:write", "--no-lock", cwd=tmp_path)
    assert result.returncode == 0, result.output
    manifest = yaml.safe_load((tmp_path / "price-check" / "microapp.yaml").read_text())
    assert manifest["name"] == "price-check"
    assert manifest["connectors"] == [{"name": "erp", "kind": "database", "access": "write"}]


@pytest.mark.parametrize(
    ("overrides", "needles"),
    [
        ({"name": "Sales Report"}, ("name", "lowercase letters")),
        ({"monthly_budget_usd": -5}, ("monthly_budget_usd", "too small")),
        ({"monthly_budget_usd": "lots"}, ("'lots' is not a number",)),
        ({"expires": "2020-01-01"}, ("expires", "expired")),
        ({"expires": "next tuesday"}, ("expires", "not a date")),
        ({"owner": "ana"}, ("owner", "email address")),
        ({"tier": 0, "data_sensitivity": "restricted"}, ("at most internal data",)),
        ({"tier": 0, "monthly_budget_usd": 400}, ("cap of $50",)),
        ({"tier": 2, "monthly_budget_usd": 100}, ("approver",)),
        ({"favourite_colour": "blue"}, ("unknown key", "favourite_colour")),
    ],
)
def test_bad_answers_are_refused_with_one_line_and_nothing_written(
    tmp_path: Path, overrides: dict[str, object], needles: tuple[str, ...]
) -> None:
    data = write_answers(tmp_path / "answers.yaml", **overrides)
    result = microgate("new", "--data-file", str(data), "--no-lock", str(tmp_path / "out"),
                       cwd=tmp_path)
    assert_one_line_error(result, *needles)
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.yaml"]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"name: [unclosed", "not valid YAML"),
        (b"- just\n- a list\n", "must be a mapping"),
        (b"\xff\xfe\x00name", "not UTF-8"),
    ],
)
def test_broken_data_files_are_refused(tmp_path: Path, content: bytes, needle: str) -> None:
    data = tmp_path / "answers.yaml"
    data.write_bytes(content)
    result = microgate("new", "--data-file", str(data), "--no-lock", str(tmp_path / "out"))
    assert_one_line_error(result, needle)
    assert not (tmp_path / "out").exists()


def test_missing_data_file(tmp_path: Path) -> None:
    result = microgate("new", "--data-file", str(tmp_path / "nope.yaml"))
    assert_one_line_error(result, "no such answers file")


def test_huge_data_file_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "answers.yaml"
    data.write_bytes(b"#" * 2_000_000)
    assert_one_line_error(microgate("new", "--data-file", str(data)), "too large")


def test_data_file_with_missing_answers_names_them(tmp_path: Path) -> None:
    data = tmp_path / "answers.yaml"
    data.write_text("name: sales-report\n")
    result = microgate("new", "--data-file", str(data), "--no-lock", str(tmp_path / "out"))
    assert_one_line_error(result, "missing answers for", "owner", "--defaults")


@pytest.mark.parametrize("pair", ["tier", "=3", "connectors=crm:api"])
def test_malformed_set_pairs(tmp_path: Path, pair: str) -> None:
    result = microgate("new", "--defaults", "--set", pair, str(tmp_path / "out"))
    assert_one_line_error(result, "--set")
    assert not (tmp_path / "out").exists()


def test_without_a_terminal_or_answers_it_fails_instead_of_hanging(tmp_path: Path) -> None:
    result = microgate("new", str(tmp_path / "out"), timeout=30)
    assert_one_line_error(result, "no terminal", "--defaults")


def test_non_empty_folder_is_refused_without_force(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    result = microgate("new", "--defaults", "--no-lock", str(target))
    assert_one_line_error(result, "not empty", "--force")
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]


def test_force_keeps_user_files_and_backs_up_what_it_replaces(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    (target / "README.md").write_text("my own readme")
    result = microgate("new", "--defaults", "--no-lock", "--force", str(target))
    assert result.returncode == 0, result.output
    assert (target / "notes.txt").read_text() == "mine"
    assert "replaced" in result.stdout and "README.md" in result.stdout
    assert (target / ".microgate-backup" / "README.md").read_text() == "my own readme"
    assert (target / "README.md").read_text().startswith("# my-micro-app")


def test_destination_that_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.write_text("x")
    assert_one_line_error(microgate("new", "--defaults", "--no-lock", str(target)), "is a file")


def test_missing_template(tmp_path: Path) -> None:
    result = microgate("new", "--defaults", "--no-lock", "--template", str(tmp_path / "none"),
                       str(tmp_path / "out"))
    assert_one_line_error(result, "template not found")
    assert not (tmp_path / "out").exists()


def test_unknown_option_is_a_usage_error() -> None:
    result = microgate("new", "--colour", "blue")
    assert_one_line_error(result, "unrecognized arguments")
    assert result.returncode == 2


def untrusted_template(root: Path) -> Path:
    template = root / "tpl"
    template.mkdir()
    (template / "copier.yml").write_text(
        "name: {type: str, default: x}\n_tasks:\n  - touch TASK_RAN\n"
    )
    (template / "microapp.yaml.jinja").write_text("name: {{ name }}\n")
    return template


def test_template_tasks_need_trust(tmp_path: Path) -> None:
    template = untrusted_template(tmp_path)
    result = microgate("new", "--defaults", "--no-lock", "--no-git", "--template",
                       str(template), str(tmp_path / "out"))
    assert_one_line_error(result, "wants to run its own code", "--trust")
    assert result.returncode == 4
    assert not (tmp_path / "out").exists()


def test_trusted_template_runs_its_tasks(tmp_path: Path) -> None:
    template = untrusted_template(tmp_path)
    result = microgate("new", "--defaults", "--no-lock", "--no-git", "--trust", "--template",
                       str(template), str(tmp_path / "out"))
    assert result.returncode == 0, result.output
    assert (tmp_path / "out" / "TASK_RAN").exists()


def test_failure_midway_leaves_nothing_behind(tmp_path: Path) -> None:
    template = tmp_path / "tpl"
    template.mkdir()
    (template / "copier.yml").write_text("name: {type: str, default: x}\n")
    (template / "ok.txt").write_text("fine\n")
    (template / "broken.txt.jinja").write_text("{{ undefined_function() }}\n")
    result = microgate("new", "--defaults", "--no-lock", "--template", str(template),
                       str(tmp_path / "out"))
    assert_one_line_error(result, "could not be rendered")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tpl"]


def test_manifest_validate_command(tmp_path: Path) -> None:
    assert microgate("new", "--defaults", "--no-lock", str(tmp_path / "app")).returncode == 0
    manifest = tmp_path / "app" / "microapp.yaml"
    ok = microgate("manifest", "validate", str(manifest))
    assert ok.returncode == 0 and "valid" in ok.stdout
    manifest.write_text(manifest.read_text().replace("tier: 0", "tier: nine"))
    bad = microgate("manifest", "validate", str(manifest))
    assert bad.returncode == 1
    assert "microapp.yaml:9: error: tier" in bad.stdout


def test_expiry_default_is_in_the_future(tmp_path: Path) -> None:
    assert microgate("new", "--defaults", "--no-lock", str(tmp_path / "app")).returncode == 0
    manifest = yaml.safe_load((tmp_path / "app" / "microapp.yaml").read_text())
    assert manifest["expires"] > dt.date.today()
