"""`microgate tests generate` without an LLM: real tests, run, and the hook turns green."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from scaffold.generation.testgen import validate
from testing.util import MICROGATE, commit_all, git, microgate, processes_in, run

FUNCTIONS = '''

def add_tax(amount: float, rate: float) -> float:
    """Return the amount with tax added.

    >>> add_tax(100.0, 0.2)
    120.0
    >>> add_tax(-1.0, 0.2)
    Traceback (most recent call last):
    ...
    ValueError: amount must not be negative
    """
    if amount < 0:
        raise ValueError("amount must not be negative")
    return round(amount * (1 + rate), 2)


def is_weekend(day: str) -> bool:
    """Say whether a day name is on the weekend.

    >>> is_weekend("Saturday")
    True
    >>> is_weekend("Monday")
    False
    """
    return day in ("Saturday", "Sunday")


def shout(text: str) -> str:
    return text.upper() + "!"
'''


@pytest.fixture
def app(make_app: Any) -> Path:
    repo: Path = make_app(git=False)
    core = repo / "app" / "core.py"
    core.write_text(core.read_text() + FUNCTIONS)
    return repo


def test_three_untested_functions_get_passing_tests(app: Path) -> None:
    before = run([sys.executable, "-m", "hooks.testpresence", "--all-files"], cwd=app,
                 env={"PYTHONPATH": str(Path(__file__).resolve().parents[3])})
    assert before.returncode == 1 and "add_tax has no test" in before.stdout
    result = microgate("tests", "generate", "--repo", str(app), "--check")
    assert result.returncode == 0, result.output
    assert "wrote tests/test_core.py::test_add_tax_examples" in result.stdout
    # the app's own test environment has no hypothesis: answers, not property tests
    assert "wrote tests/test_core.py::test_shout_recorded_answers" in result.stdout
    assert "hypothesis is not in the app's requirements-dev.in" in result.stdout
    tests = (app / "tests" / "test_core.py").read_text()
    assert "assert add_tax(100.0, 0.2) == 120.0" in tests
    assert "with pytest.raises(ValueError):" in tests
    assert "assert is_weekend('Saturday') == True" in tests
    assert run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=app
               ).returncode == 0
    after = run([sys.executable, "-m", "hooks.testpresence", "--all-files"], cwd=app,
                env={"PYTHONPATH": str(Path(__file__).resolve().parents[3])})
    assert after.returncode == 0, after.output


def test_an_app_whose_environment_has_hypothesis_gets_property_tests(app: Path) -> None:
    dev = app / "requirements-dev.in"
    dev.write_text(dev.read_text() + "hypothesis>=6\n")
    result = microgate("tests", "generate", "--repo", str(app), "--check")
    assert result.returncode == 0, result.output
    assert "wrote tests/test_core.py::test_shout_returns_str" in result.stdout
    assert "from hypothesis import" in (app / "tests" / "test_core.py").read_text()


def test_a_mutated_function_fails_a_generated_test(app: Path) -> None:
    assert microgate("tests", "generate", "--repo", str(app)).returncode == 0
    core = app / "app" / "core.py"
    core.write_text(core.read_text().replace('return day in ("Saturday", "Sunday")',
                                             'return day not in ("Saturday", "Sunday")'))
    result = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=app)
    assert result.returncode == 1
    assert "test_is_weekend_examples" in result.stdout


def test_nothing_to_do_and_unknown_paths(app: Path) -> None:
    microgate("tests", "generate", "--repo", str(app))
    again = microgate("tests", "generate", "--repo", str(app))
    assert "every public function and class already has a test" in again.stdout
    missing = microgate("tests", "generate", "nope.py", "--repo", str(app))
    assert missing.returncode == 1 and "no source module among nope.py" in missing.stderr


def test_a_function_without_examples_or_types_is_reported(app: Path) -> None:
    core = app / "app" / "core.py"
    core.write_text(core.read_text() + "\n\ndef mystery(thing):\n    return thing\n")
    result = microgate("tests", "generate", "--repo", str(app), "--check")
    assert result.returncode == 1
    assert "no test written for app/core.py: mystery: add a docstring example" in result.stdout


@pytest.mark.parametrize(("source", "problem"), [
    ("import os\ndef test_x():\n    assert os.getcwd()\n", "imports os"),
    ("def test_x():\n    assert True\n", "asserts nothing"),
    ("from app.core import f\ndef test_x():\n    open('x', 'w')\n    assert f(1) == 2\n",
     "calls open()"),
    ("import subprocess\ndef test_x():\n    assert subprocess.run(['ls'])\n",
     "imports subprocess"),
    ("def test_x(:\n", "does not parse"),
    ("x = 1\n", "has no test function"),
])
def test_generated_code_is_validated_before_it_is_written(source: str, problem: str) -> None:
    assert any(problem in p for p in validate(source, "app.core"))


def test_clean_generated_code_passes_validation() -> None:
    source = ("import pytest\nfrom app.core import f\n\n\ndef test_f():\n"
              "    assert f(2) == 4\n    with pytest.raises(ValueError):\n        f(-1)\n")
    assert validate(source, "app.core") == []


def test_without_pytest_it_says_where_to_run_it_and_writes_nothing(app: Path) -> None:
    before = sorted(p.name for p in (app / "tests").iterdir())
    # This Python without pytest: what `pip install microgate` alone gives.
    code = ("import sys; sys.modules['pytest'] = None; from scaffold.cli import main; "
            f"sys.exit(main(['tests', 'generate', '--repo', {str(app)!r}, '--no-llm']))")
    result = run([sys.executable, "-c", code],
                 env={"PYTHONPATH": str(Path(__file__).resolve().parents[3])})
    assert result.returncode != 0 and "Traceback" not in result.output
    assert "pytest is not installed where microgate runs" in result.output
    assert "pip install -r requirements-dev.txt" in result.output
    assert sorted(p.name for p in (app / "tests").iterdir()) == before



def test_ctrl_c_while_generated_tests_run_stops_them(make_app: Any, tmp_path: Path) -> None:
    """The runs of generated tests are sessions of their own (a test's Ctrl-C is not
    theirs to see): when microgate is stopped, it stops them, sandbox or not, and puts
    the test file it was checking back as it was."""
    repo: Path = make_app()
    core = repo / "app" / "core.py"
    core.write_text(core.read_text() + (
        "\n\ndef wait_a_while(seconds: int) -> int:\n"
        '    """Wait, then say how long.\n\n    >>> wait_a_while(60)\n    60\n    """\n'
        "    import time\n\n    time.sleep(seconds)\n    return seconds\n"))
    commit_all(repo, "a slow function")
    env = {**os.environ, "MICROGATE_SANDBOX": "off",  # no bubblewrap to end them for us
           "XDG_CACHE_HOME": str(tmp_path / "cache")}
    process = subprocess.Popen([*MICROGATE, "tests", "generate", "--repo", str(repo),
                                "--no-llm"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        ours = " ".join(MICROGATE)
        while not [args for args in processes_in(repo) if not args.startswith(ours)] \
                and time.monotonic() < deadline:  # until microgate has started a run
            assert process.poll() is None, process.communicate()
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == ("microgate: cancelled; the test file being "
                                            "checked is back as it was, and nothing was "
                                            "written")
    assert git(repo, "status", "--porcelain", "--ignored") == ""  # no unchecked test
    time.sleep(0.3)  # a killed process is gone at once
    assert processes_in(repo) == []
