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


def policy_cache_dir() -> Path:
    """Where parsed policies and other derived data are kept, in the user's cache."""
    import os

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "microgate" / "policies"


def content_key(data: bytes) -> str:
    """A cache key, not a signature: CRC-32 and the length tell edits apart, without
    loading a hash library."""
    import zlib

    return f"{zlib.crc32(data):08x}{len(data):x}"


def load_policy(name: str) -> Any:
    """A YAML or TOML policy's data, without importing a parser when it has not changed.

    Hooks start once per commit, and PyYAML alone costs them 20 ms: the data is kept as
    JSON in the user's cache, keyed by the policy file's content, so a platform team's
    edit takes effect at once and an unchanged policy costs a hash and a JSON read.
    """
    import json
    import os

    path = policy_file(name)
    data = path.read_bytes()
    cached = policy_cache_dir() / f"{name.replace('/', '--')}.{content_key(data)}.json"
    try:
        return json.loads(cached.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    if name.endswith(".toml"):
        import tomllib

        try:
            value = tomllib.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise MicrogateError(f"{path}: not valid TOML ({exc})") from None
    else:
        from scaffold import yamlio

        try:
            value = yamlio.load(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise MicrogateError(f"{path}: not valid YAML ({exc})") from None
    try:
        text = json.dumps(value)
        cached.parent.mkdir(parents=True, exist_ok=True)
        scratch = cached.with_suffix(f".{os.getpid()}.tmp")
        scratch.write_text(text, encoding="utf-8")
        os.replace(scratch, cached)
        return json.loads(text)  # the same shape (str keys) whether cached or not
    except (OSError, TypeError, ValueError):
        return value
