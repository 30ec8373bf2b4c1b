"""What every run of generated tests would otherwise make afresh, made once.

Each run of generated tests (and each mutant's run) starts in a fresh scratch folder that
the tests may write to and that is thrown away after: nothing a test writes outlives its
run. Without help, each run then rebuilds what no test wrote:
- hypothesis's tables of Unicode characters (~1.2 s), kept in its storage folder;
- the bytecode of pytest's plugins, which pytest compiles itself (it rewrites their
  asserts, hypothesis among them: ~0.5 s) and cannot keep where they are installed (the
  sandbox's file system is read-only, and microgate writes no bytecode there).

The **seed** is both, made by microgate's own code in an empty folder (no test, no
conftest, no repo) and kept in microgate's cache; each session of runs
(scaffold/generation/testserver.py) gets a copy of it (~60 ms) that its warm process
starts from, mounted read-only in the sandbox, so no run can change what another starts
from, let alone the seed.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# Loaded by every run of generated tests (scaffold/generation/testgen.py's run_tests).
MICROGATE_PLUGINS = ("-p", "no:cacheprovider", "-p", "scaffold.generation.testtimeout",
                     "-p", "scaffold.generation.testreport")
HYPOTHESIS_TABLES = ("from hypothesis.internal import charmap; charmap.charmap(); "
                     "charmap.intervals_from_codec('utf-8')")
SEED_TIMEOUT_SECONDS = 120
OFF_VARIABLE = "MICROGATE_NO_TEST_SEED"  # "1": every run starts cold (to compare, to debug)


@functools.cache  # the same answer all along a process: read once, not once a run
def _version(distribution: str) -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return ""


def seed() -> Path | None:
    """The seed folder (``hypothesis/`` and ``bytecode/``) for this Python environment,
    made the first time; None when it cannot be made (runs are then only slower)."""
    from scaffold.parsecache import sha256_hex
    from scaffold.userdirs import cache_dir

    seeds = cache_dir() / "test-seed"
    hypothesis = _version("hypothesis")
    key = "\0".join([sys.prefix, sys.version, _version("pytest"), hypothesis])
    folder = seeds / f"{sys.implementation.cache_tag}-{sha256_hex(key.encode())[:16]}"
    if (folder / "bytecode").is_dir():
        return folder
    try:
        seeds.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.TemporaryDirectory(prefix=".making-", dir=seeds) as scratch:
            made = Path(scratch) / "seed"
            empty = Path(scratch) / "empty"
            empty.mkdir()
            # An ini file of its own: no configuration or conftest.py above is read.
            (empty / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
            env = {name: value for name, value in os.environ.items()
                   if name not in ("PYTHONDONTWRITEBYTECODE", "PYTEST_ADDOPTS")}
            env.update(PYTHONPYCACHEPREFIX=str(made / "bytecode"),
                       HYPOTHESIS_STORAGE_DIRECTORY=str(made / "hypothesis"))
            commands = [[sys.executable, "-m", "pytest", "--collect-only", "-q",
                         *MICROGATE_PLUGINS, "-c", str(empty / "pytest.ini"), str(empty)]]
            if hypothesis:
                commands.append([sys.executable, "-c", HYPOTHESIS_TABLES])
            for command in commands:
                subprocess.run(command, cwd=empty, env=env, capture_output=True,
                               stdin=subprocess.DEVNULL, timeout=SEED_TIMEOUT_SECONDS,
                               check=False)
            if not (made / "bytecode").is_dir():
                return None
            hypothesis_folder = made / "hypothesis"
            if hypothesis_folder.is_dir():  # only the tables: nothing else of that run
                for extra in hypothesis_folder.iterdir():
                    if extra.name != "unicode_data":
                        shutil.rmtree(extra) if extra.is_dir() else extra.unlink()
            made.rename(folder)  # atomic: when a parallel run made it first, that one stays
    except (OSError, subprocess.SubprocessError):
        pass
    return folder if (folder / "bytecode").is_dir() else None


def prepare(scratch: Path, env: dict[str, str]) -> None:
    """Give one session of runs its own copy of the seed in ``scratch``: its hypothesis
    storage and its bytecode folder (written there, never in the repo)."""
    storage = scratch / "hypothesis"
    env["HYPOTHESIS_STORAGE_DIRECTORY"] = str(storage)
    made = None if os.environ.get(OFF_VARIABLE) == "1" else seed()
    try:
        if made is None:
            raise FileNotFoundError("no seed")
        for part in ("hypothesis", "bytecode"):
            if (made / part).is_dir():
                shutil.copytree(made / part, scratch / part, symlinks=True)
    except OSError:  # no seed, or no room for a copy: a cold start, writing no bytecode
        for part in ("hypothesis", "bytecode"):
            shutil.rmtree(scratch / part, ignore_errors=True)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
        return
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(scratch / "bytecode")
