"""Names that should not be there: look-alikes of popular packages, imports that no
pinned dependency provides, and packages outside the platform's curated set."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from scaffold.engines.deps.lockfiles import canonical_name


@cache
def popular_packages() -> frozenset[str]:
    from scaffold.resources import policy_file

    text = policy_file("popular-packages.txt").read_text(encoding="utf-8")
    return frozenset(canonical_name(line.strip()) for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Damerau-Levenshtein distance (adjacent swaps count once), capped at ``limit``."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = char_a != char_b
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) >= limit:
            return limit
        previous2, previous = previous, current
    return min(previous[-1], limit)


@cache
def _popular_by_length() -> dict[int, tuple[str, ...]]:
    buckets: dict[int, list[str]] = {}
    for name in sorted(popular_packages()):
        buckets.setdefault(len(name), []).append(name)
    return {length: tuple(names) for length, names in buckets.items()}


def closest_popular(name: str) -> str | None:
    """The popular package ``name`` is one or two edits from (one for short names)."""
    key = canonical_name(name)
    if key in popular_packages():
        return None
    allowed = 1 if len(key) <= 5 else 2
    buckets = _popular_by_length()
    # Names more than `allowed` letters longer or shorter cannot be that close.
    candidates = [p for length in range(len(key) - allowed, len(key) + allowed + 1)
                  for p in buckets.get(length, ())]
    best = min(((edit_distance(key, p, allowed + 1), p) for p in candidates), default=(9, ""))
    return best[1] if best[0] <= allowed else None


# -- imports that nothing provides ------------------------------------------------------

@cache
def import_names() -> dict[str, str]:
    """Import name -> distribution, where the two differ (policies/import-names.yaml)."""
    from scaffold.resources import load_policy

    data = load_policy("import-names.yaml") or {}
    return {str(k): canonical_name(str(v)) for k, v in (data.get("imports") or {}).items()}


def provided_by(distribution: str) -> set[str]:
    """The import names a distribution is known to provide."""
    key = canonical_name(distribution)
    names = {key.replace("-", "_")}
    names |= {module for module, dist in import_names().items() if dist == key}
    return names


class UnprovidedImport(NamedTuple):
    path: str
    line: int
    module: str


def _top_level_imports(tree: Any) -> Iterable[tuple[str, int]]:
    import ast

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], node.lineno


def local_modules(repo: Path, sources: Iterable[str]) -> set[str]:
    """Top-level names the repo itself provides (its packages and modules)."""
    local = set()
    for name in sources:
        parts = Path(name).parts
        local.add(Path(parts[0]).stem)
        if parts[0] == "src" and len(parts) > 1:
            local.add(Path(parts[1]).stem)
    return local


def unprovided_imports(repo: Path, sources: list[str], distributions: set[str],
                       also_local: set[str] | None = None) -> list[UnprovidedImport]:
    """Imports in ``sources`` that are neither the standard library, the repo's own
    modules, nor provided by a pinned distribution."""
    import ast

    from scaffold.safefiles import SkippedFile, read_bytes

    provided: set[str] = set()
    for distribution in distributions:
        provided |= provided_by(distribution)
    local = local_modules(repo, sources) | (also_local or set())
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    found = []
    for name in sources:
        try:
            tree = ast.parse(read_bytes(repo, name, max_bytes=2_000_000))
        except (OSError, SkippedFile, SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        seen: set[str] = set()
        for module, line in _top_level_imports(tree):
            if module in seen or module in stdlib or module in local or module in provided \
                    or module.startswith("_"):
                continue
            seen.add(module)
            found.append(UnprovidedImport(name, line, module))
    return found


# -- the platform's curated set -------------------------------------------------------------

class CuratedSet(NamedTuple):
    allowed: dict[int, dict[str, str]]  # tier -> {package: reason}; empty: no allowlist
    denied: dict[str, str]  # package: reason

    def verdict(self, package: str, tier: int) -> tuple[str, str]:
        """("denied" | "not-allowed" | "ok", reason)."""
        key = canonical_name(package)
        if key in self.denied:
            return "denied", self.denied[key]
        allowed = self.allowed.get(tier)
        if allowed is None or key in allowed:
            return "ok", allowed.get(key, "") if allowed else ""
        return "not-allowed", ""


def _reasons(raw: Any) -> dict[str, str]:
    if isinstance(raw, dict):
        return {canonical_name(str(k)): str(v or "") for k, v in raw.items()}
    if isinstance(raw, list):
        return {canonical_name(str(k)): "" for k in raw}
    return {}


@cache
def curated_set() -> CuratedSet:
    from scaffold.resources import load_policy

    data = load_policy("dependencies.yaml") or {}
    tiers = data.get("allowed") or {}
    common = _reasons(tiers.get("all"))
    allowed = {int(tier): {**common, **_reasons(names)} for tier, names in tiers.items()
               if str(tier) != "all"}
    return CuratedSet(allowed, _reasons(data.get("denied")))


# -- brand-new releases -------------------------------------------------------------------

def cooldown_days(tier: int) -> int:
    from scaffold.resources import load_policy

    data = load_policy("dependencies.yaml") or {}
    days = (data.get("cooldown_days") or {}).get(str(tier), 7)
    return int(days)


def upload_dates(repo: Path) -> dict[str, Any]:
    """``name==version`` -> the date its files reached the index, as `microgate lock`
    recorded them in .microgate/licenses.json."""
    import datetime as dt
    import json

    from scaffold.safefiles import SkippedFile, read_text

    try:
        document = json.loads(read_text(repo, ".microgate/licenses.json",
                                        max_bytes=20_000_000))
        cached = document["packages"]
        if not isinstance(cached, dict):
            return {}
    except (OSError, SkippedFile, ValueError, KeyError, TypeError, RecursionError):
        return {}  # the licenses check says what is wrong with it
    dates = {}
    for key, entry in cached.items():
        if not isinstance(entry, dict):
            continue
        try:
            dates[key] = dt.date.fromisoformat(str(entry.get("uploaded", ""))[:10])
        except ValueError:
            continue
    return dates
