"""Lockfiles pinned with hashes, made by pip-tools' pip-compile."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from scaffold.errors import MicrogateError

# (input, output) pairs, in the order they must be compiled.
LOCK_PAIRS: tuple[tuple[str, str], ...] = (
    ("requirements.in", "requirements.txt"),
    ("requirements-dev.in", "requirements-dev.txt"),
)
NETWORK_MARKERS = (
    "Could not fetch",
    "NewConnectionError",
    "Max retries exceeded",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Connection refused",
    "Network is unreachable",
    "ConnectTimeout",
    "ReadTimeout",
    "No matching distribution found",
    "Could not find a version that satisfies",
)
COMPILE_TIMEOUT_SECONDS = 600


class IndexUnreachable(MicrogateError):
    """The package index could not be reached: the lockfile could not be made."""


@dataclass(frozen=True)
class LockResult:
    written: list[Path]


def pip_compile_command(source: Path, output: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "piptools",
        "compile",
        "--quiet",
        "--generate-hashes",
        "--allow-unsafe",
        "--strip-extras",
        "--no-emit-index-url",
        "--no-emit-find-links",
        "--no-header",
        "--resolver=backtracking",
        "--output-file",
        str(output),
        str(source),
    ]


def _compile_env() -> dict[str, str]:
    env = dict(os.environ)
    # Fail fast when the index is unreachable instead of retrying for minutes.
    env["PIP_RETRIES"] = "1"
    env["PIP_TIMEOUT"] = env["PIP_DEFAULT_TIMEOUT"] = "15"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    return env


def lock(repo: Path) -> LockResult:
    """Compile each ``*.in`` of the repo into a hash-pinned ``*.txt`` beside it.

    Each lockfile is written to a temporary name first, so a failure leaves the old
    lockfile (if any) in place.
    """
    written = []
    for source_name, output_name in LOCK_PAIRS:
        source = repo / source_name
        if not source.is_file():
            if source_name == "requirements.in":
                raise MicrogateError(f"{source}: not found; is this a micro app's folder?")
            continue
        output = repo / output_name
        scratch = repo / f".{output_name}.microgate-tmp"
        if output.exists():
            scratch.write_bytes(output.read_bytes())
        try:
            result = subprocess.run(
                pip_compile_command(Path(source_name), Path(scratch.name)),
                cwd=repo,
                capture_output=True,
                text=True,
                env=_compile_env(),
                timeout=COMPILE_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            scratch.unlink(missing_ok=True)
            raise IndexUnreachable(
                f"pip-compile gave no answer in {COMPILE_TIMEOUT_SECONDS} s; "
                "is the package index reachable?"
            ) from None
        if result.returncode != 0:
            scratch.unlink(missing_ok=True)
            output_text = result.stderr + result.stdout
            if any(marker in output_text for marker in NETWORK_MARKERS):
                raise IndexUnreachable(
                    "could not reach the package index to pin the dependencies"
                )
            last = next(
                (line for line in reversed(output_text.splitlines()) if line.strip()), ""
            )
            raise MicrogateError(f"pip-compile failed on {source_name}: {last.strip()}")
        scratch.replace(output)
        written.append(output)
    return LockResult(written)
