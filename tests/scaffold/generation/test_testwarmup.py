"""The warm start of generated-test runs: made once, copied for each session of runs, never changed
by one, and nothing written into the repo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scaffold import sandbox
from scaffold.generation import testwarmup
from scaffold.generation.testgen import run_tests

HOSTILE_TEST = '''import os
import pathlib


def test_spoils_what_it_can_reach():
    for variable in ("PYTHONPYCACHEPREFIX", "HYPOTHESIS_STORAGE_DIRECTORY"):
        folder = pathlib.Path(os.environ[variable])
        for path in [*folder.rglob("*"), folder / "planted.py"]:
            try:  # the sandbox mounts what the runs start from read-only
                if path.is_file() or not path.exists():
                    path.write_bytes(b"raise SystemExit('planted')")
            except OSError:
                pass
'''
PROPERTY_TEST = '''from hypothesis import given, strategies as st


@given(st.text())
def test_text_round_trips(value):
    assert value.encode("utf-8").decode("utf-8") == value
'''


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def make_repo(root: Path, tests: str) -> Path:
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_it.py").write_text(tests)
    return root


@pytest.mark.parametrize("sandboxed", [True, False])
def test_a_run_cannot_change_the_seed_the_next_run_starts_from(tmp_path: Path,
                                                              sandboxed: bool) -> None:
    if sandboxed and not sandbox.available():
        if os.environ.get("CI"):
            pytest.fail("bubblewrap is missing: .ci/run installs Debian's bubblewrap")
        pytest.skip("needs bubblewrap (apt-get install bubblewrap)")
    seed = testwarmup.seed()
    assert seed is not None
    assert any((seed / "bytecode").rglob("*.pyc"))
    assert any((seed / "hypothesis" / "unicode_data").rglob("charmap.json.gz"))
    before = snapshot(seed)
    hostile = make_repo(tmp_path / "hostile", HOSTILE_TEST)
    assert run_tests(hostile, "tests/test_it.py", sandboxed=sandboxed).passed
    assert snapshot(seed) == before
    # The next run starts from the unspoiled seed, and hypothesis works in it.
    honest = make_repo(tmp_path / "honest", PROPERTY_TEST)
    outcome = run_tests(honest, "tests/test_it.py", sandboxed=sandboxed)
    assert outcome.passed, outcome.output
    assert outcome.results["test_text_round_trips"]["outcome"] == "passed"
    assert testwarmup.seed() == seed and snapshot(seed) == before
    # Neither run wrote bytecode (or anything else) into the repo.
    for repo in (hostile, honest):
        assert sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*")) == \
            ["tests", "tests/test_it.py"]


def test_without_a_seed_runs_still_work_and_write_no_bytecode(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert testwarmup.seed() is None
    repo = make_repo(tmp_path / "repo", PROPERTY_TEST)
    outcome = run_tests(repo, "tests/test_it.py", sandboxed=False)
    assert outcome.passed, outcome.output
    assert not list(repo.rglob("__pycache__"))
