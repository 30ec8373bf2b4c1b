"""`microgate tests generate` without an LLM calls the repo's own functions to record their
answers: code an attacker wrote in a pull request. Nothing hangs, nothing leaves the
sandbox, nothing but the test file is written, and a hostile answer becomes no code."""

from __future__ import annotations

from pathlib import Path

import pytest

from scaffold import sandbox
from testing.hostile import microgate

SPIN = '''

def spin(count: int) -> int:
    while True:
        count += 1
'''
# The side-effect screen looks for names; this reaches the file system without one.
REACH = '''

def reach(count: int) -> int:
    target = {target!r}
    __import__("path" + "lib").Path(target).write_text("owned")
    return count
'''
# An object whose repr is code: a recorded answer must never become code in a test.
TRICK = '''

class _Answer:
    def __repr__(self):
        return "__import__('os').system('touch PWNED')"


def trick(count: int) -> object:
    return _Answer()
'''


def _generate(repo: Path) -> str:
    result = microgate("tests", "generate", "--repo", str(repo), "--no-llm", timeout=300)
    assert "Traceback" not in result.output
    return result.output


def test_a_function_that_never_returns_is_given_up_on_in_seconds(app: Path) -> None:
    core = app / "app" / "core.py"
    core.write_text(core.read_text(encoding="utf-8") + SPIN, encoding="utf-8")
    out = _generate(app)  # the capped run fails the test if this hangs
    assert "spin_recorded_answers" not in out
    assert "spin_recorded_answers" not in (app / "tests" / "test_core.py").read_text()


@pytest.mark.skipif(not sandbox.available(), reason="bubblewrap does not work here")
def test_recording_a_function_that_writes_leaves_the_machine_as_it_was(app: Path,
                                                                       tmp_path: Path) -> None:
    target = tmp_path / "written-by-the-probe.txt"
    core = app / "app" / "core.py"
    core.write_text(core.read_text(encoding="utf-8") + REACH.format(target=str(target)),
                    encoding="utf-8")
    _generate(app)
    assert not target.exists()


def test_an_answer_whose_repr_is_code_is_not_written_as_code(app: Path) -> None:
    core = app / "app" / "core.py"
    core.write_text(core.read_text(encoding="utf-8") + TRICK, encoding="utf-8")
    _generate(app)
    tests = (app / "tests" / "test_core.py").read_text(encoding="utf-8")
    assert "system(" not in tests and "__import__" not in tests
    assert not (app / "PWNED").exists()
