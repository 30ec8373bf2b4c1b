"""`microgate update` with real copier and git, over tagged releases of the template."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from testing.templates import released_template
from testing.util import commit_all, git, microgate

# one worker runs this file: its module fixture is made once, not once a worker
pytestmark = pytest.mark.xdist_group("update")

HEALTHCHECK = "scripts/healthcheck.sh"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return released_template(tmp_path_factory.mktemp("template") / "microapp-template")


@pytest.fixture(scope="module")
def made_app(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The app as `microgate new` makes it from release v1.0.0, once for the file."""
    dest = tmp_path_factory.mktemp("made") / "sales-report"
    result = microgate("new", str(dest), "--defaults", "--no-lock", "--no-install-hooks",
                       "--set", "name=sales-report", "--template", str(template),
                       "--vcs-ref", "v1.0.0")
    assert result.returncode == 0, result.output
    return dest


@pytest.fixture
def app(made_app: Path, tmp_path: Path) -> Path:
    """Each test's own copy (its git history included) of the app made from v1.0.0."""
    dest = tmp_path / "sales-report"
    shutil.copytree(made_app, dest, symlinks=True)
    return dest


def edit(app: Path, relative: str, old: str, new: str) -> None:
    path = app / relative
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def status(app: Path) -> str:
    return git(app, "status", "--porcelain")


