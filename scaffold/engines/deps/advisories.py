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
from pathlib import Path

from scaffold.engines.deps.lockfiles import canonical_name
from scaffold.engines.deps.osv import ECOSYSTEM, pypi_affected
from scaffold.errors import MicrogateError, UsageError
from scaffold.records import Record

TYPE_CHECKING = False  # typing costs a hook ~4 ms to import; mypy reads it as True
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import Any

CACHE_FILE = ".microgate/vulns.json"
ACCEPTED_FILE = ".microgate/vulns-accepted.yaml"
DEFAULT_SOURCE = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"
CONNECT_TIMEOUT_SECONDS = 8
MAX_SOURCE_BYTES = 1_000_000_000
MAX_RECORD_BYTES = 2_000_000


class SourceError(MicrogateError):
    """The advisory source could not be read."""


def _records_from_zip(data: io.BytesIO | Path) -> Iterator[tuple[str, bytes]]:
    import zipfile

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
            record = json.loads(text) if name.endswith(".json") else \
                yamlio.load(text, strings=True)
        except (ValueError, UnicodeDecodeError, RecursionError):
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


# Plain classes, not dataclasses: the hook's start-up (see scaffold/findings.py).
class Cache(Record):
    """.microgate/vulns.json: the advisories of the pinned packages."""

    __slots__ = ("packages", "advisories", "source", "releases")

    def __init__(self, packages: list[str] | None = None,
                 advisories: list[dict[str, Any]] | None = None, source: str = "",
                 releases: dict[str, dict[str, list[str]]] | None = None) -> None:
        self.packages = packages or []
        self.advisories = advisories or []
        self.source = source
        # package -> {"versions": releases at or above its lowest fix, "yanked": [...]}
        self.releases = releases or {}

    def usable_fix(self, package: str, fixed: str | None) -> str | None:
        """The lowest release at or above ``fixed`` that the index has not yanked (a fix
        release is sometimes pulled for a regression); ``fixed`` when nothing is known."""
        if fixed is None or package not in self.releases:
            return fixed
        from packaging.version import InvalidVersion, Version

        known = self.releases[package]
        yanked = set(known.get("yanked") or [])
        try:
            floor = Version(fixed)
            candidates = sorted((Version(v), v) for v in known.get("versions") or []
                                if v not in yanked and Version(v) >= floor
                                and not Version(v).is_prerelease)
        except InvalidVersion:
            return fixed
        return candidates[0][1] if candidates else fixed


def index_releases(packages: dict[str, str]) -> tuple[dict[str, dict[str, list[str]]], list[str]]:
    """For each package -> its lowest fix: the index's releases from that fix on, and
    which of them are yanked. Best effort: (what was found, notes on what was not)."""
    from concurrent.futures import ThreadPoolExecutor

    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version

    from scaffold.engines.licenseindex import IndexLookupError, _get, index_url

    index = index_url()

    def one(package: str, floor: str) -> tuple[str, dict[str, list[str]] | str]:
        try:
            body, content_type = _get(f"{index}/{canonicalize_name(package)}/",
                                      accept="application/vnd.pypi.simple.v1+json",
                                      limit=50_000_000)
            document = json.loads(body) if "json" in content_type else None
        except (IndexLookupError, ValueError) as exc:
            return package, str(exc)
        if not isinstance(document, dict):
            return package, "the index does not speak the JSON Simple API"
        try:
            lowest = Version(floor)
        except InvalidVersion:
            return package, f"{floor!r} is not a release"
        versions: set[str] = set()
        yanked_files: dict[str, list[bool]] = {}
        for entry in document.get("files") or []:
            version = _file_version(str(entry.get("filename", "")))
            if version is None:
                continue
            try:
                if Version(version) < lowest:
                    continue
            except InvalidVersion:
                continue
            versions.add(version)
            yanked_files.setdefault(version, []).append(bool(entry.get("yanked")))
        yanked = sorted(v for v, flags in yanked_files.items() if all(flags))
        return package, {"versions": sorted(versions, key=Version), "yanked": yanked}

    found: dict[str, dict[str, list[str]]] = {}
    notes: list[str] = []
    with ThreadPoolExecutor(max_workers=8) as pool:
        for package, result in pool.map(lambda item: one(*item), sorted(packages.items())):
            if isinstance(result, str):
                notes.append(f"{package}: yanked releases not checked ({result})")
            else:
                found[package] = result
    return found, notes


