"""Where the data that ships with microgate lives: a source checkout or an installed wheel."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from scaffold.errors import MicrogateError

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """Return ``templates``, ``policies`` or ``prompts``: inside the wheel, else beside
    the package."""
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise MicrogateError(
        f"microgate's {name}/ folder is missing from its installation; reinstall microgate"
    )


def policies_dir() -> Path:
    return data_dir("policies")


def prompts_dir() -> Path:
    """microgate's own prompts (the LLM test generator's), kept as prompts-as-code."""
    return data_dir("prompts")


def templates_dir() -> Path:
    return data_dir("templates")


def bundled_template() -> Path:
    return templates_dir() / "microapp"


def policy_file(name: str) -> Path:
    path = policies_dir() / name
    if not path.is_file():
        raise MicrogateError(f"policy file {name} is missing from {policies_dir()}")
    return path
