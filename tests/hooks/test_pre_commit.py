"""The hook suite through real pre-commit and real git commits, on generated repos."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from testing.fakes import secret_line, secret_value
from testing.util import git, microgate, run

pytestmark = pytest.mark.slow
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


@pytest.fixture
def app(make_app: Any, hooks_snapshot: tuple[Path, str]) -> Path:
    repo: Path = make_app(lock=True, hooks=hooks_snapshot)
    result = run([*PRE_COMMIT, "install"], cwd=repo)
    assert result.returncode == 0, result.output
    return repo


def commit(repo: Path, message: str) -> Any:
    git(repo, "add", "--all")
    return run(["git", "commit", "-m", message], cwd=repo)


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


def test_try_repo_runs_each_hook(app: Path, hooks_snapshot: tuple[Path, str]) -> None:
    (app / "app" / "settings.py").write_text(secret_line("anthropic") + "\n")
    git(app, "add", "--all")
    result = run([*PRE_COMMIT, "try-repo", str(hooks_snapshot[0]), "microgate-secrets",
                  "--files", "app/settings.py"], cwd=app)
    assert result.returncode == 1
    assert "app/settings.py:1: error: Anthropic API key (redacted)" in result.stdout
    assert secret_value("anthropic") not in result.stdout
    # (each try-repo builds the hook's environment afresh, in a store of its own: the
    # passing side is the commit test's)


def test_a_commit_with_a_secret_is_blocked_and_the_fixed_one_passes(app: Path) -> None:
    before = head(app)
    (app / "app" / "settings.py").write_text(secret_line("openai") + "\n")
    blocked = commit(app, "add settings")
    assert blocked.returncode == 1
    assert "microgate secrets" in blocked.output and "Failed" in blocked.output
    assert "app/settings.py:1: error: OpenAI API key (redacted)" in blocked.output
    assert secret_value("openai") not in blocked.output
    assert head(app) == before
    (app / "app" / "settings.py").write_text('import os\nKEY = os.environ["OPENAI_API_KEY"]\n')
    passed = commit(app, "add settings")
    assert passed.returncode == 0, passed.output
    assert head(app) != before


def test_an_untested_function_is_blocked_until_it_has_a_test(app: Path) -> None:
    core = app / "app" / "core.py"
    core.write_text(core.read_text() + "\n\ndef total(prices: list[float]) -> float:\n"
                    "    return sum(prices)\n")
    blocked = commit(app, "add total")
    assert blocked.returncode == 1
    assert "function total has no test" in blocked.output
    tests = app / "tests" / "test_core.py"
    tests.write_text(tests.read_text().replace(
        "from app.core import build_greeting", "from app.core import build_greeting, total")
        + "\n\ndef test_total() -> None:\n    assert total([1.5, 2.5]) == 4.0\n")
    passed = commit(app, "add total with a test")
    assert passed.returncode == 0, passed.output


def tree_state(repo: Path) -> dict[str, tuple[bytes, int]]:
    """Every file outside .git, with its bytes and modification time."""
    return {path.relative_to(repo).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
            for path in repo.rglob("*")
            if path.is_file() and ".git" not in path.relative_to(repo).parts}


# which of the wizard's modules (and microgate's own) an environment can import
WIZARD_PROBE = ("import importlib.util as u\n"
                "print([m for m in ('copier', 'questionary', 'piptools', 'pre_commit',"
                " 'scaffold') if u.find_spec(m)])\n")
HOOK_NAMES = ("secrets", "manifest", "test presence", "pins", "licenses", "iac", "cost",
              "sast", "prompts", "vulns", "dependencies")
PREK = [str(Path(sys.executable).parent / "prek")]


@pytest.mark.parametrize("runner", ["pre-commit", "prek"])
def test_every_hook_runs_on_the_whole_generated_repo(app: Path, runner: str,
                                                     tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Both runners: prek builds the hooks' environments with uv, which may resolve other
    versions (python-hcl2 among them) than pip does."""
    command = PRE_COMMIT if runner == "pre-commit" else PREK
    env = {"PREK_HOME": str(tmp_path / "prek")}
    # uv compiles no bytecode when it installs (pip does): as on a user's machine, the
    # hooks' first run keeps it, where a CI machine's setting would have every run
    # compile checkov's 2,400 modules again (~2.3 s)
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    names = HOOK_NAMES
    if runner == "prek":  # every hook at one priority: prek runs them all at once
        config = app / ".pre-commit-config.yaml"
        config.write_text(re.sub(r"(?m)^(\s+)- id: (microgate-[a-z-]+)$",
                                 r"\1- id: \2\n\1  priority: 0", config.read_text()))
        assert config.read_text().count("priority: 0") == len(names)
        git(app, "add", "--all")
    before = tree_state(app)
    result = run([*command, "run", "--all-files"], cwd=app, env=env)
    assert result.returncode == 0, result.output
    for name in names:
        line = next(line for line in result.stdout.splitlines()
                    if line.startswith(f"microgate {name}"))
        assert line.endswith("Passed"), line
    # Every hook only reads (so a runner may run them in parallel): the repo is as it was.
    assert tree_state(app) == before
    if runner == "prek":  # uv built its environments: the checks, without the wizard
        pythons = list((tmp_path / "prek" / "hooks").glob("python-*/bin/python"))
        assert len(pythons) == 3, pythons
        for python in pythons:
            found = run([str(python), "-c", WIZARD_PROBE])
            assert found.stdout.strip() == "['scaffold']", (python, found.output)
    # and every hook bites under both: one planted finding each
    (app / "app" / "settings.py").write_text(secret_line("aws") + "\nimport leftpadx\n")
    (app / "app" / "helpers.py").write_text("def helper(x: int) -> int:\n    return x\n"
                                           "\n\ndef risky(cmd: str) -> None:\n"
                                           "    import os\n    os.system(cmd)\n")
    with (app / "requirements.txt").open("a") as handle:
        handle.write("reqeusts==2.0\n")
    variables = app / "infra" / "variables.tf"
    variables.write_text(variables.read_text().replace("default = 256", "default = 10240", 1))
    git(app, "add", "--all")
    planted = tree_state(app)
    blocked = run([*command, "run", "--all-files"], cwd=app, env=env)
    assert blocked.returncode == 1
    assert tree_state(app) == planted
    for evidence in ("[secrets/secret]", "[test-presence/", "[pins/look-alike]",
                     "[pins/no-hash]", "[dependencies/unprovided-import]",
                     "[sast/subprocess-shell]", "[iac/MG_CAPS]"):
        assert evidence in blocked.output, (evidence, blocked.output[-3000:])


