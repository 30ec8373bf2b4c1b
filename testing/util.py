"""Helpers shared by microgate's tests (kept out of the installed packages)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
MICROGATE = [sys.executable, "-m", "scaffold"]


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None,
        timeout: float = 600, input: str | None = None) -> Run:
    result = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})}, input=input, check=False,
    )
    return Run(result.returncode, result.stdout, result.stderr)


def microgate(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
              timeout: float = 600) -> Run:
    return run([*MICROGATE, *args], cwd=cwd, env=env, timeout=timeout)


def git(repo: Path, *args: str) -> str:
    result = run(["git", *args], cwd=repo)
    assert result.returncode == 0, result.output
    return result.stdout


def commit_all(repo: Path, message: str = "change") -> None:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--no-verify", "-m", message)


def snapshot_checkout(target: Path) -> tuple[Path, str]:
    """Copy this checkout's files (committed or not) into a fresh git repo; return it and HEAD.

    pre-commit installs hooks from a git revision; the snapshot lets tests point at the
    working tree as it is, uncommitted edits included.
    """
    listed = run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                 cwd=REPO_ROOT)
    if listed.returncode == 0 and listed.stdout.strip():
        files = [line for line in listed.stdout.splitlines() if line]
    else:  # not a git checkout (e.g. an unpacked sdist): take what is there
        files = [str(p.relative_to(REPO_ROOT)) for p in REPO_ROOT.rglob("*")
                 if p.is_file() and ".venv" not in p.parts and ".git" not in p.parts]
    for name in files:
        source = REPO_ROOT / name
        if not source.is_file():
            continue
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)
    git(target, "init", "--quiet", "--initial-branch=main")
    commit_all(target, "snapshot")
    return target, git(target, "rev-parse", "HEAD").strip()


def answers(**overrides: Any) -> dict[str, Any]:
    import datetime as dt

    base: dict[str, Any] = {
        "name": "sales-report",
        "purpose": "Weekly sales figures for the team",
        "owner": "ana@example.com",
        "cost_center": "cc-1234",
        "tier": 1,
        "data_sensitivity": "internal",
        "runtime": "serverless",
        "sla": "business-hours",
        "traffic": "low",
        "connectors": [{"name": "crm", "kind": "api", "access": "read"}],
        "monthly_budget_usd": 40,
        "expires": (dt.date.today() + dt.timedelta(days=120)).isoformat(),
        "ci": "github",
    }
    base.update(overrides)
    return base


@contextmanager
def silent_index() -> Iterator[socket.socket]:
    """A package index on 127.0.0.1 (its URL: ``index_url(server)``) that takes each
    connection and never answers: pip waits on it until it is stopped."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        server.settimeout(120)
        yield server


def index_url(server: socket.socket) -> str:
    return f"http://127.0.0.1:{server.getsockname()[1]}/simple"


def processes_in(folder: Path) -> list[str]:
    """The command lines of this machine's processes that name ``folder`` in their
    arguments or environment, or run in it (e.g. a scanner started by a command whose
    settings point into the test's folder)."""
    found = []
    marker = str(folder).encode()
    for proc in Path("/proc").glob("[0-9]*"):
        if proc.name == str(os.getpid()):
            continue
        try:
            args = (proc / "cmdline").read_bytes()
            environment = (proc / "environ").read_bytes()
            cwd = Path(os.readlink(proc / "cwd"))
        except OSError:
            continue
        if marker in args or marker in environment or cwd == folder or folder in cwd.parents:
            found.append(args.replace(b"\0", b" ").decode("utf-8", "replace"))
    return found


def interrupted_while_waiting_on_the_index(command: list[str], cwd: Path,
                                           env: dict[str, str], watch: Path,
                                           signum: int = signal.SIGINT
                                           ) -> tuple[Run, list[str]]:
    """Run ``command`` against a silent index, send it ``signum`` (Ctrl-C's, unless told)
    once pip is waiting on the index, and return its run and the processes still naming
    or running in ``watch`` (checked while the index still holds the connection, so that
    an orphaned pip would still be there)."""
    env = {**os.environ, **env, "PIP_RETRIES": "0", "PIP_TIMEOUT": "120",
           "PIP_NO_CACHE_DIR": "1"}
    for name in ("PIP_FIND_LINKS", "PIP_NO_INDEX", "PIP_EXTRA_INDEX_URL"):
        env.pop(name, None)
    with silent_index() as index:
        env["PIP_INDEX_URL"] = index_url(index)
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        try:
            connection, _ = index.accept()
            process.send_signal(signum)
            out, err = process.communicate(timeout=60)
            time.sleep(0.3)  # a killed process is gone at once; an orphan waits on
            left = processes_in(watch)
            connection.close()
        finally:
            process.kill()
    return Run(process.returncode, out, err), left
