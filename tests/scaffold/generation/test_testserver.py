"""Runs of generated tests forked from one warm process: what one run does, the next run
of the same session never meets, and the session leaves nothing behind. Each case runs in
a process of its own with a memory cap and a time limit (testing/hostile.py)."""

from __future__ import annotations

import json
import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

from scaffold import sandbox
from testing.hostile import capped
from testing.util import processes_in

# Runs each named test file in turn in one session of the repo; prints one JSON line per
# run: whether it passed, each test's outcome and the output's last line.
DRIVER = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from scaffold.generation.testgen import run_tests
    from scaffold.generation.testserver import TestSession

    repo, sandboxed, files = Path(sys.argv[1]), sys.argv[2] == "1", sys.argv[3:]
    with TestSession(repo, sandboxed=sandboxed) as session:
        for name in files:
            if name.startswith("write:"):  # write:<path>:<text>, between two runs
                _, path, text = name.split(":", 2)
                target = repo / path
                stat = target.stat()
                target.write_text(text)
                os_times = (stat.st_atime_ns, stat.st_mtime_ns)
                import os
                os.utime(target, ns=os_times)  # the same size and time as before
                continue
            run = run_tests(repo, name, sandboxed=sandboxed, session=session)
            print(json.dumps({"passed": run.passed,
                              "outcomes": {k: v["outcome"] for k, v in run.results.items()},
                              "last": (run.output.strip().splitlines() or [""])[-1]}),
                  flush=True)
