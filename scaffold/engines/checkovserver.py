"""checkov scans forked from one warm checkov process (as the generated tests' runs are,
scaffold/generation/testserver.py).

Each scan started afresh spends ~1 s of its ~1.4 s of CPU importing checkov's Terraform
runner and its checks; the scan itself takes ~0.3 s on a small app. A process that scans
more than once (``microgate fleet check`` over many apps, ``risk`` after ``check``, a
test suite) starts one **server** in checkov's own environment that imports all of that
once, from an empty folder, reading nothing of any repo, then forks a child for each
scan. The child takes the caller's environment of that moment, scans, writes checkov's
answer to a file in a folder only the caller knows, and ends: what one scan does, the
next does not see, and nothing a scan reads can change the server (it never reads a
repo, and neither it nor its children can be traced or read by another process of the
user: they are not dumpable).

The server speaks one JSON line per request and per answer on its standard input and
output, one scan at a time; it ends when the caller closes its input (or ends). It is
started again when it died, when the caller is a fork of the process that started it,
or when the environment it started with differs from the caller's in anything but
microgate's own settings (checkov reads its settings as it is imported). Where Python
cannot fork (Windows), or with ``MICROGATE_CHECKOV_SERVER=off``, each scan is a process
of its own (scaffold/engines/iac.py).
"""

from __future__ import annotations

import atexit
import json
import os
import select
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

OFF_VARIABLE = "MICROGATE_CHECKOV_SERVER"  # "off": a process per scan
# Not checkov's to read as it is imported: microgate's own settings, and the name pytest
# sets around each phase of each test (a test suite that scans in its own process would
# otherwise start a server per test). A scan's child still gets them.
NOT_CHECKOVS = ("MICROGATE_", "PYTEST_CURRENT_TEST")
MAX_LINE = 65_536

# Runs after iac.CHECKOV_PRELUDE (which defines scan()) in checkov's own Python.
SERVER_LOOP = """
def _serve():
    protocol_in = os.fdopen(os.dup(0), "rb")
    protocol_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    except (OSError, AttributeError):
        pass
    while True:
        line = protocol_in.readline(65536)
        if not line:
            return
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                protocol_in.close()
                protocol_out.close()
                errors = os.open(request["errors"], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                os.dup2(errors, 1)
                os.dup2(errors, 2)
                os.close(errors)
                os.environ.clear()
                os.environ.update(request["env"])
                import tempfile
                tempfile.tempdir = None
                answer = json.dumps(scan(request["folder"], request["checks"], request["skips"]))
                with open(os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                                  0o600), "w", encoding="utf-8") as out:
                    out.write(answer)
                code = 0
            except BaseException:
                import traceback
                traceback.print_exc()
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(code)
        _, status = os.waitpid(pid, 0)
        protocol_out.write(json.dumps({"id": request["id"],
                                       "returncode": os.waitstatus_to_exitcode(status)}
                                      ).encode() + b"\\n")
        protocol_out.flush()
_serve()
"""


def off() -> bool:
    return os.environ.get(OFF_VARIABLE, "").lower() == "off" or not hasattr(os, "fork")


def _environment_key() -> tuple[tuple[str, str], ...]:
    return tuple(sorted((name, value) for name, value in os.environ.items()
                        if not name.startswith(NOT_CHECKOVS)))


class _Server:
    def __init__(self, python: Path, prelude: str) -> None:
        self.python = python
        self.key = _environment_key()
        self.owner = os.getpid()
        self.busy = False
        self.count = 0
        # What it says before it serves (checkov missing or broken), for the error shown
        self.log = Path(tempfile.mkdtemp(prefix="microgate-checkov-server-")) / "log.txt"
        try:
            with self.log.open("wb") as log:
                self.process = subprocess.Popen(
                    [str(python), "-I", "-c", prelude + SERVER_LOOP], stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, stderr=log, bufsize=0, start_new_session=True,
                    cwd=tempfile.gettempdir())
        except BaseException:
            shutil.rmtree(self.log.parent, ignore_errors=True)
            raise

    def said(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-20_000:]
        except OSError:
            return ""

    def usable(self) -> bool:
        return (self.owner == os.getpid()
                and self.process.poll() is None and self.key == _environment_key())

    def close(self, timeout: float = 5.0) -> None:
        """End it the way it expects: no more scans (killed if it does not end)."""
        if self.owner != os.getpid():
            return
        try:
            self.process.stdin.close()  # type: ignore[union-attr]
            self.process.wait(timeout=timeout)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.stop()

    def stop(self) -> None:
        from scaffold.processes import kill_group

        if self.owner != os.getpid():
            return  # a fork's copy: the server is its parent's
        kill_group(self.process)
        for pipe in (self.process.stdin, self.process.stdout):
            try:
                pipe.close()  # type: ignore[union-attr]
            except OSError:
                pass
        self.process.wait()
        shutil.rmtree(self.log.parent, ignore_errors=True)