def test_a_released_prompt_edited_in_place_is_blocked_until_it_is_a_new_version(
        app: Path) -> None:
    released = app / "prompts" / "classify-request" / "v1.md"
    edited = released.read_text().replace("You sort requests", "You sort all requests")
    released.write_text(edited)
    blocked = commit(app, "tweak the prompt")
    assert blocked.returncode == 1
    assert "v1 of classify-request is released and must not be edited in place" in \
        blocked.output
    git(app, "checkout", "HEAD", "--", "prompts/classify-request/v1.md")
    (app / "prompts" / "classify-request" / "v2.md").write_text(edited)
    released_v2 = microgate("prompts", "release", "classify-request", "--repo", str(app))
    assert "classify-request: v2 released and in use" in released_v2.stdout
    passed = commit(app, "prompt v2")
    assert passed.returncode == 0, passed.output


def test_a_denied_license_is_blocked(app: Path) -> None:
    cache = app / ".microgate" / "licenses.json"
    cache.write_text(cache.read_text().replace('"MIT"', '"AGPL-3.0-only"', 1))
    blocked = commit(app, "relicensed dependency")
    assert blocked.returncode == 1
    assert "AGPL-3.0-only, which the license policy does not allow" in blocked.output


def test_an_unpinned_dependency_is_blocked(app: Path) -> None:
    with (app / "requirements.in").open("a") as handle:
        handle.write("httpx\n")
    blocked = commit(app, "use httpx")
    assert blocked.returncode == 1
    assert "httpx is not in requirements.txt: run `microgate lock`" in blocked.output


