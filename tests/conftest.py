from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from scaffold import NewOptions, default_policy, new, to_manifest
from testing.util import answers, snapshot_checkout

TOOLS_DIR = Path(os.path.expanduser("~")) / ".cache" / "microgate-test-tools"
# The package downloads pip and uv keep: content-addressed, and on a fresh machine already
# holding what the README's install fetched (the hooks' environments need most of it).
_USER_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path(os.path.expanduser("~")) / ".cache")
PIP_CACHE = Path(os.environ.get("PIP_CACHE_DIR") or _USER_CACHE / "pip")
UV_CACHE = Path(os.environ.get("UV_CACHE_DIR") or _USER_CACHE / "uv")
CHECKOUT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    """The checkout's bytecode, made once a run: the tests start microgate as a new
    process a few thousand times, and where PYTHONDONTWRITEBYTECODE is set (as on many CI
    machines) each start would compile the modules it imports again (~0.1 s). And Ctrl-C
    as the commands the tests start should see it."""
    import compileall
    import signal

    for package in ("scaffold", "hooks", "testing"):
        compileall.compile_dir(CHECKOUT / package, quiet=1)
    # Started in the background by a shell (`pytest &`), the run ignores Ctrl-C and so
    # would every command it starts: the tests of Ctrl-C need commands that see it.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


# The order the workers take the tests in, longest first where it matters (measured with
# bench/bench_testsuite.py). One test builds pre-commit's hook environments while the other
# workers take long tests that need none (pre-commit's store lets one process build at a
# time: tests that need the environments early would only wait); then the end-to-end
# chain, the other tests of real hook environments and the package index, and the rest.
RUN_FIRST = (
    "tests/hooks/test_pre_commit.py::test_a_commit_with_a_secret_is_blocked",
    "tests/scaffold/platform/test_fleet.py::",
    "tests/scaffold/generation/test_mutation.py::test_strong_tests",
    "tests/hooks/test_pre_commit.py::test_try_repo",  # a store of its own
    "tests/hooks/test_pre_commit.py::test_every_hook_runs_on_the_whole_generated_repo[prek]",
    "tests/scaffold/test_end_to_end.py::test_a_new_app_from_first_command_to_template_update"
    "[scheduled]",  # the longest of the four
    "tests/scaffold/test_end_to_end.py::",
)


def _run_order(item: pytest.Item) -> tuple[int, int]:
    first = next((rank for rank, prefix in enumerate(RUN_FIRST)
                  if item.nodeid.startswith(prefix)), None)
    if first is not None:
        return 0, first
    return (1 if item.get_closest_marker("slow") else 2), 0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Long tests first: started last, one of them alone keeps a core busy while the
    others wait for it at the end of the run."""
    items.sort(key=_run_order)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """One worker more than the cores (`-n auto`): while one waits (the package index, a
    sandboxed run stopped at its timeout, a process starting), another uses the core;
    with it the machine's CPU is busy ~97% of the run (bench/bench_testsuite.py)."""
    return (os.cpu_count() or 1) + 1


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the real home, git identity or pre-commit cache."""
    home = tmp_path_factory.getbasetemp() / "home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    # One cache for the run, as a user has one: what microgate keeps there (checkov's and
    # pip-compile's answers, parses, the generated tests' warm start) and pip's wheels are
    # written atomically, so the parallel workers share them. pip-tools' own dependency
    # cache is not (it rewrites one JSON file in place): one per worker.
    monkeypatch.setenv("XDG_CACHE_HOME", str(shared_folder(tmp_path_factory) / "cache"))
    monkeypatch.setenv("PIP_TOOLS_CACHE_DIR", str(home / ".cache" / "pip-tools"))
    monkeypatch.setenv("PIP_CACHE_DIR", str(PIP_CACHE))
    monkeypatch.setenv("UV_CACHE_DIR", str(UV_CACHE))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Test User")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "test@example.com")
    # One pre-commit store for the run: its own lock makes it safe to share between the
    # parallel workers, so each hook environment is built once, not once a worker.
    monkeypatch.setenv("PRE_COMMIT_HOME", str(shared_folder(tmp_path_factory) / "pre-commit"))
    monkeypatch.setenv("PROMPT_TOOLKIT_NO_CPR", "1")
    # The apps' own pytest runs keep hypothesis's tables (~1.2 s to make) out of the repos
    # under test and make them once a run.
    monkeypatch.setenv("HYPOTHESIS_STORAGE_DIRECTORY",
                       str(shared_folder(tmp_path_factory) / "hypothesis"))
    monkeypatch.delenv("MICROGATE_HOOKS_REPO", raising=False)
    # Tools microgate installs in environments of their own (checkov) outlive a test run.
    monkeypatch.setenv("MICROGATE_TOOLS_DIR", str(TOOLS_DIR))
    monkeypatch.delenv("MICROGATE_HOOKS_REV", raising=False)


def shared_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of this test run that every parallel (xdist) worker sees."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def run_lock(path: Path) -> Iterator[None]:
    """Held by one worker at a time: the first makes what the others then reuse."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def hooks_snapshot(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This checkout as a git repo pre-commit can install hooks from: (path, rev), one
    for the whole run, so its hook environments are built once."""
    folder = shared_folder(tmp_path_factory) / "microgate-hooks"
    with run_lock(folder.with_suffix(".lock")):
        head = folder.with_suffix(".rev")
        if not head.is_file():
            folder.mkdir()
            head.write_text(snapshot_checkout(folder)[1])
        return folder, head.read_text()


@pytest.fixture
def make_app(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A generated app, made by `new` once a run for each set of answers (locked ones:
    pip-compile, ~15 s; the others: copier and git, ~0.4 s of CPU, asked for a few hundred
    times a run); each test gets its own copy (~0.015 s)."""
    def factory(dest: Path | None = None, *, lock: bool = False, git: bool = True,
                hooks: tuple[Path, str] | None = None, **overrides: Any) -> Path:
        manifest = to_manifest(answers(**overrides), default_policy())
        dest = dest or tmp_path / manifest.name
        options = NewOptions(
            dest=dest, lock=lock, git=git,
            install_hooks=False,
            hooks_repo=str(hooks[0]) if hooks else None,
            hooks_rev=hooks[1] if hooks else None,
        )
        # microgate's settings from the environment too: a test may name its own store
        settings = {k: v for k, v in os.environ.items() if k.startswith("MICROGATE_")}
        key = hashlib.sha256(json.dumps([overrides, lock, git, settings,
                                         hooks and [str(hooks[0]), hooks[1]]],
                                        sort_keys=True, default=str).encode()).hexdigest()
        made = shared_folder(tmp_path_factory) / "made-apps" / key[:16] / manifest.name
        with run_lock(made.parent.with_suffix(".lock")):
            if not made.is_dir():
                new(manifest, dataclasses.replace(options, dest=made))
        shutil.copytree(made, dest, symlinks=True)
        return dest

    yield factory


@pytest.fixture(scope="session", autouse=True)
def _no_stray_env() -> None:
    os.environ.pop("MICROGATE_LLM_BASE_URL", None)
