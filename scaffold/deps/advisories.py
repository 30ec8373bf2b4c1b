"""The repo's advisory cache, made from an OSV source, and its accepted risks.

``microgate vulns refresh`` reads a source — OSV's PyPI export (``all.zip``, by URL or
file), a folder of OSV JSON records, or a checkout of the PyPA advisory database (YAML) —
and keeps only the advisories that concern the repo's pinned packages, in
``.microgate/vulns.json``. The check reads only that file, so every commit is offline.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaffold.deps.lockfiles import canonical_name
from scaffold.deps.osv import ECOSYSTEM, pypi_affected
from scaffold.errors import MicrogateError, UsageError

CACHE_FILE = ".microgate/vulns.json"
ACCEPTED_FILE = ".microgate/vulns-accepted.yaml"
DEFAULT_SOURCE = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"
CONNECT_TIMEOUT_SECONDS = 8
MAX_SOURCE_BYTES = 1_000_000_000
MAX_RECORD_BYTES = 2_000_000


class SourceError(MicrogateError):
    """The advisory source could not be read."""


def _records_from_zip(data: io.BytesIO | Path) -> Iterator[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(data)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceError(f"the advisory source is not a zip archive ({exc})") from None
    with archive:
        for info in archive.infolist():
            if info.is_dir() or info.file_size > MAX_RECORD_BYTES:
                continue
            if info.filename.endswith((".json", ".yaml", ".yml")):
                yield info.filename, archive.read(info)


def _records_from_folder(folder: Path, packages: set[str]) -> Iterator[tuple[str, bytes]]:
    # The PyPA advisory database keeps one folder per package under vulns/: read only
    # those of the pinned packages.
    vulns = folder / "vulns"
    roots = [vulns / child.name for child in sorted(vulns.iterdir())
             if child.is_dir() and canonical_name(child.name) in packages] \
        if vulns.is_dir() else [folder]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix in (".json", ".yaml", ".yml") and path.is_file() \
                    and not path.is_symlink() and path.stat().st_size <= MAX_RECORD_BYTES:
                yield path.relative_to(folder).as_posix(), path.read_bytes()


def _download(url: str) -> io.BytesIO:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": "microgate-vulns"})
    try:
        with urllib.request.urlopen(request, timeout=CONNECT_TIMEOUT_SECONDS) as response:
            data = response.read(MAX_SOURCE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise SourceError(f"{url} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SourceError(f"cannot reach the advisory source {url} ({reason}); with no "
                          "network, pass --from a downloaded all.zip or a checkout of the "
                          "PyPA advisory database") from None
    if len(data) > MAX_SOURCE_BYTES:
        raise SourceError(f"{url} is larger than {MAX_SOURCE_BYTES // 1_000_000} MB")
    return io.BytesIO(data)


def read_source(source: str, packages: set[str]) -> Iterator[Mapping[str, Any]]:
    """The OSV records of ``source`` (URL, zip file or folder) about ``packages``."""
    from scaffold import yamlio

    if "://" in source:
        raw: Iterator[tuple[str, bytes]] = _records_from_zip(_download(source))
    else:
        path = Path(source).expanduser()
        if path.is_dir():
            raw = _records_from_folder(path, packages)
        elif path.is_file():
            raw = _records_from_zip(path)
        else:
            raise UsageError(f"{source}: no such file or folder")
    for name, data in raw:
        lowered = data.lower()
        # Cheap first: a record that names none of the packages is not parsed.
        if not any(package.encode() in lowered or package.replace("-", "_").encode()
                   in lowered for package in packages):
            continue
        try:
            text = data.decode("utf-8")
            record = json.loads(text) if name.endswith(".json") else yamlio.load(text)
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(record, dict) and any(pypi_affected(record, p) for p in packages):
            yield record


def _trimmed(record: Mapping[str, Any], packages: set[str]) -> dict[str, Any]:
    """What the check needs of a record: ids, words, severity, and the pinned packages'
    affected entries."""
    kept: dict[str, Any] = {"id": str(record.get("id", ""))}
    for key in ("aliases", "summary", "withdrawn", "modified", "severity"):
        if record.get(key):
            kept[key] = record[key]
    if not kept.get("summary") and record.get("details"):
        kept["summary"] = " ".join(str(record["details"]).split())[:200]
    database = record.get("database_specific") or {}
    if isinstance(database, dict) and database.get("severity"):
        kept["database_specific"] = {"severity": database["severity"]}
    affected = []
    for package in sorted(packages):
        for entry in pypi_affected(record, package):
            item: dict[str, Any] = {"package": {"ecosystem": ECOSYSTEM, "name": package}}
            for key in ("ranges", "versions"):
                if entry.get(key):
                    item[key] = entry[key]
            for key in ("ecosystem_specific", "database_specific"):
                value = entry.get(key) or {}
                if isinstance(value, dict) and value.get("severity"):
                    item[key] = {"severity": value["severity"]}
            affected.append(item)
    kept["affected"] = affected
    return kept


@dataclass
class Cache:
    packages: list[str] = field(default_factory=list)
    advisories: list[dict[str, Any]] = field(default_factory=list)
    source: str = ""


def refresh(repo: Path, packages: set[str], source: str | None = None) -> tuple[Cache, Cache]:
    """Write the cache for ``packages`` from ``source``; return (before, after)."""
    before = read_cache(repo)
    chosen = source or os.environ.get("MICROGATE_VULNS_SOURCE") or DEFAULT_SOURCE
    records = {str(r.get("id")): _trimmed(r, packages) for r in read_source(chosen, packages)}
    after = Cache(sorted(packages), [records[key] for key in sorted(records)],
                  chosen if "://" in chosen else Path(chosen).name)
    path = repo / CACHE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"schema": 1, "source": after.source, "packages": after.packages,
                "advisories": after.advisories}
    scratch = path.with_suffix(".json.tmp")
    scratch.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(scratch, path)
    return before, after


def read_cache(repo: Path) -> Cache:
    from scaffold.safefiles import SkippedFile, read_text

    try:
        document = json.loads(read_text(repo, CACHE_FILE, max_bytes=50_000_000))
    except FileNotFoundError:
        return Cache()
    except (SkippedFile, ValueError) as exc:
        raise MicrogateError(f"{CACHE_FILE} cannot be read ({exc}): run 'microgate vulns "
                             "refresh'") from None
    if not isinstance(document, dict) or not isinstance(document.get("advisories"), list):
        raise MicrogateError(f"{CACHE_FILE} is not an advisory cache: run 'microgate vulns "
                             "refresh'")
    return Cache([str(p) for p in document.get("packages") or []],
                 [a for a in document["advisories"] if isinstance(a, dict)],
                 str(document.get("source", "")))


# -- accepted risks ------------------------------------------------------------------------

@dataclass(frozen=True)
class Acceptance:
    id: str
    reason: str
    who: str
    until: dt.date
    line: int | None


def read_accepted(repo: Path) -> tuple[list[Acceptance], list[tuple[int | None, str]]]:
    """The accepted risks, and a (line, problem) for each entry that is not valid."""
    from scaffold import yamlio
    from scaffold.safefiles import SkippedFile, read_text

    try:
        text = read_text(repo, ACCEPTED_FILE, max_bytes=1_000_000)
    except FileNotFoundError:
        return [], []
    except SkippedFile as exc:
        return [], [(None, exc.why)]
    try:
        document = yamlio.load(text, unique_keys=True) or {}
    except yamlio.InvalidYaml as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
        return [], [(line, f"not valid YAML: {exc.problem or 'unreadable'}")]
    entries = document.get("accepted") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        return [], [(1, "write the accepted risks as 'accepted:' followed by a list of "
                        "id, reason, who, until")]
    lines = [number for number, line in enumerate(text.splitlines(), 1)
             if line.lstrip().startswith("- ")]
    accepted: list[Acceptance] = []
    problems: list[tuple[int | None, str]] = []
    for index, entry in enumerate(entries):
        line = lines[index] if index < len(lines) else None
        if not isinstance(entry, dict):
            problems.append((line, "each accepted risk is a mapping of id, reason, who, until"))
            continue
        missing = [key for key in ("id", "reason", "who", "until") if not entry.get(key)]
        until = entry.get("until")
        if missing:
            problems.append((line, f"an accepted risk needs {', '.join(missing)}"))
        elif not isinstance(until, dt.date) or isinstance(until, dt.datetime):
            problems.append((line, f"until: {str(until)[:30]!r} is not a date (YYYY-MM-DD)"))
        else:
            accepted.append(Acceptance(str(entry["id"]), str(entry["reason"]),
                                       str(entry["who"]), until, line))
    return accepted, problems