def test_a_commit_that_changes_nothing_checked_skips_the_hooks(app: Path) -> None:
    (app / "notes.txt").write_text("meeting notes\n")
    result = commit(app, "notes")
    assert result.returncode == 0, result.output
    for skipped in ("microgate test presence", "microgate pins", "microgate licenses"):
        line = next(line for line in result.output.splitlines() if line.startswith(skipped))
        assert "Skipped" in line


def test_checkov_never_shares_the_secrets_hooks_environment(app: Path) -> None:
    result = run([*PRE_COMMIT, "install-hooks"], cwd=app)
    assert result.returncode == 0, result.output
    home = Path(os.environ["PRE_COMMIT_HOME"])
    probe = ("import importlib.metadata as m, json\n"
             "names = {d.metadata['Name'].lower() for d in m.distributions()}\n"
             "import detect_secrets\n"
             "print(json.dumps({'checkov': 'checkov' in names,"
             " 'bc': 'bc-detect-secrets' in names, 'yelp': 'detect-secrets' in names,"
             " 'version': getattr(detect_secrets, '__version__', None) or"
             " __import__('detect_secrets.__version__').__version__.VERSION}))\n")
    seen = {}
    for python in home.glob("repo*/py_env-*/bin/python"):
        if not (python.parent / "microgate").exists():
            continue
        output = run([str(python), "-c", probe])
        assert output.returncode == 0, output.output
        seen[python] = json.loads(output.stdout)
    with_checkov = [env for env in seen.values() if env["checkov"]]
    without = [env for env in seen.values() if not env["checkov"]]
    assert with_checkov and without
    assert all(env["bc"] for env in with_checkov)  # checkov brings its own detect_secrets
    for env in without:  # ...which the secrets hook's environment never sees
        assert env["yelp"] and not env["bc"] and env["version"] == "1.5.0"


def test_the_hooks_environments_hold_the_checks_and_not_the_wizard(app: Path,
                                                                  tmp_path: Path) -> None:
    """pre-commit installs microgate without the `wizard` extra: no copier, questionary,
    pip-tools or pre-commit in any hook environment; the checks run there, and a wizard
    command says in one line what to install."""
    assert run([*PRE_COMMIT, "install-hooks"], cwd=app).returncode == 0
    home = Path(os.environ["PRE_COMMIT_HOME"])
    environments = [p for p in home.glob("repo*/py_env-*/bin/python")
                    if (p.parent / "microgate").exists()]
    assert len(environments) >= 3  # the checks', checkov's and semgrep's
    for python in environments:
        found = run([str(python), "-c", WIZARD_PROBE])
        assert found.stdout.strip() == "['scaffold']", (python, found.output)
    checks_only = next(p for p in environments if not (p.parent / "checkov").exists()
                       and not (p.parent / "semgrep").exists())
    microgate_there = str(checks_only.parent / "microgate")
    checked = run([microgate_there, "check", "--all-files", "--only", "manifest",
                   "--only", "secrets", "--repo", str(app)], cwd=app)
    assert checked.returncode == 0, checked.output
    # beside checkov, detect-secrets is checkov's fork: the secrets check says it did not
    # run, and why, rather than judge with other rules (or crash, as it once did)
    with_checkov = next(p for p in environments if (p.parent / "checkov").exists())
    beside = run([str(with_checkov.parent / "microgate"), "check", "--all-files", "--only",
                  "secrets", "--repo", str(app)], cwd=app)
    assert beside.returncode == 1
    assert re.search(r"secrets: NOT RUN: detect-secrets 1\.5\.\d+ \(checkov's fork, "
                     r"installed with checkov\) is installed here, not 1\.5\.0",
                     beside.stdout), beside.output
    assert "internal error" not in beside.output
    target = tmp_path / "wizardless-app"
    refused = run([microgate_there, "new", "--defaults", str(target)], cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        "microgate: this command needs the wizard's packages (copier, questionary, "
        "pip-tools, pre-commit not installed): pip install 'microgate[wizard]'"]
    assert not target.exists()
    for command, missing in ((["lock", str(app)], "pip-tools"),
                             (["update", str(app)], "copier")):
        refused = run([microgate_there, *command], cwd=tmp_path)
        assert refused.returncode == 1
        assert refused.stderr.strip().splitlines() == [
            f"microgate: this command needs the wizard's packages ({missing} not installed): "
            "pip install 'microgate[wizard]'"], refused.output
    assert git(app, "status", "--porcelain", "--ignored") == ""  # not a scratch file left


