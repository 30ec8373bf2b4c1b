"""Where the data that ships with microgate lives: a source checkout or an installed wheel."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from scaffold.errors import MicrogateError

TYPE_CHECKING = False  # typing costs a hook ~4 ms to import; mypy reads it as True
if TYPE_CHECKING:
    from typing import Any

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


def hook_manifest() -> Path:
    """The hook suite's ``.pre-commit-hooks.yaml``: in the wheel, else at the checkout's top."""
    for candidate in (_PACKAGE_DIR / "_data" / "pre-commit-hooks.yaml",
                      _PACKAGE_DIR.parent / ".pre-commit-hooks.yaml"):
        if candidate.is_file():
            return candidate
    raise MicrogateError("microgate's .pre-commit-hooks.yaml is missing from its "
                         "installation; reinstall microgate")


def policy_file(name: str) -> Path:
    path = policies_dir() / name
    if not path.is_file():
        raise MicrogateError(f"policy file {name} is missing from {policies_dir()}")
    return path


def load_policy(name: str) -> Any:
    """A YAML or TOML policy's data, without importing a parser when it has not changed.

    Through the parse cache (scaffold.parsecache), keyed by the policy file's content: a
    platform team's edit takes effect at once, and an unchanged policy costs a hash and a
    JSON read. Its maps are keyed by text (``tiers["1"]``) however the file writes them.
    """
    import json

    from scaffold.parsecache import cached

    path = policy_file(name)
    data = path.read_bytes()

    def parse() -> Any:
        try:
            text = data.decode("utf-8")
            if name.endswith(".toml"):
                import tomllib

                value = tomllib.loads(text)
            else:
                from scaffold import yamlio

                value = yamlio.parse(text)
        except (UnicodeDecodeError, ValueError) as exc:
            kind = "TOML" if name.endswith(".toml") else "YAML"
            raise MicrogateError(f"{path}: not valid {kind} ({exc})") from None
        try:
            return json.loads(json.dumps(value))  # text keys, cached or not
        except (TypeError, ValueError):
            return value

    return cached("policy", name.encode() + b"\0" + data, parse, code=(__file__,),
                  libraries=("yaml",))
