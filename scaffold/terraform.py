"""Terraform read with python-hcl2 (no terraform binary is needed)."""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from scaffold.errors import MicrogateError


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    body: dict[str, Any]
    path: Path
    line: int | None


def parse_file(path: Path) -> dict[str, Any]:
    """Parse one ``.tf`` file into plain Python values (strings without HCL quotes)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MicrogateError(f"{path}: cannot read: {exc.strerror}") from None
    return _parse_cached(path, data)


# Keyed by content, not mtime: `microgate update` rewrites every file, mostly unchanged,
# and parses the old ones while copier works.
@lru_cache(maxsize=256)
def _parse_cached(path: Path, data: bytes) -> dict[str, Any]:
    import hcl2

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise MicrogateError(f"{path}: not UTF-8 text") from None
    try:
        parsed: dict[str, Any] = _loads(hcl2, text)
    except Exception as exc:  # python-hcl2 raises lark's many error types
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MicrogateError(f"{path}: not valid Terraform: {first}") from None
    return parsed


def _loads(hcl2: Any, text: str) -> dict[str, Any]:
    """python-hcl2 7+ keeps HCL's quotes unless told not to; older releases (and checkov's
    fork, bc-python-hcl2, which is what ``hcl2`` is beside checkov) never keep them."""
    # Ask loads() itself: beside checkov both distributions install files into ``hcl2``.
    if "serialization_options" not in inspect.signature(hcl2.loads).parameters:
        result: dict[str, Any] = hcl2.loads(text)
        return result
    from hcl2.utils import SerializationOptions

    options = SerializationOptions(
        with_comments=False, explicit_blocks=False, strip_string_quotes=True
    )
    result = hcl2.loads(text, serialization_options=options)
    return result


def _block_line(text: str, kind: str, *labels: str) -> int | None:
    header = r"\s+".join([kind, *(f'"{re.escape(label)}"' for label in labels)])
    match = re.search(rf"^\s*{header}\s*{{", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


def resources(parsed: dict[str, Any], path: Path, text: str = "") -> list[Resource]:
    """The resources of a parsed file; ``text`` (the source) gives their lines."""
    found = []
    for block in parsed.get("resource", []):
        for type_name, by_name in block.items():
            for name, body in by_name.items():
                line = _block_line(text, "resource", type_name, name) if text else None
                found.append(Resource(type_name, name, body, path, line))
    return found


def variables(parsed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for block in parsed.get("variable", []):
        found.update(block)
    return found