def _file_version(filename: str) -> str | None:
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[1])
        if filename.endswith((".tar.gz", ".zip")):
            return str(parse_sdist_filename(filename)[1])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return None


def _lowest_fixes(advisories: list[dict[str, Any]]) -> dict[str, str]:
    from packaging.version import InvalidVersion, Version

    lowest: dict[str, str] = {}
    for record in advisories:
        for entry in record.get("affected") or []:
            package = str((entry.get("package") or {}).get("name", ""))
            for span in entry.get("ranges") or []:
                if span.get("type") != "ECOSYSTEM":
                    continue  # GIT ranges name commits, not releases
                for event in span.get("events") or []:
                    fixed = event.get("fixed")
                    try:
                        if fixed and (package not in lowest
                                      or Version(str(fixed)) < Version(lowest[package])):
                            lowest[package] = str(fixed)
                    except InvalidVersion:
                        continue
    return lowest


def refresh(repo: Path, packages: set[str], source: str | None = None, *,
            check_index: bool = True) -> tuple[Cache, Cache, list[str]]:
    """Write the cache for ``packages`` from ``source``; return (before, after, notes).
    With ``check_index``, the package index says which fix releases were yanked."""
    before = read_cache(repo)
    chosen = source or os.environ.get("MICROGATE_VULNS_SOURCE") or DEFAULT_SOURCE
    records = {str(r.get("id")): _trimmed(r, packages) for r in read_source(chosen, packages)}
    after = Cache(sorted(packages), [records[key] for key in sorted(records)],
                  chosen if "://" in chosen else Path(chosen).name)
    notes: list[str] = []
    if check_index:
        after.releases, notes = index_releases(_lowest_fixes(after.advisories))
    path = repo / CACHE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"schema": 1, "source": after.source, "packages": after.packages,
                "advisories": after.advisories, "releases": after.releases}
    scratch = path.with_suffix(".json.tmp")
    scratch.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(scratch, path)
    return before, after, notes


def read_cache(repo: Path) -> Cache:
    from scaffold.safefiles import SkippedFile, read_text

    try:
        document = json.loads(read_text(repo, CACHE_FILE, max_bytes=50_000_000))
    except FileNotFoundError:
        return Cache()
    except (SkippedFile, ValueError, RecursionError) as exc:
        raise MicrogateError(f"{CACHE_FILE} cannot be read ({str(exc)[:100]}): run "
                             "'microgate vulns refresh'") from None
    if not isinstance(document, dict) or not isinstance(document.get("advisories"), list):
        raise MicrogateError(f"{CACHE_FILE} is not an advisory cache: run 'microgate vulns "
                             "refresh'")
    releases = document.get("releases")
    return Cache([str(p) for p in document.get("packages") or []],
                 [a for a in document["advisories"] if isinstance(a, dict)],
                 str(document.get("source", "")),
                 releases if isinstance(releases, dict) else {})


# -- accepted risks ------------------------------------------------------------------------


class Acceptance:
    """One accepted risk of .microgate/vulns-accepted.yaml."""

    __slots__ = ("id", "reason", "who", "until", "line")

    def __init__(self, id: str, reason: str, who: str, until: dt.date,
                 line: int | None) -> None:
        self.id = id
        self.reason = reason
        self.who = who
        self.until = until
        self.line = line

    def __repr__(self) -> str:
        return f"Acceptance({self.id!r}, until={self.until})"


def read_accepted(repo: Path) -> tuple[list[Acceptance], list[tuple[int | None, str]]]:
    """The accepted risks, and a (line, problem) for each entry that is not valid."""
    from scaffold.safefiles import SkippedFile, read_text

    try:
        text = read_text(repo, ACCEPTED_FILE, max_bytes=1_000_000)
    except FileNotFoundError:
        return [], []
    except SkippedFile as exc:
        return [], [(None, exc.why)]
    from scaffold import yamlio

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
