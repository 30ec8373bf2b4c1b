"""Templates, updates, races and a hostile machine: trust holds end to end, a failed
update leaves the tree as it was, races fail cleanly, and every error is one line."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from testing.hostile import capped, microgate
from testing.templates import TEMPLATE, template_repo
from testing.util import MICROGATE, REPO_ROOT, commit_all, git, processes_in


def _template_with(tmp_path: Path, relative: str, text: str,
                   config_extra: str = "") -> Path:
    template = tmp_path / "evil-template"
    shutil.copytree(TEMPLATE, template)
    (template / "template" / relative).write_text(text, encoding="utf-8")
    if config_extra:
        with (template / "copier.yml").open("a", encoding="utf-8") as handle:
            handle.write(config_extra)
    return template


ESCAPES = {
    "subclasses": "{{ ().__class__.__base__.__subclasses__() }}",
    "format-walk": "{{ '{0.__class__.__init__.__globals__}'.format(name) }}",
    "getitem-dunder": "{{ name['__class__'] }}",
    "mro": "{{ name.mro }}",
    "cycler-globals": "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
}


@pytest.mark.parametrize("case", sorted(ESCAPES))
def test_export_refuses_what_the_sandbox_refuses(tmp_path: Path, case: str) -> None:
    template = _template_with(tmp_path, "evil.txt.jinja", ESCAPES[case])
    out = tmp_path / "exported"
    result = microgate("template", "export", "--cookiecutter", str(out),
                       "--template", str(template), cwd=tmp_path)
    result.assert_clean_error(4)
    assert "sandbox" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("case", ["subclasses", "cycler-globals"])
def test_new_refuses_a_template_that_escapes_the_sandbox(tmp_path: Path, case: str) -> None:
    template = _template_with(tmp_path, "evil.txt.jinja", ESCAPES[case])
    result = microgate("new", str(tmp_path / "app"), "--defaults", "--no-lock", "--no-git",
                       "--template", str(template), cwd=tmp_path)
    result.assert_clean_error()
    assert not (tmp_path / "app").exists()


def test_export_refuses_jinja_extensions_without_trust(tmp_path: Path) -> None:
    template = _template_with(tmp_path, "ok.txt.jinja", "{{ name }}",
                              "\n_jinja_extensions:\n  - jinja2.ext.do\n")
    out = tmp_path / "exported"
    result = microgate("template", "export", "--cookiecutter", str(out),
                       "--template", str(template), cwd=tmp_path)
    result.assert_clean_error(4)
    assert "--trust" in result.stderr
    assert not out.exists()


# -- updates ------------------------------------------------------------------------------

@pytest.fixture
def updatable_app(tmp_path: Path) -> Path:
    template = template_repo(tmp_path / "template")
    app = tmp_path / "app"
    result = microgate("new", str(app), "--defaults", "--no-lock", "--no-install-hooks",
                       "--template", str(template), cwd=tmp_path)
    assert result.returncode == 0, result.output
    return app


def _answers(app: Path) -> str:
    return (app / ".copier-answers.yml").read_text(encoding="utf-8")


def test_a_failed_update_leaves_the_tree_as_it_was(updatable_app: Path) -> None:
    answers = _answers(updatable_app).replace(
        "_src_path: ", "_src_path: https://127.0.0.1:9/gone.git\n_old_src_path: ")
    (updatable_app / ".copier-answers.yml").write_text(answers, encoding="utf-8")
    commit_all(updatable_app, "point the template somewhere unreachable")
    result = microgate("update", str(updatable_app), "--no-check", cwd=updatable_app)
    result.assert_clean_error()
    assert "back at its last commit" in result.stderr
    assert git(updatable_app, "status", "--porcelain") == ""
    assert _answers(updatable_app) == answers


def test_an_update_without_a_template_source_is_one_line(updatable_app: Path) -> None:
    answers = "\n".join(line for line in _answers(updatable_app).splitlines()
                        if not line.startswith("_src_path"))
    (updatable_app / ".copier-answers.yml").write_text(answers + "\n", encoding="utf-8")
    commit_all(updatable_app)
    result = microgate("update", str(updatable_app), cwd=updatable_app)
    result.assert_clean_error(2)
    assert "_src_path" in result.stderr


def test_an_update_to_an_unknown_release_is_one_line(updatable_app: Path) -> None:
    result = microgate("update", str(updatable_app), "--vcs-ref", "v9.9.9", "--no-check",
                       cwd=updatable_app)
    result.assert_clean_error()
    assert git(updatable_app, "status", "--porcelain") == ""


# -- races ---------------------------------------------------------------------------------

def test_two_new_runs_into_one_folder_one_fails_cleanly(tmp_path: Path) -> None:
    dest = tmp_path / "shared"
    command = [*MICROGATE, "new", str(dest), "--defaults", "--no-lock", "--no-install-hooks"]
    runs = [subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outcomes = [(run.wait(timeout=300), run.communicate()) for run in runs]
    codes = sorted(code for code, _ in outcomes)
    assert codes == [0, 2], outcomes
    failed = next(output for code, output in outcomes if code == 2)
    assert "Traceback" not in failed[1]
    assert not (dest / ".microgate-backup").exists()
    assert (dest / ".git").is_dir()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".microgate-new-")]


def test_force_never_writes_through_a_link_out_of_the_destination(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "app").symlink_to(outside, target_is_directory=True)
    result = microgate("new", str(dest), "--defaults", "--no-lock", "--no-git", "--force",
                       cwd=tmp_path)
    assert result.returncode == 0, result.output
    assert list(outside.iterdir()) == []
    assert (dest / "app").is_dir() and not (dest / "app").is_symlink()
    assert (dest / ".microgate-backup" / "app").is_symlink()


# -- clean one-line errors -----------------------------------------------------------------------

@pytest.mark.parametrize("args,code,words", [
    (["check", "--all-files", "--output", "missing/dir/report.json"], 2, "no such folder"),
    (["check", "--all-files", "--output", "."], 2, "is a folder"),
    (["new", "x", "--defaults", "--no-lock", "--template", "https://127.0.0.1:9/t.git"], 1,
     "cannot get the template"),
    (["new", "x", "--defaults", "--no-lock", "--template", "file:///nonexistent/t"], 1,
     "cannot get the template"),
    (["new", "x", "--defaults", "--no-lock", "--vcs-ref", "v9.9.9"], 2, "no releases"),
    (["fleet", "list", "--from", "missing-list.txt"], 2, "cannot read"),
    (["manifest", "validate", "nope.yaml"], 1, "no manifest here"),
    (["tests", "generate", "--repo", "nowhere"], 2, "no such folder"),
])
def test_bad_input_is_one_line_with_the_right_code(app: Path, args: list[str], code: int,
                                                   words: str) -> None:
    result = microgate(*args, cwd=app)
    result.assert_clean_error(code)
    assert words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_one_missing_folder_does_not_stop_the_fleet(app: Path, tmp_path: Path) -> None:
    listing = tmp_path / "repos.txt"
    listing.write_text(f"{app}\n{tmp_path / 'gone'}\n", encoding="utf-8")
    result = microgate("fleet", "list", "--from", str(listing), "--format", "json",
                       cwd=tmp_path)
    assert result.returncode == 0, result.output
    assert "skipped" in result.stderr and "gone" in result.stderr
    assert "hostile-app" in result.stdout


def _no_big_files() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))


def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    dest = tmp_path / "app"
    process = subprocess.run([*MICROGATE, "new", str(dest), "--defaults", "--no-lock",
                              "--no-git"], cwd=tmp_path, capture_output=True, text=True,
                             preexec_fn=_no_big_files, timeout=120, check=False)
    assert process.returncode == 1, process.stderr
    assert "Traceback" not in process.stderr and "internal error" not in process.stderr
    assert not dest.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".microgate-")]


@pytest.mark.parametrize("after", [0.15, 0.3, 0.45, 1.0])
def test_ctrl_c_while_checking_exits_130(app: Path, after: float, tmp_path: Path) -> None:
    """Whenever Ctrl-C comes (loading, starting the scanners, scanning): exit code 130
    and one line, never a death by SIGINT (-2) after microgate said it was cancelled,
    and nothing it started (checkov, semgrep's engine) goes on running."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}  # the scanners run
    process = subprocess.Popen([*MICROGATE, "check", "--all-files"], cwd=app, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        process.wait(timeout=after)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode in (0, 1, 130), (process.returncode, err[-500:])
    assert "Traceback" not in err
    # (a killed process is gone at once; checkov left running would answer ~2 s later)
    time.sleep(0.3)
    assert processes_in(tmp_path) == []


def test_stdin_closed_and_no_terminal_is_a_clear_usage_error(tmp_path: Path) -> None:
    result = capped([*MICROGATE, "new", str(tmp_path / "x")], cwd=tmp_path, stdin="",
                    env={"TERM": "dumb"})
    result.assert_clean_error(2)
    assert "no terminal" in result.stderr
    assert not (tmp_path / "x").exists()


def test_environment_secrets_never_reach_a_crash_log(app: Path, tmp_path: Path) -> None:
    key = "ghp_" + "Z9" * 18
    (app / "requirements.txt").write_text(f"bad line {key}\n", encoding="utf-8")
    result = microgate("check", "--all-files", "--only", "pins", cwd=app,
                       env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert key not in result.output
    log = tmp_path / "cache" / "microgate" / "microgate.log"
    assert not log.exists() or key not in log.read_text(encoding="utf-8")


def _hook_entries() -> dict[str, str]:
    import yaml

    hooks = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    return {hook["id"]: hook["entry"] for hook in hooks}


@pytest.mark.parametrize("hook_id", sorted(_hook_entries()))
def test_a_module_in_the_repo_never_shadows_what_a_hook_imports(app: Path,
                                                                hook_id: str) -> None:
    """pre-commit runs each hook in the repo's folder; with ``python -m`` that folder
    would come first on sys.path, and a pull request's json.py would run."""
    for name in ("json", "yaml", "re", "pathlib", "typing", "scaffold", "hooks"):
        target = app / f"{name}.py"
        target.write_text("open('HIJACKED', 'w').write('x')\n", encoding="utf-8")
    words = _hook_entries()[hook_id].split()
    assert words[0] == "python"
    capped([sys.executable, *words[1:], "microapp.yaml"], cwd=app, timeout=120)
    assert not (app / "HIJACKED").exists()


ALIAS_BOMB = "b0: &b0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"b{i}: &b{i} [{', '.join([f'*b{i - 1}'] * 10)}]\n" for i in range(1, 9))


def test_a_hostile_record_of_the_platforms_values_is_refused_or_rendered_never_a_crash(
        updatable_app: Path) -> None:
    """The record microgate keeps at the end of .copier-answers.yml is the app's file: a
    pull request may rewrite it as anything."""
    answers_file = updatable_app / ".copier-answers.yml"
    head = _answers(updatable_app).split("# Also rendered with", 1)[0]
    answers_file.write_text(head + "# Also rendered with:\n" + ALIAS_BOMB, encoding="utf-8")
    commit_all(updatable_app, "a record that expands to a billion nodes")
    bomb = microgate("update", str(updatable_app), "--no-check", cwd=updatable_app)
    bomb.assert_clean_error(2)
    assert git(updatable_app, "status", "--porcelain") == ""
    answers_file.write_text(head + "# Also rendered with:\ntier_caps: [1, 2]\n"
                            "hooks_rev: {rev: 1}\nall_tier_caps: null\n", encoding="utf-8")
    commit_all(updatable_app, "a record of the wrong shapes")
    odd = microgate("update", str(updatable_app), "--no-check", cwd=updatable_app)
    assert "Traceback" not in odd.output and "internal error" not in odd.output, odd.output
    if odd.returncode != 0:
        assert git(updatable_app, "status", "--porcelain") == ""
    else:  # rendered by copier (never "current"), with the platform's real values
        assert "Already current" not in odd.stdout
        assert "lambda_memory_mb" in answers_file.read_text()


def test_every_hostile_command_runs_under_the_memory_cap() -> None:
    """The cap these tests rely on holds: a command that asks for more memory fails."""
    from testing.hostile import MEMORY_CAP_BYTES, capped

    over = capped([sys.executable, "-c", f"bytearray({MEMORY_CAP_BYTES + (1 << 30)})"],
                  timeout=60)
    assert over.returncode != 0 and "MemoryError" in over.stderr, over.output
    under = capped([sys.executable, "-c", "bytearray(64 << 20)"], timeout=60)
    assert under.returncode == 0, under.output
