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
from pathlib import Path

from scaffold.errors import MicrogateError

PINNED = {"checkov": "checkov==3.2.500"}
INSTALL_TIMEOUT_SECONDS = 900


def tools_dir() -> Path:
    named = os.environ.get("MICROGATE_TOOLS_DIR")
    if named:
        return Path(named)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "microgate" / "tools"


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
    print(f"note: installing {requirement} once, in its own environment ({home})",
          file=sys.stderr)
    shutil.rmtree(home, ignore_errors=True)
    try:
        venv.EnvBuilder(with_pip=True).create(home)
        result = subprocess.run(
            [str(home / "bin" / "python"), "-m", "pip", "install", "--quiet",
             "--disable-pip-version-check", requirement],
            capture_output=True, text=True, timeout=INSTALL_TIMEOUT_SECONDS, check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        shutil.rmtree(home, ignore_errors=True)
        raise MicrogateError(f"could not install {requirement}: {exc}") from None
    if result.returncode != 0 or not executable.is_file():
        shutil.rmtree(home, ignore_errors=True)
        last = (result.stderr or result.stdout).strip().splitlines()
        raise MicrogateError(
            f"could not install {requirement} (is the package index reachable?): "
            f"{last[-1] if last else 'pip failed'}"
        )
    installed.write_text(requirement + "\n", encoding="utf-8")
    return executable
