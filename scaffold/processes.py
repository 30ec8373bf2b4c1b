"""Commands run whole: in a process group of their own, stopped whole.

pip and pip-compile start processes of their own (``pip --python`` installs from a
second interpreter; builds run in subprocesses). Stopping only the command microgate
started would leave those running, writing into an environment or a repo after microgate
has said it was cancelled.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Any


def run_whole(command: list[str], *, timeout: float, cwd: Path | None = None,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Like ``subprocess.run(capture_output=True, text=True)``; if it is stopped (the time
    limit: ``TimeoutExpired``; Ctrl-C: ``KeyboardInterrupt``), every process of it is
    killed and waited for before the exception goes on."""
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                               errors="replace", start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except BaseException:
        kill_group(process)
        process.communicate()
        raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def kill_group(process: subprocess.Popen[Any]) -> None:
    """Kill ``process`` and every process of its group (it was started with
    ``start_new_session=True``); the caller collects it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        process.kill()