def test_the_version_is_recorded_in_the_answers_and_the_manifest(app: Path) -> None:
    answers = yaml.safe_load((app / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v1.0.0"
    assert yaml.safe_load((app / "microapp.yaml").read_text())["template_version"] == "1.0.0"


def test_a_template_change_merges_into_a_repo_with_local_edits(app: Path) -> None:
    edit(app, "README.md", "\n", "\nOur team's notes: run it on Mondays.\n")
    edit(app, "app/core.py", "def build_greeting", "# our change\ndef build_greeting")
    commit_all(app, "local edits")
    result = microgate("update", str(app), "--vcs-ref", "v1.1.0")
    assert result.returncode == 0, result.output
    assert "sales-report: template v1.0.0 -> v1.1.0" in result.stdout
    assert f"Files that were updated:\n  .copier-answers.yml\n  microapp.yaml\n  {HEALTHCHECK}" \
        in result.stdout
    assert "Files that were deleted:\n  prompts/README.md" in result.stdout
    assert "# Checked by the platform's v1.1 health probe." in (app / HEALTHCHECK).read_text()
    assert "Our team's notes: run it on Mondays." in (app / "README.md").read_text()
    assert not (app / "prompts" / "README.md").exists()
    core = (app / "app" / "core.py").read_text()  # _skip_if_exists: the user's own code
    assert "# our change" in core and "template v1.1" not in core
    assert yaml.safe_load((app / "microapp.yaml").read_text())["template_version"] == "1.1.0"
    assert yaml.safe_load((app / ".copier-answers.yml").read_text())["_commit"] == "v1.1.0"


def test_a_clash_leaves_markers_an_unmerged_state_and_exit_code_5(app: Path) -> None:
    edit(app, HEALTHCHECK, "#!/usr/bin/env bash", "#!/usr/bin/env bash\n# Our own probe.")
    commit_all(app, "our probe")
    result = microgate("update", str(app), "--vcs-ref", "v1.1.0")
    assert result.returncode == 5, result.output
    assert f"Files in conflict (1): your change and the template's touch the same lines:\n" \
        f"  {HEALTHCHECK}\nTo resolve: open each file" in result.stdout
    assert f"UU {HEALTHCHECK}" in status(app)
    text = (app / HEALTHCHECK).read_text()
    assert "<<<<<<< before updating\n# Our own probe.\n=======\n" \
        "# Checked by the platform's v1.1 health probe.\n>>>>>>> after updating" in text


def test_a_dirty_tree_is_refused_and_left_alone(app: Path) -> None:
    edit(app, "README.md", "\n", "\nwork in progress\n")
    result = microgate("update", str(app), "--vcs-ref", "v1.1.0")
    assert result.returncode == 2
    assert "uncommitted changes (README.md): commit or stash them first" in result.stderr
    assert status(app) == " M README.md\n"


def test_dry_run_shows_the_changes_and_changes_nothing(app: Path) -> None:
    edit(app, HEALTHCHECK, "#!/usr/bin/env bash", "#!/usr/bin/env bash\n# Our own probe.")
    commit_all(app, "our probe")
    head = git(app, "rev-parse", "HEAD")
    result = microgate("update", str(app), "--vcs-ref", "v1.1.0", "--dry-run")
    assert result.returncode == 5
    assert "(dry run: nothing was changed)" in result.stdout
    assert "Files that would be deleted:\n  prompts/README.md" in result.stdout
    assert "Files in conflict (1)" in result.stdout and HEALTHCHECK in result.stdout
    assert status(app) == "" and git(app, "rev-parse", "HEAD") == head


def test_new_policies_that_fail_are_named(app: Path) -> None:
    result = microgate("update", str(app), "--vcs-ref", "v1.2.0", "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["status"] == "updated" and "app/helpers.py" in report["added"]
    assert any("no test module imports app.helpers" in f for f in report["new_failures"])


def test_already_current_and_commit(app: Path) -> None:
    assert microgate("update", str(app), "--vcs-ref", "v1.1.0", "--commit").returncode == 0
    assert status(app) == ""
    assert "Update the template to v1.1.0" in git(app, "log", "-1", "--format=%s")
    again = microgate("update", str(app), "--vcs-ref", "v1.1.0")
    assert again.returncode == 0 and "Already current: nothing to update." in again.stdout


def clones_the_template(app: Path, tmp_path: Path, *args: str) -> tuple[Any, bool]:
    """`microgate update APP ARGS`, and whether git was asked to clone the template (what
    copier does first); GIT_TRACE logs every git command."""
    trace = tmp_path / f"git-trace-{len(list(tmp_path.glob('git-trace-*')))}"
    result = microgate("update", str(app), *args, env={"GIT_TRACE": str(trace)})
    return result, "clone" in trace.read_text(errors="replace")


def test_an_app_at_the_release_with_the_platforms_values_is_current_without_copier(
        app: Path, tmp_path: Path) -> None:
    answers = yaml.safe_load((app / ".copier-answers.yml").read_text())
    assert answers["tier_caps"]["lambda_memory_mb"] == 512 and answers["hooks_rev"]
    result, cloned = clones_the_template(app, tmp_path, "--vcs-ref", "v1.0.0")
    assert result.returncode == 0 and "Already current: nothing to update." in result.stdout
    assert not cloned and status(app) == ""
    # An answer the manifest no longer has: copier renders it.
    edit(app, "microapp.yaml", "monthly_budget_usd: 20.0", "monthly_budget_usd: 40.0")
    commit_all(app, "a bigger budget")
    result, cloned = clones_the_template(app, tmp_path, "--vcs-ref", "v1.0.0")
    assert cloned and result.returncode == 0, result.output
    assert ".copier-answers.yml" in status(app)
    git(app, "reset", "--hard", "--quiet")


def test_a_new_platform_value_at_the_same_release_is_rendered(app: Path, tmp_path: Path) -> None:
    """The platform moves the hooks' pin: it lands, though the template has not changed."""
    result, cloned = clones_the_template(app, tmp_path, "--vcs-ref", "v1.0.0", "--hooks-rev",
                                         "v9.9.9", "--no-check")
    assert cloned and result.returncode == 0, result.output
    assert "rev: v9.9.9" in (app / ".pre-commit-config.yaml").read_text()
    assert "<<<<<<<" not in (app / ".copier-answers.yml").read_text()
    commit_all(app, "the new pin")
    again, cloned = clones_the_template(app, tmp_path, "--vcs-ref", "v1.0.0", "--hooks-rev",
                                       "v9.9.9")
    assert not cloned and "Already current" in again.stdout


def test_without_a_record_of_the_platforms_values_copier_decides(app: Path,
                                                                 tmp_path: Path) -> None:
    """Apps made before the record, or whose record was edited: copier renders them."""
    answers = app / ".copier-answers.yml"
    answers.write_text(answers.read_text().replace("  lambda_memory_mb: 512",
                                                   "  lambda_memory_mb: 128"))
    commit_all(app, "a record that matches nothing")
    result, cloned = clones_the_template(app, tmp_path, "--vcs-ref", "v1.0.0")
    assert cloned and result.returncode == 0, result.output
    git(app, "checkout", "--", ".")
    answers.write_text(answers.read_text().split("# Also rendered with", 1)[0])
    commit_all(app, "no record")
    result, cloned = clones_the_template(app, tmp_path, "--vcs-ref", "v1.0.0")
    assert cloned and result.returncode == 0, result.output
    assert "# Also rendered with" in answers.read_text()  # recorded by this update


def test_a_migration_renames_a_manifest_field_and_the_manifest_stays_valid(app: Path) -> None:
    edit(app, "microapp.yaml", "cost_center: 'unassigned'", "cost_center: 'cc-77'")
    commit_all(app, "our cost centre")
    untrusted = microgate("update", str(app), "--vcs-ref", "v2.0.0")
    assert untrusted.returncode == 4 and "run again with --trust" in untrusted.stderr
    assert status(app) == ""
    result = microgate("update", str(app), "--vcs-ref", "v2.0.0", "--trust", "--no-check")
    assert result.returncode == 0, result.output
    manifest = (app / "microapp.yaml").read_text()
    assert "schema_version: 2" in manifest and "billing_code: 'cc-77'" in manifest
    assert "cost_center" not in manifest and "<<<<<<<" not in manifest
    assert "# What this app is" in manifest  # the comments survive the migration
    valid = microgate("manifest", "validate", str(app / "microapp.yaml"))
    assert valid.returncode == 0, valid.output


def test_not_a_template_repo_and_not_a_folder(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    result = microgate("update", str(plain))
    assert result.returncode == 2 and "no .copier-answers.yml" in result.stderr
    missing = microgate("update", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "no such folder" in missing.stderr


def test_a_corrupt_manifest_stops_the_update_before_copier_runs(app: Path) -> None:
    (app / "microapp.yaml").write_bytes(b"\xff\xfe\x00garbage")
    commit_all(app, "broken")
    result = microgate("update", str(app), "--vcs-ref", "v1.1.0")
    assert result.returncode == 2
    assert "fix microapp.yaml before updating" in result.stderr
    assert status(app) == ""


@pytest.mark.parametrize(("manifest", "expected"), [
    ("schema_version: 1\ncost_center: a # x\n", "schema_version: 2\nbilling_code: a # x\n"),
    ("cost_center: a\n", "schema_version: 2\nbilling_code: a\n"),
])
def test_manifest_migrate_rewrites_only_what_changed(manifest: str, expected: str) -> None:
    from scaffold.manifest import migrate_manifest_text

    assert migrate_manifest_text(manifest, 2) == expected


@pytest.mark.parametrize(("path", "fields", "concerned"), [
    ("microapp.yaml", {"template_version"}, False),
    ("microapp.yaml", {"template_version", "monthly_budget_usd"}, True),
    ("microapp.yaml", {"*"}, True),
    ("infra/lambda.tf", set(), True),
    ("scripts/healthcheck.sh", set(), False),
])
def test_the_cost_check_reruns_only_when_its_inputs_changed(
        path: str, fields: set[str], concerned: bool) -> None:
    from scaffold.checks import spec
    from scaffold.platform.update import _concerns

    assert _concerns(spec("cost"), path, fields) is concerned
    assert _concerns(spec("manifest"), "microapp.yaml", fields) is True


def test_the_changed_manifest_fields_are_read_from_git(app: Path) -> None:
    from scaffold.platform.update import _changed_manifest_fields

    assert _changed_manifest_fields(app) == set()
    edit(app, "microapp.yaml", "traffic: low", "traffic: high")
    assert _changed_manifest_fields(app) == {"traffic"}
    (app / "microapp.yaml").write_text("<<<<<<< broken\n: [\n")
    assert _changed_manifest_fields(app) == {"*"}


def test_an_app_made_from_the_bundled_template_can_be_updated(
        make_app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`microgate new` without --template: the bundled template's release is kept in a git
    store on this machine, so a later microgate's release merges into the app."""
    import shutil

    from scaffold.generation.templatestore import bundled_release, ensure_release
    from scaffold.resources import bundled_template

    store = tmp_path / "store"
    monkeypatch.setenv("MICROGATE_TEMPLATE_STORE", str(store))
    repo = make_app(runtime="serverless")
    answers = yaml.safe_load((repo / ".copier-answers.yml").read_text())
    assert answers["_src_path"] == str(store)
    assert answers["_commit"] == f"v{bundled_release()}"
    # a newer microgate ships release 9.0.0 of the bundled template, used on this machine
    newer = tmp_path / "newer"
    shutil.copytree(bundled_template(), newer)
    (newer / "RELEASE").write_text("9.0.0\n")
    readme = newer / "template" / "README.md.jinja"
    readme.write_text(readme.read_text() + "\nRelease 9 of the template was here.\n")
    assert ensure_release(newer)[1] == "v9.0.0"
    updated = microgate("update", str(repo), "--commit", env={"MICROGATE_TEMPLATE_STORE":
                                                             str(store)})
    assert updated.returncode == 0, updated.output
    assert "Release 9 of the template was here." in (repo / "README.md").read_text()
    assert 'template_version: "9.0.0"' in (repo / "microapp.yaml").read_text()
    assert git(repo, "status", "--porcelain") == ""


def test_an_app_from_the_unreleased_bundled_folder_gets_a_clear_error(
        make_app: Any, tmp_path: Path) -> None:
    from scaffold.resources import bundled_template

    repo = make_app(runtime="serverless")
    answers = repo / ".copier-answers.yml"
    recorded = yaml.safe_load(answers.read_text())
    recorded.pop("_commit")
    recorded["_src_path"] = str(bundled_template())
    answers.write_text(yaml.safe_dump(recorded))
    commit_all(repo, "as apps were made before the store")
    refused = microgate("update", str(repo))
    assert refused.returncode == 2, refused.output
    assert "made from microgate's bundled template before its releases were kept" in \
        refused.stderr and "Traceback" not in refused.output


@pytest.mark.parametrize("leftover", ["empty .git", "no .git", "files only"])
def test_a_template_store_left_half_made_is_made_again(tmp_path: Path, leftover: str) -> None:
    """A process killed while it made the store (a timeout, Ctrl-C) must not leave every
    later `new` and `update` failing on it."""
    from scaffold.generation.templatestore import bundled_release, ensure_release, store_git

    store = tmp_path / "store"
    store.mkdir()
    if leftover == "empty .git":
        (store / ".git").mkdir()
    elif leftover == "files only":
        (store / "copier.yml").write_text("half: copied\n")
    made, tag = ensure_release(store=store)
    assert made == store and tag == f"v{bundled_release()}"
    assert tag in store_git(store, "tag", "--list").split()
    assert ensure_release(store=store)[1] == tag  # and it is found again, not re-made
