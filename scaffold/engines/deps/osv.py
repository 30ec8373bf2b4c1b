"""OSV advisories for PyPI: which pinned versions they affect, how bad, and the fix.

Matching follows the OSV schema: ``affected[].ranges`` of type ECOSYSTEM, whose
``introduced``/``fixed``/``last_affected`` events are ordered by PEP 440 (pre-releases,
post-releases and epochs included), plus explicit ``versions`` lists. Withdrawn
advisories are ignored. Advisories that name each other in ``aliases`` describe one flaw
and are merged, so it is reported once.
"""

from __future__ import annotations

import math
import re

TYPE_CHECKING = False  # typing costs a hook ~4 ms to import; mypy reads it as True
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

    from packaging.version import Version

SEVERITIES = ("unknown", "low", "medium", "high", "critical")
ECOSYSTEM = "PyPI"


def _version(text: object) -> Version | None:
    # packaging's parser (~13 ms to import) is needed only once a pin meets an advisory
    from packaging.version import InvalidVersion, Version

    try:
        return Version(str(text))
    except InvalidVersion:
        return None


def _newer(one: str, other: str) -> bool:
    from packaging.version import Version

    return Version(one) > Version(other)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pypi_affected(record: Mapping[str, Any], package: str) -> list[Mapping[str, Any]]:
    """The record's ``affected`` entries for this PyPI package."""
    entries = []
    for entry in record.get("affected") or []:
        pkg = entry.get("package") or {}
        if str(pkg.get("ecosystem", "")).split(":")[0] == ECOSYSTEM and \
                _canonical(str(pkg.get("name", ""))) == package:
            entries.append(entry)
    return entries


def _range_verdict(version: Version, events: list[Mapping[str, Any]]) -> tuple[bool, str | None]:
    """(affected, the fix that ends the affected span) for one ECOSYSTEM range."""
    from packaging.version import Version

    keyed: list[tuple[Version, int, str, str]] = []
    order = {"introduced": 0, "fixed": 1, "last_affected": 2, "limit": 3}
    for event in events:
        for kind, raw in event.items():
            if kind not in order:
                continue
            at = Version("0") if kind == "introduced" and str(raw) == "0" else _version(raw)
            if at is not None:
                keyed.append((at, order[kind], kind, str(raw)))
    keyed.sort()
    affected = False
    for at, _, kind, _ in keyed:
        if kind == "introduced" and version >= at:
            affected = True
        elif kind == "fixed" and version >= at:
            affected = False
        elif kind == "last_affected" and version > at:
            affected = False
        elif kind == "limit" and version >= at:
            affected = False
    if not affected:
        return False, None
    fixes = [raw for at, _, kind, raw in keyed if kind == "fixed" and at > version]
    return True, fixes[0] if fixes else None


def _listed(text: str, version: Version, listed: list[Any]) -> bool:
    """Whether ``version`` is in an explicit ``versions`` list, PEP 440 equality.

    Lists run to hundreds of versions: an exact string match settles most cases, and only
    entries that could still be equal (same release number once trailing zeros go, or an
    epoch) are parsed."""
    if text in listed:
        return True
    first = str(version.release[0])
    for entry in listed:
        raw = str(entry)
        # Equal versions share their first release number (written without leading zeros
        # in OSV data), unless an epoch or a leading "v" is involved: parse those.
        if "!" not in raw and not raw.lstrip("vV").startswith(first):
            continue
        other = _version(raw)
        if other is not None and other == version:
            return True
    return False


