"""Lockfiles pinned with hashes, made by pip-tools' pip-compile."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from scaffold.errors import MicrogateError
from scaffold.generation.lockcache import keep_lock, kept_lock, lock_key
from scaffold.processes import run_whole

# (input, output) pairs, in the order they must be compiled.
LOCK_PAIRS: tuple[tuple[str, str], ...] = (
    ("requirements.in", "requirements.txt"),
    ("requirements-dev.in", "requirements-dev.txt"),
)
CONNECTION_MARKERS = (
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
)
NETWORK_MARKERS = (*CONNECTION_MARKERS, "No matching distribution found",
                   "Could not find a version that satisfies")
NO_DISTRIBUTION = re.compile(r"No matching distribution found for ([A-Za-z0-9][A-Za-z0-9._-]*)"
                             r"(\S*)")
COMPILE_TIMEOUT_SECONDS = 600


class IndexUnreachable(MicrogateError):
    """The package index could not be reached: the lockfile could not be made."""


@dataclass(frozen=True)
class LockResult:
    written: list[Path]
    # written from pip-compile's answer kept for the same inputs (scaffold/generation/lockcache.py)
    kept: list[Path] = field(default_factory=list)


def pip_compile_command(source: Path, output: Path) -> list[str]:
    from scaffold.platform.platform_settings import platform_settings


    index = platform_settings().package_index
    return [
        sys.executable,
        "-m",
        "piptools",
        "compile",
        "--quiet",
        "--generate-hashes",
        "--allow-unsafe",
        # Extras kept (coverage[toml]==...): pip before 23.3 (Python 3.11's own) refuses a
        # hash-checked install where a dependency asks for an extra the lockfile dropped.
        "--no-strip-extras",
        "--no-emit-index-url",
        "--no-emit-find-links",
        "--no-header",
        "--resolver=backtracking",
        *(["--index-url", index] if index else []),
        "--output-file",
        str(output),
        str(source),
    ]


def no_such_package(name: str, specifier: str, source_name: str) -> str:
    """The message for a requirement the index does not have (an invented name, often)."""
    from scaffold.engines.deps.names import closest_popular

    if specifier:
        return (f"{source_name}: the index has no release of {name} that matches "
                f"{specifier}: loosen the version, or check the name")
    guess = closest_popular(name)
    hint = f": did you mean {guess}?" if guess else \
        ": check the spelling (an LLM may have invented it)"
    return f"{source_name}: no such package on the index: {name}{hint}"


def cooldown_cutoff(repo: Path, now: dt.datetime | None = None) -> str:
    """The newest upload time a pin may have: the app's tier waits some days before using
    a release (the pins check enforces it), so the lockfile is made from releases that
    old already, and a fresh app passes its first commit whatever was released today."""
    from scaffold.engines.deps.lockfiles import app_tier
    from scaffold.engines.deps.names import cooldown_days

    now = now or dt.datetime.now(dt.UTC)
    day = now.date() - dt.timedelta(days=cooldown_days(app_tier(repo)))
    return f"{day.isoformat()}T00:00:00Z"


def _compile_env() -> dict[str, str]:
    env = dict(os.environ)
    # Fail fast when the index is unreachable instead of retrying for minutes.
    env["PIP_RETRIES"] = "1"
    env["PIP_TIMEOUT"] = env["PIP_DEFAULT_TIMEOUT"] = "15"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    return env


def lock(repo: Path, upgrade: list[str] | None = None) -> LockResult:
    """Compile each ``*.in`` of the repo into a hash-pinned ``*.txt`` beside it.

    Each lockfile is written to a temporary name first and all of them take their
    places together at the end: a failure (or Ctrl-C) leaves every old lockfile as it
    was, never one new beside one old.
    """
    from scaffold.extras import require_wizard

    require_wizard("piptools")  # before any scratch file is written
    written: list[Path] = []
    kept_answers: list[Path] = []
    compiled: list[tuple[Path, Path]] = []  # (scratch, lockfile), to put in place at the end
    scratch: Path | None = None  # the one being written
    try:
        for source_name, output_name in LOCK_PAIRS:
            source = repo / source_name
            if not source.is_file():
                if source_name == "requirements.in":
                    raise MicrogateError(f"{source}: not found; is this a micro app's folder?")
                continue
            output = repo / output_name
            scratch = repo / f".{output_name}.microgate-tmp"
            previous = output.read_bytes() if output.is_file() else b""
            if previous:
                scratch.write_bytes(previous)
            command = pip_compile_command(Path(source_name), Path(scratch.name))
            command[-1:-1] = ["--uploaded-prior-to", cooldown_cutoff(repo)]
            for package in upgrade or []:
                command[-1:-1] = ["--upgrade-package", package]
            env = _compile_env()
            key = lock_key(repo, source_name, previous, command, env)
            kept = kept_lock(key)
            if kept is not None:
                scratch.write_text(kept, encoding="utf-8")
                compiled.append((scratch, output))
                kept_answers.append(output)
                continue
            try:
                result = run_whole(command, cwd=repo, env=env, timeout=COMPILE_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                raise IndexUnreachable(
                    f"pip-compile gave no answer in {COMPILE_TIMEOUT_SECONDS} s; "
                    "is the package index reachable?"
                ) from None
            if result.returncode != 0:
                output_text = result.stderr + result.stdout
                missing = NO_DISTRIBUTION.search(output_text)
                if missing and not any(marker in output_text for marker in CONNECTION_MARKERS):
                    raise MicrogateError(no_such_package(missing.group(1), missing.group(2),
                                                         source_name))
                if any(marker in output_text for marker in NETWORK_MARKERS):
                    raise IndexUnreachable(
                        "could not reach the package index to pin the dependencies"
                    )
                last = next(
                    (line for line in reversed(output_text.splitlines()) if line.strip()), ""
                )
                raise MicrogateError(f"pip-compile failed on {source_name}: {last.strip()}")
            keep_lock(key, scratch.read_text(encoding="utf-8"))
            compiled.append((scratch, output))
    except BaseException:  # a failure, or Ctrl-C: no scratch lockfile stays in the repo
        for path in [path for path, _ in compiled] + ([scratch] if scratch else []):
            path.unlink(missing_ok=True)
        raise
    for scratch, output in compiled:
        scratch.replace(output)
        written.append(output)
    return LockResult(written, kept_answers)