_servers: dict[Path, _Server] = {}
_lock = threading.Lock()


_at_exit: list[bool] = []


def _close_at_exit() -> None:
    if not _at_exit:  # a fork inherits it, and closes only its own servers
        _at_exit.append(True)
        atexit.register(close_all)


def close_all() -> None:
    """End this process's servers (at its exit: none outlives the command)."""
    with _lock:
        servers = [server for server in _servers.values() if server.owner == os.getpid()]
        _servers.clear()
    for server in servers:
        server.close()


class ForkedScan:
    """One scan by a server; read like the ``subprocess.Popen`` of checkov's driver:
    ``communicate(timeout)`` gives (checkov's JSON answer, its error output). A server
    found dead when it should answer (killed between scans) is started again once."""

    def __init__(self, server: _Server, prelude: str, folder: Path, checks: str,
                 skips: list[str]) -> None:
        self.server = server
        self.prelude = prelude
        self.request: dict[str, Any] = {"folder": str(folder), "checks": checks,
                                        "skips": skips}
        self.returncode: int | None = None
        self.scratch = Path(tempfile.mkdtemp(prefix="microgate-checkov-"))
        self.attempt = 0
        self._submit()

    def _submit(self) -> None:
        self.attempt += 1
        self.server.count += 1
        folder = self.scratch / str(self.attempt)
        folder.mkdir()
        self.request.update(id=self.server.count, output=str(folder / "answer.json"),
                            errors=str(folder / "errors.txt"), env=dict(os.environ))
        try:
            self.server.process.stdin.write(  # type: ignore[union-attr]
                json.dumps(self.request).encode() + b"\n")
        except OSError:
            pass  # it ended: seen as no answer

    def communicate(self, timeout: float) -> tuple[str, str]:
        deadline = time.monotonic() + timeout
        while True:
            stdout = self.server.process.stdout
            assert stdout is not None
            ready, _, _ = select.select([stdout], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise subprocess.TimeoutExpired("checkov", timeout)
            answer: Any = None
            try:
                answer = json.loads(stdout.readline(MAX_LINE))
            except ValueError:
                pass
            output, errors = self._read("answer.json"), self._read("errors.txt")
            if isinstance(answer, dict) and answer.get("id") == self.request["id"]:
                code = answer.get("returncode")
                self.returncode = code if isinstance(code, int) else 1
                self._done()
                return output, errors
            said = self.server.said()
            self._drop_server()  # it died, or broke the protocol
            again = _take_server(self.server.python, self.prelude) \
                if self.attempt == 1 else None
            if again is None:
                self.returncode = -9
                self._done()
                return output, errors or said or "checkov's process ended"
            self.server = again
            self._submit()

    def _read(self, name: str) -> str:
        try:
            path = self.scratch / str(self.attempt) / name
            return path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def _drop_server(self) -> None:
        with _lock:
            if _servers.get(self.server.python) is self.server:
                del _servers[self.server.python]
        self.server.stop()

    def _done(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)
        with _lock:
            self.server.busy = False

    def kill(self) -> None:
        """Stop the scan: its server goes with it (the next scan starts another)."""
        self._drop_server()
        self._done()


def _take_server(python: Path, prelude: str) -> _Server | None:
    """The server of ``python``, started if need be and now busy with the caller's scan;
    None when it is busy with another."""
    with _lock:
        server = _servers.get(python)
        if server is not None and not server.usable():
            del _servers[python]
            server.stop()
            server = None
        if server is None:
            _close_at_exit()
            server = _servers[python] = _Server(python, prelude)
        elif server.busy:
            return None
        server.busy = True
        return server


def start_scan(python: Path, prelude: str, folder: Path, checks: str,
               skips: list[str]) -> ForkedScan | None:
    """A scan of ``folder`` by the server of ``python`` (started if need be), or None
    when that server is busy with another scan (the caller runs a process of its own)."""
    server = _take_server(python, prelude)
    if server is None:
        return None
    try:
        return ForkedScan(server, prelude, folder, checks, skips)
    except BaseException:
        with _lock:
            server.busy = False
        raise