def test_raising_lambda_memory_beyond_the_tier_cap_is_blocked(app: Path) -> None:
    variables = app / "infra" / "variables.tf"
    variables.write_text(variables.read_text().replace("  default = 256\n",
                                                       "  default = 2048\n", 1))
    blocked = commit(app, "more memory")
    assert blocked.returncode == 1
    assert "microgate iac" in blocked.output and "[iac/MG_CAPS]" in blocked.output
    assert re.search(r"infra/variables\.tf:\d+: error: aws_lambda_function\.app: memory_size is "
                     r"2048 MB, over tier \d's cap of \d+ MB .*: set lambda_memory_mb to \d+ or "
                     r"less here", blocked.output), blocked.output[-2000:]


def test_checkov_runs_offline_in_the_hooks_environment(app: Path) -> None:
    assert run([*PRE_COMMIT, "install-hooks"], cwd=app).returncode == 0
    home = Path(os.environ["PRE_COMMIT_HOME"])
    python = next(p for p in home.glob("repo*/py_env-*/bin/python")
                  if (p.parent / "checkov").exists())
    refuse_network = (
        "import socket\n"
        "def refuse(*args, **kwargs):\n"
        "    raise RuntimeError('network used')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from pathlib import Path\n"
        "from scaffold.checks.iac import run\n"
        "from scaffold.engines.iac import checkov_importable\n"
        "assert checkov_importable()\n"
        "import sys\n"
        "result = run(Path('.'), sys.argv[1:])\n"
        "print('findings:', len(result.findings), sorted({f.rule for f in result.findings}))\n"
    )
    result = run([str(python), "-c", refuse_network, "infra/main.tf"], cwd=app)
    assert result.returncode == 0, result.output
    assert "findings: 0" in result.stdout
    # checkov's own checks answer there too: an open bucket is one of its findings
    (app / "infra" / "open.tf").write_text(
        'resource "aws_s3_bucket_public_access_block" "open" {\n  bucket = "b"\n'
        '  block_public_acls = false\n  block_public_policy = false\n'
        '  ignore_public_acls = false\n  restrict_public_buckets = false\n}\n')
    result = run([str(python), "-c", refuse_network, "infra/open.tf"], cwd=app)
    assert result.returncode == 0, result.output
    assert "'CKV_AWS_53'" in result.stdout, result.output


def test_the_expiry_warning_shows_on_a_passing_commit(app: Path) -> None:
    import datetime as dt

    manifest = app / "microapp.yaml"
    soon = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    manifest.write_text(re.sub(r"^expires: .*$", f"expires: {soon}", manifest.read_text(),
                               flags=re.M))
    result = commit(app, "a commit ten days before the app expires")
    assert result.returncode == 0, result.output
    assert "warning: expires: the app expires in 10 days" in result.output
