"""Slow, pure parses kept between commits in the user's cache, keyed by content.

A hook starts once per commit, and most commits leave most files alone. Reading a parse
back as JSON costs well under a millisecond, where importing python-hcl2 costs a hook
~55 ms, PyYAML ~20 ms and jsonschema ~50 ms. The key is a SHA-256 of what was parsed
and of the files of the code that parsed it (so an edit or an upgrade is a miss, never a
stale hit), and a cryptographic one: a file from a pull request must not be able to pass
for another file that was parsed before. Only what JSON can carry back exactly is kept
(strings, numbers, booleans, None, lists, dates, and maps keyed by any of those but
lists); anything else is parsed every time. ``MICROGATE_NO_PARSE_CACHE=1`` turns the cache off.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

TYPE_CHECKING = False  # typing costs a hook ~4 ms to import; mypy reads it as True
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    T = TypeVar("T")

MAX_CACHED_BYTES = 2_000_000  # what is parsed
MAX_ENTRY_CHARACTERS = 250_000  # what is kept: YAML aliases can make a small text large
MAX_ENTRIES = 4_000  # per kind; beyond it the older half goes (1 GB at the very most)
DATE = "\0date"  # JSON has no dates: {DATE: "2026-12-05"} stands for one
ITEMS = "\0items"  # a map JSON cannot key (numbers, dates, these markers): its pairs


class _Uncacheable(Exception):
    pass


def cache_dir() -> Path:
    from scaffold.userdirs import cache_dir as microgate_cache

    return microgate_cache() / "parsed"


def sha256_hex(data: bytes) -> str:
    """hashlib's SHA-256 without hashlib, which loads OpenSSL (~7 ms): Python's built-in
    module gives the same digest."""
    for name in ("_sha256", "_sha2"):  # Python 3.11, 3.12+
        try:
            return str(__import__(name).sha256(data).hexdigest())
        except (ImportError, AttributeError):
            continue
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _stamp(code_files: tuple[str, ...], libraries: tuple[str, ...]) -> bytes:
    """What identifies the parsing code: its files' sizes and modification times."""
    from importlib.util import find_spec

    parts = []
    for name in libraries:
        spec = find_spec(name)
        if spec is None or not spec.origin:
            raise _Uncacheable(name)
        parts.append(spec.origin)
    stamps = []
    for file in (*code_files, *parts):
        stat = os.stat(file)
        stamps.append(f"{file}:{stat.st_size}:{stat.st_mtime_ns}")
    return "\n".join(stamps).encode()


def cached(kind: str, data: bytes, parse: Callable[[], T], *, code: tuple[str, ...] = (),
           libraries: tuple[str, ...] = ()) -> T:
    """``parse()``, or its result for the same ``data`` parsed by the same code before.

    ``code`` names the files of microgate's own parsing code (their ``__file__``),
    ``libraries`` the top-level modules of the parser it uses; errors are never kept.
    """
    if len(data) > MAX_CACHED_BYTES or os.environ.get("MICROGATE_NO_PARSE_CACHE"):
        return parse()
    try:
        key = entry_key(kind, _stamp(code, libraries) + b"\0" + data)
    except (OSError, _Uncacheable):
        return parse()
    found, value = lookup(kind, key)
    if found:
        return value  # type: ignore[no-any-return]
    value = parse()
    store(kind, key, value)
    return value


def entry_key(kind: str, data: bytes) -> str:
    """The key of what ``data`` (everything the result depends on) gives in ``kind``."""
    return sha256_hex(b"\0".join((kind.encode(), data)))


def lookup(kind: str, key: str) -> tuple[bool, Any]:
    """(True, the kept value) or (False, None); never an error."""
    if os.environ.get("MICROGATE_NO_PARSE_CACHE"):
        return False, None
    try:
        path = cache_dir() / kind / f"{key}.json"
        return True, json.loads(path.read_text(encoding="utf-8"), object_hook=_decode)
    except (OSError, ValueError, RecursionError):
        return False, None


def store(kind: str, key: str, value: Any) -> None:
    """Keep ``value`` under ``key`` when JSON can carry it back exactly and it is small."""
    if os.environ.get("MICROGATE_NO_PARSE_CACHE"):
        return
    try:
        text = json.dumps(_encode(value, 0))
    except (_Uncacheable, RecursionError, ValueError):
        return
    if len(text) <= MAX_ENTRY_CHARACTERS:
        _write(cache_dir() / kind / f"{key}.json", text)


def _encode(value: Any, depth: int) -> Any:
    if depth > 500:
        raise _Uncacheable("too deep")
    if value is None or type(value) in (str, int, float, bool):
        return value
    if type(value) is dt.date:
        return {DATE: value.isoformat()}
    if type(value) is list:
        return [_encode(item, depth + 1) for item in value]
    if type(value) is dict:
        if all(type(key) is str and key not in (DATE, ITEMS) for key in value):
            return {key: _encode(item, depth + 1) for key, item in value.items()}
        return {ITEMS: [[_encode(key, depth + 1), _encode(item, depth + 1)]
                        for key, item in value.items()]}
    raise _Uncacheable(type(value).__name__)


def _decode(mapping: dict[str, Any]) -> Any:
    if len(mapping) == 1:
        if DATE in mapping:
            return dt.date.fromisoformat(mapping[DATE])
        if ITEMS in mapping:
            return {key: item for key, item in mapping[ITEMS]}
    return mapping


def _write(path: Path, text: str) -> None:
    """Atomically (hooks may run in parallel); a cache that cannot be written is no cache."""
    try:
        # the user's alone: a parse planted by someone else would be believed
        os.makedirs(path.parent, mode=0o700, exist_ok=True)
        scratch = path.with_name(f"{path.stem}.{os.getpid()}.tmp")
        scratch.write_text(text, encoding="utf-8")
        os.replace(scratch, path)
        if len(entries := os.listdir(path.parent)) > MAX_ENTRIES:
            _prune(path.parent, entries)
    except OSError:
        pass


def _prune(folder: Path, entries: list[str]) -> None:
    dated = []
    for name in entries:
        try:
            dated.append(((folder / name).stat().st_mtime, name))
        except OSError:
            continue
    for _, name in sorted(dated)[: len(dated) // 2]:
        try:
            (folder / name).unlink()
        except OSError:
            pass
