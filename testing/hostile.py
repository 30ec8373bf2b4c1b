"""Helpers for the hostile-input suite: commands run under a memory cap and a timeout,
and secrets made at run time (no real key, and none written out in this repo's files)."""

from __future__ import annotations

import os
import resource
import shutil
import string
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from testing.util import MICROGATE

MEMORY_CAP_BYTES = 3 * 1024**3
TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class CappedRun:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def assert_clean_error(self, code: int | None = None) -> None:
        """Failed the way a user should see: one line, no traceback, the right code."""
        assert "Traceback" not in self.output, self.output
        assert "internal error" not in self.output, self.output
        if code is not None:
            assert self.returncode == code, self.output
        else:
            assert self.returncode not in (0, 3), self.output


def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP_BYTES, MEMORY_CAP_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


# util-linux's prlimit sets the caps and runs the command: unlike a preexec_fn, it lets
# Python start the child with vfork instead of copying the test worker's memory map (a
# few hundred MB: ~4 ms of CPU a command, over a thousand commands a run).
PRLIMIT = shutil.which("prlimit")


def capped(cmd: list[str], cwd: Path | None = None, *, env: dict[str, str] | None = None,
           timeout: float = TIMEOUT_SECONDS, stdin: str | None = None) -> CappedRun:
    """Run ``cmd`` with at most 3 GiB of memory; fail the test if it outlives ``timeout``."""
    start = time.monotonic()
    if PRLIMIT:
        command = [PRLIMIT, f"--as={MEMORY_CAP_BYTES}", "--core=0", "--", *cmd]
        extra: dict[str, object] = {}
    else:
        command, extra = cmd, {"preexec_fn": _cap}
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        env={**os.environ, **(env or {})}, start_new_session=True, **extra)  # type: ignore[call-overload]
    try:
        out, err = process.communicate(stdin.encode() if stdin else None, timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        process.communicate()
        raise AssertionError(f"{' '.join(cmd)} did not finish in {timeout:g} s") from None
    return CappedRun(process.returncode, out.decode("utf-8", "replace"),
                     err.decode("utf-8", "replace"), time.monotonic() - start)


def microgate(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
              timeout: float = TIMEOUT_SECONDS) -> CappedRun:
    return capped([*MICROGATE, *args], cwd=cwd, env=env, timeout=timeout)


def hook(name: str, *files: str, cwd: Path, timeout: float = TIMEOUT_SECONDS) -> CappedRun:
    return capped([sys.executable, "-m", f"hooks.{name}", *files], cwd=cwd, timeout=timeout)


# Secrets of every kind the redaction layer knows, made from their public shapes
# (prefix, length, alphabet) with seeded random characters: none is a real credential,
# and none looks like a placeholder (which the secrets check rightly lets through).
def _filler(count: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    from testing.fakes import random_text

    _filler.calls += 1  # type: ignore[attr-defined]
    return random_text(alphabet, count, f"hostile-{_filler.calls}")  # type: ignore[attr-defined]


_filler.calls = 0  # type: ignore[attr-defined]


SECRETS: dict[str, str] = {
    "openai": "sk-proj-" + _filler(48),
    "anthropic": "sk-ant-api03-" + _filler(40),
    "github-classic": "ghp_" + _filler(36),
    "github-fine-grained": "github_pat_" + _filler(22) + "_" + _filler(59),
    "gitlab": "glpat-" + _filler(20),
    "slack-bot": "xoxb-" + "123456789012-1234567890123-" + _filler(24),
    "slack-webhook": "hooks.slack.com/services/T" + _filler(8, "ABCDEFGH12") + "/B"
                     + _filler(8, "ABCDEFGH12") + "/" + _filler(24),
    "aws-key-id": "AKIA" + _filler(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
    "stripe": "sk_live_" + _filler(24),
    "huggingface": "hf_" + _filler(34),
    "google": "AIza" + _filler(35),
    "jwt": "eyJhbGciOiJIUzI1NiJ9." + "eyJzdWIiOiIxMjM0NTY3ODkwIn0." + _filler(43),
    "npm": "npm_" + _filler(36),
    "db-url": "postgres://app:" + _filler(18) + "@db.internal:5432/app",
    "basic-auth-url": "https://deploy:" + _filler(20) + "@git.internal/app.git",
}


def secret_part(kind: str) -> str:
    """The part of SECRETS[kind] that must never be printed."""
    value = SECRETS[kind]
    if kind in ("db-url", "basic-auth-url"):
        return value.split(":", 2)[2].split("@", 1)[0]
    if kind == "slack-webhook":
        return value.rsplit("/", 1)[1]
    return value


def billion_laughs(tail: str = "") -> str:
    """A few hundred bytes of YAML whose aliases expand to 387 million strings."""
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    previous = "a"
    for name in "bcdefghi":
        text += f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]\n"
        previous = name
    return text + tail


def copy_app(source: Path, dest: Path) -> Path:
    shutil.copytree(source, dest, symlinks=True)
    return dest
