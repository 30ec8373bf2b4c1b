"""TOML reading through the parse cache (scaffold.parsecache): a pyproject.toml or
lockfile read before costs a JSON read, not tomllib's import and parse."""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs a hook ~4 ms to import; mypy reads it as True
if TYPE_CHECKING:
    from typing import Any


def load(text: str) -> dict[str, Any]:
    """The table of a TOML document; tomllib's TOMLDecodeError (a ValueError) if it is not
    one."""
    from scaffold.parsecache import cached

    def parse() -> dict[str, Any]:
        import tomllib

        return tomllib.loads(text)

    return cached("toml", text.encode("utf-8", "surrogatepass"), parse, code=(__file__,),
                  libraries=("tomllib",))
