"""External tools that must live in environments of their own.

checkov installs ``bc-detect-secrets``, which replaces the real ``detect_secrets`` package
in a shared environment, so it never shares one with microgate's secrets check. Under
pre-commit each hook has its own environment already; elsewhere (``microgate check``)
microgate installs the pinned tool once into a virtualenv of its own, as pre-commit does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scaffold.errors import MicrogateError, ToolMissing
from scaffold.processes import run_whole

PINNED = {"checkov": "checkov==3.2.500"}
INSTALL_TIMEOUT_SECONDS = 900


def tools_dir() -> Path:
    named = os.environ.get("MICROGATE_TOOLS_DIR")
    if named:
        return Path(named)
    from scaffold.userdirs import cache_dir

    return cache_dir() / "tools"


def find_tool(name: str, *, install: bool = True) -> Path:
    """The tool's executable: MICROGATE_<NAME>, beside this Python, our own venv, or made."""
    named = os.environ.get(f"MICROGATE_{name.upper()}")
    if named:
        return Path(named)
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return beside
    requirement = PINNED[name]
    home = tools_dir() / requirement.replace("==", "-")
    executable = home / "bin" / name
    installed = home / ".installed"  # written last: a half-made environment is redone
    if installed.is_file() and executable.is_file():
        return executable
    if not install:
        raise MicrogateError(f"{name} is not installed")
    tools_dir().mkdir(parents=True, exist_ok=True)
    with _install_lock(name):
        # Another run may have made it while this one waited for the lock.
        if installed.is_file() and executable.is_file():
            return executable
        _install(requirement, home)
    return executable


@contextmanager
def _install_lock(name: str) -> Iterator[None]:
    """One install at a time per tool, across processes."""
    import fcntl

    with open(tools_dir() / f".{name}.lock", "w", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _install(requirement: str, home: Path) -> None:
    """Build the environment at ``home`` (a venv cannot move: its scripts name their
    Python by path). It counts as there only once ``.installed`` is written, last, and
    only one process builds at a time (the lock)."""
    name = requirement.split("==")[0]
    print(f"note: installing {requirement} once, in its own environment ({home})",
          file=sys.stderr)
    building = home
    shutil.rmtree(building, ignore_errors=True)
    try:
        outer_pip = _pip_that_installs_elsewhere()
        venv.EnvBuilder(with_pip=not outer_pip).create(building)
        python = str(building / "bin" / "python")
        pip = [sys.executable, "-m", "pip", "--python", python] if outer_pip \
            else [python, "-m", "pip"]
        result = run_whole(
            [*pip, "install", "--quiet", "--disable-pip-version-check", requirement],
            timeout=INSTALL_TIMEOUT_SECONDS)
    except (OSError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(building, ignore_errors=True)
        raise ToolMissing(f"{requirement.split('==')[0]} is not installed and could not be "
                          f"installed now ({exc}); it needs the package index once") from None
    except BaseException:  # Ctrl-C: no half-made environment is left behind
        shutil.rmtree(building, ignore_errors=True)
        raise
    if result.returncode != 0 or not (building / "bin" / name).is_file():
        shutil.rmtree(building, ignore_errors=True)
        lines = (result.stderr or result.stdout).strip().splitlines()
        errors = [line for line in lines if line.startswith("ERROR")]
        raise ToolMissing(
            f"could not install {requirement} (is the package index reachable?): "
            f"{(errors or lines or ['pip failed'])[-1]}"
        )
    marker = building / ".installed.tmp"
    marker.write_text(requirement + "\n", encoding="utf-8")
    os.replace(marker, building / ".installed")


def _pip_that_installs_elsewhere() -> bool:
    """Whether this Python's pip can install into another environment (``--python``,
    pip 22.3+): the tool's environment is then made without a pip of its own, which
    saves ensurepip's ~3 s of CPU and leaves no installer beside the tool."""
    import importlib.metadata

    try:
        major, minor = (int(part) for part in importlib.metadata.version("pip").split(".")[:2])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return False
    return (major, minor) >= (22, 3)
