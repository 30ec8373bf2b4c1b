"""Running code microgate did not write (an LLM's tests) where it can do no harm.

A denylist of names is no sandbox: Python reaches ``os.system`` through a hundred doors.
On Linux, bubblewrap (Debian's ``bubblewrap`` package) gives the process a read-only view
of the machine, a private empty ``/tmp``, no network (a new network namespace with no
interfaces), no other processes, and ends it with its parent. Resource limits cap its
memory, CPU time and the size of any file it writes, and a timeout ends it.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from scaffold.processes import kill_group

MEMORY_LIMIT_BYTES = 2 * 1024**3
CPU_LIMIT_SECONDS = 300
FILE_SIZE_LIMIT_BYTES = 50_000_000
SANDBOX_VARIABLE = "MICROGATE_SANDBOX"  # "off": behave as if no sandbox were available


@dataclass(frozen=True)
class Completed:
    returncode: int
    output: str
    timed_out: bool = False


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_LIMIT_SECONDS, CPU_LIMIT_SECONDS))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT_BYTES, FILE_SIZE_LIMIT_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


@cache
def _bubblewrap() -> str | None:
    """bwrap's path when it works here (it needs user namespaces or root)."""
    if os.environ.get(SANDBOX_VARIABLE, "").lower() == "off":
        return None
    found = shutil.which("bwrap")
    if found is None:
        return None
    try:
        probe = subprocess.run([found, *_isolation(Path("/")), "true"],
                               capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return found if probe.returncode == 0 else None


def _isolation(workdir: Path, writable: Path | None = None,
               read_only: Sequence[Path] = ()) -> list[str]:
    # A fresh /tmp hides the machine's; what must stay visible beneath it (the repo, this
    # Python and its packages, when they live in /tmp) is bound back, read-only.
    visible = {workdir, Path(sys.prefix), Path(sys.base_prefix),
               Path(__file__).resolve().parent.parent}
    binds = [arg for path in sorted(visible) if path.is_relative_to("/tmp")
             for arg in ("--ro-bind", str(path), str(path))]
    if writable is not None:  # the one folder the process may write to (a report)
        binds += ["--bind", str(writable), str(writable)]
    for path in read_only:  # mounted read-only wherever they are (after the rest)
        binds += ["--ro-bind", str(path), str(path)]
    return ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
            *binds, "--unshare-all", "--die-with-parent", "--new-session",
            "--chdir", str(workdir), "--setenv", "HOME", "/tmp", "--setenv", "TMPDIR", "/tmp"]


def available() -> bool:
    return _bubblewrap() is not None


def describe() -> str:
    if available():
        return "bubblewrap (read-only file system, no network, memory and time limits)"
    return "none"


def start(argv: Sequence[str], workdir: Path, *, env: dict[str, str] | None = None,
          sandboxed: bool = True, writable: Path | None = None,
          read_only: Sequence[Path] = ()) -> subprocess.Popen[bytes]:
    """Start ``argv`` in ``workdir`` with pipes to its standard input and output (its
    errors go to the output): isolated when ``sandboxed`` (raises NoSandbox when no
    sandbox works here), with resource limits, in a process group of its own either way.
    Raises OSError when it cannot start."""
    command = list(argv)
    if sandboxed:
        bwrap = _bubblewrap()
        if bwrap is None:
            raise NoSandbox()
        command = [bwrap, *_isolation(workdir.resolve(),
                                      writable.resolve() if writable else None,
                                      [path.resolve() for path in read_only]), *command]
    preexec: Callable[[], None] = _limits
    return subprocess.Popen(command, cwd=workdir, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.PIPE, bufsize=0,
                            env=env, preexec_fn=preexec, start_new_session=True)


def run(argv: Sequence[str], workdir: Path, *, timeout: float,
        env: dict[str, str] | None = None, sandboxed: bool = True,
        writable: Path | None = None) -> Completed:
    """Run ``argv`` in ``workdir``: isolated when ``sandboxed`` (raises NoSandbox when no
    sandbox works here), with resource limits and a timeout either way."""
    try:
        process = start(argv, workdir, env=env, sandboxed=sandboxed, writable=writable)
    except OSError as exc:
        return Completed(127, f"could not start: {exc.strerror}")
    try:
        out, _ = process.communicate(b"", timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(process)
        out, _ = process.communicate()
        return Completed(-9, out.decode("utf-8", "replace")[-20_000:], timed_out=True)
    except BaseException:  # Ctrl-C: what runs here (a session of its own) stops too
        kill_group(process)
        process.communicate()
        raise
    return Completed(process.returncode, out.decode("utf-8", "replace")[-200_000:])


class NoSandbox(Exception):
    """No sandbox works on this machine."""