def by_package(records: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Records grouped by the PyPI packages they affect, to match each pin only against
    its own package's advisories."""
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for record in records:
        names = {_canonical(str((entry.get("package") or {}).get("name", "")))
                 for entry in record.get("affected") or []}
        for name in names:
            grouped.setdefault(name, []).append(record)
    return grouped


def affects(record: Mapping[str, Any], package: str, version_text: str
            ) -> tuple[bool, str | None]:
    """Whether ``record`` affects ``package==version_text``, and the lowest fixed version
    above it (None: no fix released)."""
    if record.get("withdrawn"):
        return False, None
    version = _version(version_text)
    if version is None:
        return False, None
    hit, fix = False, None
    for entry in pypi_affected(record, package):
        if _listed(version_text, version, entry.get("versions") or []):
            hit = True
        for span in entry.get("ranges") or []:
            if span.get("type") != "ECOSYSTEM":
                continue
            affected, fixed = _range_verdict(version, list(span.get("events") or []))
            if affected:
                hit = True
                if fixed and (fix is None or _newer(fixed, fix)):
                    fix = fixed
    return hit, fix if hit else None


# -- severity ---------------------------------------------------------------------------

_CVSS3 = {
    "AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
    "AC": {"L": 0.77, "H": 0.44},
    "UI": {"N": 0.85, "R": 0.62},
    "C": {"H": 0.56, "L": 0.22, "N": 0.0},
    "I": {"H": 0.56, "L": 0.22, "N": 0.0},
    "A": {"H": 0.56, "L": 0.22, "N": 0.0},
}


def _roundup(value: float) -> float:
    """CVSS 3.1's Roundup: the smallest one-decimal number >= value, float-safe."""
    whole = round(value * 100_000)
    if whole % 10_000 == 0:
        return whole / 100_000.0
    return (math.floor(whole / 10_000) + 1) / 10.0


def cvss3_base_score(vector: str) -> float | None:
    """The base score of a CVSS 3.0/3.1 vector (None when it is not one)."""
    if not vector.startswith(("CVSS:3.0/", "CVSS:3.1/")):
        return None
    metrics = dict(part.split(":", 1) for part in vector.split("/")[1:] if ":" in part)
    try:
        scope_changed = metrics["S"] == "C"
        privileges = {"N": 0.85, "L": 0.68 if scope_changed else 0.62,
                      "H": 0.5 if scope_changed else 0.27}[metrics["PR"]]
        av, ac, ui = (_CVSS3[k][metrics[k]] for k in ("AV", "AC", "UI"))
        c, i, a = (_CVSS3[k][metrics[k]] for k in ("C", "I", "A"))
    except KeyError:
        return None
    iss = 1 - (1 - c) * (1 - i) * (1 - a)
    impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 if scope_changed else 6.42 * iss
    exploitability = 8.22 * av * ac * privileges * ui
    if impact <= 0:
        return 0.0
    total = impact + exploitability
    return _roundup(min(1.08 * total if scope_changed else total, 10))


def rating(score: float) -> str:
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    if score > 0:
        return "low"
    return "unknown"


def severity(record: Mapping[str, Any]) -> tuple[str, float | None]:
    """(rating, CVSS score) from the record's CVSS vector, else its database's word."""
    scores = [cvss3_base_score(str(entry.get("score", "")))
              for entry in record.get("severity") or []
              if str(entry.get("type", "")).startswith("CVSS_V3")]
    known = [s for s in scores if s is not None]
    if known:
        return rating(max(known)), max(known)
    words = [record.get("database_specific", {}).get("severity")]
    words += [entry.get("database_specific", {}).get("severity")
              for entry in record.get("affected") or []]
    words += [entry.get("ecosystem_specific", {}).get("severity")
              for entry in record.get("affected") or []]
    found = [str(w).lower() for w in words if isinstance(w, str)]
    found = ["medium" if w == "moderate" else w for w in found]
    ranked = [w for w in found if w in SEVERITIES]
    return (max(ranked, key=SEVERITIES.index), None) if ranked else ("unknown", None)


# -- merging aliases ---------------------------------------------------------------------

class Vulnerability:
    """One flaw in one pinned package, however many databases describe it. (A plain
    class, not a dataclass: the hook's start-up, see scaffold/findings.py.)"""

    __slots__ = ("package", "version", "ids", "summary", "severity", "score", "fixed",
                 "records")

    def __init__(self, package: str, version: str, ids: list[str], summary: str,
                 severity: str, score: float | None, fixed: str | None,
                 records: list[Mapping[str, Any]] | None = None) -> None:
        self.package = package
        self.version = version
        self.ids = ids  # the primary id first
        self.summary = summary
        self.severity = severity
        self.score = score
        self.fixed = fixed
        self.records = records or []

    def __repr__(self) -> str:
        return f"Vulnerability({self.package}=={self.version}, {self.id}, {self.severity})"

    @property
    def id(self) -> str:
        return self.ids[0]


def _primary(ids: Iterable[str]) -> list[str]:
    """GHSA ids first (they carry severity), then PYSEC, then CVE, then the rest."""
    rank = {"GHSA": 0, "PYSEC": 1, "CVE": 2}
    return sorted(set(ids), key=lambda i: (rank.get(i.split("-")[0], 3), i))


def _highest(versions: list[str]) -> str | None:
    from packaging.version import Version

    return max(versions, key=Version) if versions else None


def vulnerabilities(records: Iterable[Mapping[str, Any]], package: str,
                    version: str) -> list[Vulnerability]:
    """The flaws of ``package==version``, one per group of aliased records."""
    hits: list[tuple[Mapping[str, Any], str | None]] = []
    for record in records:
        affected, fix = affects(record, package, version)
        if affected:
            hits.append((record, fix))
    groups: list[tuple[set[str], list[tuple[Mapping[str, Any], str | None]]]] = []
    for record, fix in hits:
        names = {str(record.get("id"))} | {str(a) for a in record.get("aliases") or []}
        joined = [g for g in groups if g[0] & names]
        merged_names = set(names).union(*(g[0] for g in joined))
        merged_hits = [(record, fix)] + [h for g in joined for h in g[1]]
        groups = [g for g in groups if g not in joined] + [(merged_names, merged_hits)]
    found = []
    for names, members in groups:
        ratings = [severity(record) for record, _ in members]
        best = max(ratings, key=lambda r: (SEVERITIES.index(r[0]), r[1] or 0))
        fixes = [fix for _, fix in members if fix]
        summary = next((str(r.get("summary")) for r, _ in members if r.get("summary")),
                       next((str(r.get("details", ""))[:200] for r, _ in members), ""))
        found.append(Vulnerability(
            package, version, _primary(names), " ".join(summary.split())[:200], best[0],
            best[1], _highest(fixes), [r for r, _ in members]))
    return sorted(found, key=lambda v: v.id)
