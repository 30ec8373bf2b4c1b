"""Runs of generated tests forked from one warm pytest process (as mutmut runs mutants).

Started afresh, each run of generated tests (a candidate test, each mutant's run) pays
~0.4 s of CPU for Python, pytest, its plugins and hypothesis before its first test, and
one ``tests generate --mutants`` makes hundreds of runs. A **session** starts one process
per repo (in the sandbox when its runs are sandboxed) that imports all of that once, from
an empty folder: none of the repo's code or configuration. Each run is a fork of it that
then reads the repo's configuration, conftest and modules itself, as a new process would:
what one run imports, the next does not see.

What one run leaves, the next does not meet either. In the sandbox, after each run the
server ends every other process in it and empties its private ``/tmp``; the bytecode and
hypothesis tables the runs start from are mounted read-only, each run writes only its own
folder (named at random when it starts), and the server cannot be traced or read by the
runs (it is not dumpable, and the sandbox leaves them no capabilities). Without a sandbox
only microgate's own tests run this way (an LLM's only when asked), as before.

The server speaks one JSON line per request and per answer on its standard input and
output; a run's output goes to a file in its folder. Where Python cannot fork (Windows),
or with ``MICROGATE_TEST_SERVER=off`` (to compare, to debug), each run is a process of its
own again.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

SERVER_MODULE = "scaffold.generation.testserver"
OFF_VARIABLE = "MICROGATE_TEST_SERVER"  # "off": a process per run
READY_TIMEOUT_SECONDS = 120.0
ANSWER_MARGIN_SECONDS = 30.0  # the server's own time limit comes first
MAX_LINE = 65_536


# -- the server (runs inside the sandbox; only the standard library until it warms up) --

def _not_dumpable() -> None:
    """No process of the same user may trace this one or read its memory (Linux)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    except (OSError, AttributeError):
        pass


def _warm_up(plugins: list[str]) -> None:
    """Import pytest, every plugin it loads (through its own assert-rewriting import, as
    a run would: a plugin imported otherwise makes each run warn), and hypothesis's
    Unicode tables, from an empty folder."""
    import tempfile

    import pytest

    with tempfile.TemporaryDirectory(prefix="microgate-warm-") as empty:
        ini = Path(empty) / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")
        pytest.main(["--collect-only", "-q", "-c", str(ini), *plugins, empty])
    try:
        from hypothesis.internal import charmap
    except ImportError:
        return
    charmap.charmap()
    charmap.intervals_from_codec("utf-8")


def _run_child(request: dict[str, Any], protocol: list[int]) -> None:
    """In the fork: become the run. Never returns."""
    code = 1
    try:
        for fd in protocol:
            os.close(fd)
        folder = Path(str(request["folder"]))
        output = os.open(folder / "output.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(output)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        # The bytecode the runs start from is shared: no run writes any (a mutant of the
        # same size, written within the same second, would otherwise load its
        # predecessor's), nor do the processes a test starts.
        sys.dont_write_bytecode = True
        os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
        storage = folder / "hypothesis"
        os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = str(storage)
        if "hypothesis.configuration" in sys.modules:
            sys.modules["hypothesis.configuration"].set_hypothesis_home_dir(storage)
        sys.path.insert(0, os.getcwd())  # as `python -m pytest` has it
        args = [str(arg) for arg in request["args"]]
        sys.argv = ["pytest", *args]
        import pytest

        try:
            code = int(pytest.main(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: B036 - whatever the run raised, the fork must end here
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code & 0xFF)


def _wait(pid: int, timeout: float) -> tuple[int, bool]:
    """(returncode as subprocess gives it, timed out) of the fork ``pid``."""
    deadline = time.monotonic() + timeout
    try:
        handle: int | None = os.pidfd_open(pid)
    except (AttributeError, OSError):
        handle = None
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status), False
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return -9, True
            if handle is not None:
                select.select([handle], [], [], left)
            else:
                time.sleep(min(left, 0.01))
    finally:
        if handle is not None:
            os.close(handle)


def _end_the_others() -> None:
    """Kill every process in the sandbox but this one and the sandbox's init, whatever
    session or group it moved to, and collect those that were this one's."""
    me = os.getpid()
    for _ in range(50):
        others = []
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) not in (1, me):
                try:
                    state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
                except (OSError, IndexError):
                    continue
                if state != "Z":
                    others.append(int(entry))
        for pid in others:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        while True:
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        if not others:
            return
        time.sleep(0.01)