""")

SPOILER = '''import os, pathlib, subprocess, sys


def test_leaves_what_it_can():
    pathlib.Path("/tmp/left-behind.txt").write_text("from the first run")
    pathlib.Path(os.environ["HOME"], ".planted").write_text("from the first run")
    pathlib.Path(os.environ["HYPOTHESIS_STORAGE_DIRECTORY"], "planted").write_text("x")
    runs = pathlib.Path(os.environ["HYPOTHESIS_STORAGE_DIRECTORY"]).parent.parent
    for name in ("0" * 32, "f" * 32):
        try:
            (runs / name).mkdir()
            (runs / name / "results.json").write_text('{"x::test_x": {"outcome": "passed"}}')
        except OSError:
            pass
    for path in pathlib.Path(os.environ["PYTHONPYCACHEPREFIX"]).rglob("*.pyc"):
        try:
            path.write_bytes(b"spoiled")
        except OSError:
            pass
    # a process of its own session, writing on after the run
    subprocess.Popen([sys.executable, "-c",
                      "import time, pathlib\\n"
                      "while True:\\n"
                      "    pathlib.Path('/tmp/stray-was-here').write_text('x')\\n"
                      "    time.sleep(0.05)"],
                     start_new_session=True, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL)
'''
CHECKER = '''import os, pathlib, time


def test_meets_nothing_of_the_first_run():
    time.sleep(0.3)  # a stray, were there one, would write meanwhile
    assert not pathlib.Path("/tmp/left-behind.txt").exists()
    assert not pathlib.Path("/tmp/stray-was-here").exists()
    assert not pathlib.Path(os.environ["HOME"], ".planted").exists()
    assert not pathlib.Path(os.environ["HYPOTHESIS_STORAGE_DIRECTORY"], "planted").exists()


def test_hypothesis_still_works():
    from hypothesis import given, strategies as st

    @given(st.text())
    def round_trip(value):
        assert value.encode("utf-8").decode("utf-8") == value

    round_trip()
'''


def needs_sandbox() -> None:
    if not sandbox.available():
        if os.environ.get("CI"):
            pytest.fail("bubblewrap is missing: .ci/run installs Debian's bubblewrap")
        pytest.skip("needs bubblewrap (apt-get install bubblewrap)")


def make_repo(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def run_session(repo: Path, sandboxed: bool, *files: str,
                env: dict[str, str] | None = None) -> list[dict[str, object]]:
    done = capped([sys.executable, "-c", DRIVER, str(repo), "1" if sandboxed else "0",
                   *files], cwd=repo, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


# a process per run: where Python cannot fork (Windows), or when asked
ONE_PER_RUN = {"MICROGATE_TEST_SERVER": "off"}


@pytest.mark.parametrize("env", [None, ONE_PER_RUN], ids=["forked", "a process per run"])
def test_the_next_run_meets_nothing_the_last_one_left(
        tmp_path: Path, env: dict[str, str] | None) -> None:
    needs_sandbox()
    repo = make_repo(tmp_path / "repo", {"tests/test_a.py": SPOILER,
                                         "tests/test_b.py": CHECKER})
    first, second = run_session(repo, True, "tests/test_a.py", "tests/test_b.py", env=env)
    assert first["passed"], first
    assert second["outcomes"] == {"test_meets_nothing_of_the_first_run": "passed",
                                  "test_hypothesis_still_works": "passed"}, second
    assert second["passed"]
    # the session is over: no stray of it runs on, nothing of it is left in the repo
    assert processes_in(tmp_path) == []
    assert sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*")) == \
        ["tests", "tests/test_a.py", "tests/test_b.py"]


def test_without_a_sandbox_a_stray_ends_with_the_session(tmp_path: Path) -> None:
    stray = tmp_path / "stray.txt"
    repo = make_repo(tmp_path / "repo", {
        "stray.py": f"import pathlib, time\nwhile True:\n"
                    f"    pathlib.Path({str(stray)!r}).write_text('x')\n    time.sleep(0.05)\n",
        "tests/test_a.py": "import subprocess, sys\n\n\ndef test_starts_a_stray():\n"
                           "    subprocess.Popen([sys.executable, 'stray.py'])\n"})
    (run,) = run_session(repo, False, "tests/test_a.py")
    assert run["passed"], run
    assert processes_in(tmp_path) == []
    stray.unlink(missing_ok=True)
    time.sleep(0.3)
    assert not stray.exists()


@pytest.mark.parametrize("sandboxed", [True, False])
def test_a_run_that_kills_the_runner_fails_and_the_next_run_works(
        tmp_path: Path, sandboxed: bool) -> None:
    if sandboxed:
        needs_sandbox()
    repo = make_repo(tmp_path / "repo", {
        "tests/test_a.py": "import os, signal\n\n\ndef test_kills():\n"
                           "    os.kill(os.getppid(), signal.SIGKILL)\n",
        "tests/test_b.py": "def test_fine():\n    assert 1 + 1 == 2\n"})
    killer, after = run_session(repo, sandboxed, "tests/test_a.py", "tests/test_b.py")
    assert not killer["passed"]
    assert killer["last"] == "the test run ended the test runner"
    assert after["passed"] and after["outcomes"] == {"test_fine": "passed"}


@pytest.mark.parametrize("sandboxed", [True, False])
def test_each_mutant_is_judged_on_its_own_code(tmp_path: Path, sandboxed: bool) -> None:
    """Two versions of a module of the same size and time: the second run must not load
    the first one's bytecode."""
    if sandboxed:
        needs_sandbox()
    repo = make_repo(tmp_path / "repo", {
        "app.py": "def answer():\n    return 1\n",
        "tests/test_app.py": "from app import answer\n\n\ndef test_answer():\n"
                             "    assert answer() == 1\n"})
    runs = run_session(repo, sandboxed, "tests/test_app.py",
                       "write:app.py:def answer():\n    return 2\n", "tests/test_app.py",
                       "write:app.py:def answer():\n    return 1\n", "tests/test_app.py")
    assert [run["passed"] for run in runs] == [True, False, True]
    assert not list(repo.rglob("__pycache__"))


def test_a_repo_that_breaks_pytest_itself_fails_its_run_with_one_line(tmp_path: Path) -> None:
    """A src/ layout puts the repo's modules first, as `python -m pytest` would: one that
    shadows pytest and raises stops the warm process before it is ready."""
    repo = make_repo(tmp_path / "repo", {
        "src/pytest.py": "raise RuntimeError('not the real pytest')\n",
        "tests/test_a.py": "def test_a():\n    assert True\n"})
    (run,) = run_session(repo, False, "tests/test_a.py")
    assert not run["passed"]
    assert run["last"] == ("could not start: the test runner did not start: RuntimeError: "
                           "not the real pytest")


@pytest.mark.parametrize(("env", "started_by"), [
    (None, "scaffold.generation.testserver"), (ONE_PER_RUN, "pytest.__main__")],
    ids=["forked", "a process per run"])
def test_runs_are_forks_of_the_warm_process_unless_asked_otherwise(
        tmp_path: Path, env: dict[str, str] | None, started_by: str) -> None:
    repo = make_repo(tmp_path / "repo", {
        "tests/test_a.py": "import sys\n\n\ndef test_started_by():\n"
                           "    assert sys.modules['__main__'].__spec__.name == "
                           f"{started_by!r}\n"})
    runs = run_session(repo, False, "tests/test_a.py", "tests/test_a.py", env=env)
    assert [run["passed"] for run in runs] == [True, True], runs