def _empty_tmp(root: str = "/tmp") -> None:
    """Remove what a run left in the sandbox's private /tmp; the folders mounted into it
    (the repo, the sessions' folder, Python) are on other devices and stay."""
    device = os.lstat(root).st_dev

    def clear(folder: str) -> None:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
                if info.st_dev != device:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    clear(entry.path)
                    os.rmdir(entry.path)  # fails, rightly, above a mounted folder
                else:
                    os.unlink(entry.path)
            except OSError:
                continue

    clear(root)


def serve(sandboxed: bool, warm: bool, plugins: list[str]) -> int:
    protocol_in = os.fdopen(os.dup(0), "rb")
    protocol_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # the protocol's pipe is the one way out: the warm-up's output
        os.dup2(devnull, fd)  # and warnings go nowhere
    os.close(devnull)
    if sandboxed:
        _not_dumpable()
    protocol = [protocol_in.fileno(), protocol_out.fileno()]
    try:
        if warm:
            _warm_up(plugins)
        ready: dict[str, Any] = {"ready": True}
    except BaseException as exc:  # noqa: B036 - said to the client, which gives up
        ready = {"ready": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
    if sandboxed:
        _end_the_others()
        _empty_tmp()
    _answer(protocol_out, ready)
    if not ready["ready"]:
        return 1
    while True:
        line = protocol_in.readline(MAX_LINE)
        if not line:
            return 0
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _run_child(request, protocol)
        returncode, timed_out = _wait(pid, float(request["timeout"]))
        if sandboxed:
            _end_the_others()
            _empty_tmp()
        _answer(protocol_out, {"id": request["id"], "returncode": returncode,
                               "timed_out": timed_out})


def _answer(out: IO[bytes], message: dict[str, Any]) -> None:
    out.write(json.dumps(message).encode() + b"\n")
    out.flush()


# -- the client ---------------------------------------------------------------------------

class TestSession:
    """Runs of pytest in ``repo`` (with ``pythonpath`` first on the path), each a fork of
    one warm server; use as a context manager. A server that dies (a test killed it) is
    started again for the next run."""

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self, repo: Path, *, sandboxed: bool, pythonpath: list[str] | None = None,
                 warm: bool = True) -> None:
        import tempfile

        self.repo = repo
        self.sandboxed = sandboxed
        self.pythonpath = list(pythonpath or [])
        self.warm = warm
        self.scratch = Path(tempfile.mkdtemp(prefix="microgate-tests-"))
        self._server: Any = None
        self._count = 0

    def __enter__(self) -> TestSession:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        self.close(stop=kind is not None)

    def _environment(self, start: Path) -> dict[str, str]:
        """The runs' environment, starting from a copy of the seed in ``start``."""
        from scaffold.generation import testwarmup

        env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PY_COLORS": "0"}
        env.pop("FORCE_COLOR", None)
        testwarmup.prepare(start, env)
        # A src layout imports from src/ without being installed (and a copy of the repo
        # from itself, not from an installed version).
        path = [*self.pythonpath, str(self.repo / "src")]
        env["PYTHONPATH"] = os.pathsep.join(
            [*path, *filter(None, [os.environ.get("PYTHONPATH")])])
        return env

    def _start(self) -> None:
        from scaffold import sandbox
        from scaffold.generation.testwarmup import MICROGATE_PLUGINS

        warm = self.scratch / "warm"
        shutil.rmtree(warm, ignore_errors=True)
        warm.mkdir()
        env = self._environment(warm)
        runs = self.scratch / "runs"
        runs.mkdir(exist_ok=True)
        command = [sys.executable, "-P", "-m", SERVER_MODULE,
                   "sandboxed" if self.sandboxed else "unsandboxed",
                   "warm" if self.warm else "cold", *MICROGATE_PLUGINS]
        self._server = sandbox.start(command, self.repo, env=env, sandboxed=self.sandboxed,
                                     writable=runs, read_only=[warm])
        answer = self._read(READY_TIMEOUT_SECONDS)
        if not answer.get("ready"):
            self._stop()
            why = str(answer.get("error") or "it ended before it was ready")
            raise OSError(f"the test runner did not start: {why}")

    def _read(self, timeout: float) -> dict[str, Any]:
        """The server's next answer; {} when it ended, broke the protocol or took longer
        than ``timeout``."""
        server = self._server
        ready, _, _ = select.select([server.stdout], [], [], timeout)
        if not ready:
            return {}
        line = server.stdout.readline(MAX_LINE)
        try:
            answer = json.loads(line)
        except ValueError:
            return {}
        return answer if isinstance(answer, dict) else {}

    def _stop(self) -> None:
        from scaffold.processes import kill_group

        server, self._server = self._server, None
        if server is not None:
            kill_group(server)
            _reap(server)

    def run(self, args: list[str], folder: Path, timeout: float) -> tuple[int, str, bool]:
        """pytest ``args`` in a new fork, writing only ``folder`` (from new_folder):
        (returncode, its output, timed out)."""
        if one_per_run():
            return self._run_alone(args, folder, timeout)
        if self._server is None:
            try:
                self._start()
            except OSError as exc:
                return 127, f"could not start: {exc}", False
        self._count += 1
        request = {"id": self._count, "args": args, "folder": str(folder), "timeout": timeout}
        try:
            self._server.stdin.write(json.dumps(request).encode() + b"\n")
            self._server.stdin.flush()
        except OSError:
            self._stop()
            return 127, "could not start: the test runner ended", False
        answer = self._read(timeout + ANSWER_MARGIN_SECONDS)
        output = _tail(folder / "output.txt", 200_000)
        if answer.get("id") != self._count:  # it died with the run, or was made to lie
            self._stop()
            return -9, output + "\nthe test run ended the test runner", False
        returncode = answer.get("returncode")
        return (returncode if isinstance(returncode, int) else 1, output,
                bool(answer.get("timed_out")))

    def _run_alone(self, args: list[str], folder: Path,
                   timeout: float) -> tuple[int, str, bool]:
        """The run in a process of its own, started warm from the seed, as every run was
        before sessions: where Python cannot fork (Windows), or when asked."""
        from scaffold import sandbox

        start = folder / "start"
        start.mkdir()
        env = self._environment(start)
        done = sandbox.run([sys.executable, "-m", "pytest", *args], self.repo,
                           timeout=timeout, env=env, sandboxed=self.sandboxed,
                           writable=folder)
        return done.returncode, done.output, done.timed_out

    def new_folder(self) -> Path:
        """A folder for the next run, under a name no earlier run could guess."""
        import secrets

        folder = self.scratch / "runs" / secrets.token_hex(16)
        (folder / "hypothesis").mkdir(parents=True)  # its examples, for this run only
        return folder

    def close(self, *, stop: bool = False) -> None:
        """End the session: its server (at once when ``stop``; else once it has read
        that no run follows), whatever its runs left running, and its folder."""
        server = self._server
        try:
            if server is not None and not stop:
                server.stdin.close()
                try:
                    server.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass  # killed below
        finally:
            self._stop()  # strays of runs without a sandbox share its group
            shutil.rmtree(self.scratch, ignore_errors=True)


def _reap(server: Any) -> None:
    for pipe in (server.stdin, server.stdout):
        try:
            pipe.close()
        except OSError:
            pass
    server.wait()


def _tail(path: Path, size: int) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, path.stat().st_size - size))
            return handle.read(size).decode("utf-8", "replace")
    except OSError:
        return ""


def one_per_run() -> bool:
    return os.environ.get(OFF_VARIABLE, "").lower() == "off" or not hasattr(os, "fork")


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1] == "sandboxed", sys.argv[2] == "warm", sys.argv[3:]))
