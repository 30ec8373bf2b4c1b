"""The licenses of pinned packages, from the package index's own metadata.

Each wheel's METADATA is served by the index beside the wheel (PEP 658), so a lookup
reads a few kilobytes; a wheel without it, or an sdist, is downloaded (50 MB at most).
Only the Simple API is used, so any PEP 503/691 index works, a company mirror included.
"""

from __future__ import annotations

import email.parser
import io
import json
import os
import re
import tarfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaffold.engines.licenses import (
    LOCKFILE,
    LicensePolicy,
    Pin,
    default_license_policy,
    normalise,
    read_cache,
    read_pins,
    write_cache,
)
from scaffold.errors import MicrogateError

DEFAULT_INDEX = "https://pypi.org/simple"
HTTP_TIMEOUT_SECONDS = 20
MAX_DOWNLOAD_BYTES = 50_000_000


# -- the package index -----------------------------------------------------------------

def index_url() -> str:
    return (os.environ.get("MICROGATE_INDEX_URL") or os.environ.get("PIP_INDEX_URL")
            or DEFAULT_INDEX).rstrip("/")


class IndexLookupError(MicrogateError):
    """The package index could not be reached or did not know a package."""


def _get(url: str, accept: str = "*/*", limit: int = MAX_DOWNLOAD_BYTES) -> tuple[bytes, str]:
    request = urllib.request.Request(url, headers={"Accept": accept,
                                                   "User-Agent": "microgate-licenses"})
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
            data = response.read(limit + 1)
            if len(data) > limit:
                raise IndexLookupError(f"{url}: larger than {limit // 1_000_000} MB")
            return data, response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        raise IndexLookupError(f"{url}: the index answered {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise IndexLookupError(f"could not reach the package index ({reason})") from None


def _files_for(name: str, version: str, index: str) -> list[dict[str, Any]]:
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        canonicalize_name,
        parse_sdist_filename,
        parse_wheel_filename,
    )
    from packaging.version import Version

    body, content_type = _get(
        f"{index}/{canonicalize_name(name)}/",
        accept="application/vnd.pypi.simple.v1+json, text/html;q=0.1",
    )
    if "json" in content_type:
        files = json.loads(body)["files"]
    else:
        files = [{"filename": m.group(2).split("#")[0].rsplit("/", 1)[-1],
                  "url": m.group(2)}
                 for m in re.finditer(r'<a\s[^>]*href=(["\'])([^"\']+)\1', body.decode())]
    wanted = Version(version)
    chosen = []
    for entry in files:
        filename = entry["filename"]
        try:
            if filename.endswith(".whl"):
                _, file_version, _, _ = parse_wheel_filename(filename)
            elif filename.endswith((".tar.gz", ".zip")):
                _, file_version = parse_sdist_filename(filename)
            else:
                continue
        except (InvalidWheelFilename, InvalidSdistFilename):
            continue
        if file_version == wanted:
            url = entry["url"]
            if not url.startswith(("http://", "https://")):
                url = urllib.parse.urljoin(f"{index}/{canonicalize_name(name)}/", url)
            chosen.append({**entry, "url": url})
    # wheels first: their metadata is served on its own
    chosen.sort(key=lambda e: (not e["filename"].endswith(".whl"), e["filename"]))
    return chosen


def _metadata_of(entry: dict[str, Any]) -> bytes:
    url = entry["url"].split("#")[0]
    filename = entry["filename"]
    if filename.endswith(".whl"):
        try:
            return _get(url + ".metadata")[0]
        except IndexLookupError:
            archive = zipfile.ZipFile(io.BytesIO(_get(url)[0]))
            name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
            return archive.read(name)
    data = _get(url)[0]
    if filename.endswith(".zip"):
        archive = zipfile.ZipFile(io.BytesIO(data))
        name = min((n for n in archive.namelist() if n.endswith("PKG-INFO")), key=len)
        return archive.read(name)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        member = min((m for m in tar.getmembers() if m.name.endswith("PKG-INFO")),
                     key=lambda m: len(m.name))
        extracted = tar.extractfile(member)
        return extracted.read() if extracted else b""


def lookup(pin: Pin, index: str, policy: LicensePolicy) -> dict[str, str]:
    files = _files_for(pin.name, pin.version, index)
    if not files:
        raise IndexLookupError(f"{pin.key} is not on the package index")
    metadata = email.parser.BytesParser().parsebytes(_metadata_of(files[0]), headersonly=True)
    spdx, source = normalise(
        metadata.get("License-Expression"), metadata.get("License"),
        metadata.get_all("Classifier") or [], policy,
    )
    if not spdx or "LicenseRef-OSI" in spdx:
        # Vague metadata ("BSD License", free text): read the license files themselves.
        from_files = _license_files_expression(files)
        if from_files:
            spdx, source = from_files, "license files"
    entry = {"license": spdx or "UNKNOWN", "source": source}
    uploads = [str(f["upload-time"]) for f in files if f.get("upload-time")]
    if uploads:
        # When the release reached the index: the pins check's cooldown reads it.
        entry["uploaded"] = min(uploads)[:10]
    if not spdx and metadata.get("License"):
        entry["declared"] = str(metadata.get("License")).strip()[:200]
    return entry


LICENSE_FILE = re.compile(r"(^|/)(licen[cs]e|copying|notice)[^/]*$", re.IGNORECASE)


def _read_start(archive: zipfile.ZipFile, name: str, limit: int = 200_000) -> bytes:
    with archive.open(name) as member:
        return member.read(limit)


def _license_files_expression(files: list[dict[str, Any]]) -> str | None:
    """The SPDX expression of the license files in the first wheel of the release."""
    from scaffold.engines.licensetext import expression_of

    wheel = next((entry for entry in files if entry["filename"].endswith(".whl")), None)
    if wheel is None:
        return None
    try:
        archive = zipfile.ZipFile(io.BytesIO(_get(wheel["url"].split("#")[0])[0]))
        # Read at most 200 kB of each, however far it would decompress.
        texts = {name: _read_start(archive, name).decode("utf-8", "replace")
                 for name in archive.namelist()
                 if ".dist-info/" in name and LICENSE_FILE.search(name)}
    except (IndexLookupError, zipfile.BadZipFile, KeyError, OSError):
        return None
    return expression_of(texts)


@dataclass
class RefreshReport:
    looked_up: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def refresh(repo: Path, *, index: str | None = None, lockfile: str = LOCKFILE,
            everything: bool = False) -> RefreshReport:
    """Look up the licenses of the pins not yet cached (all with ``everything``)."""
    index = index or index_url()
    from scaffold.engines.deps.lockfiles import lockfiles

    policy = default_license_policy()
    # Every lockfile of the repo (requirements*.txt anywhere, requirements/*.txt).
    every_lockfile = sorted(set(lockfiles(repo)) | ({lockfile} if (repo / lockfile).is_file()
                                                    else set()))
    unique: dict[str, Pin] = {}
    for name in every_lockfile:
        for pin in read_pins(repo, name):
            unique.setdefault(pin.key, pin)
    pins = list(unique.values())
    if not pins and not every_lockfile:
        raise MicrogateError(f"{lockfile} is missing: run 'microgate lock' first")
    try:
        cached = read_cache(repo)
    except MicrogateError:
        cached = {}
    report = RefreshReport()
    wanted = {pin.key for pin in pins}
    report.dropped = sorted(set(cached) - wanted)
    todo = [pin for pin in pins if everything or pin.key not in cached]
    report.kept = sorted(wanted - {pin.key for pin in todo})
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda pin: (pin, _safe_lookup(pin, index, policy)), todo))
    failures = [error for _, error in results if isinstance(error, str)]
    if failures:
        raise IndexLookupError(failures[0] + ("" if len(failures) == 1
                                         else f" (and {len(failures) - 1} more)"))
    packages = {key: cached[key] for key in report.kept}
    for pin, entry in results:
        assert isinstance(entry, dict)
        packages[pin.key] = entry
        report.looked_up.append(pin.key)
    write_cache(repo, packages)
    return report


def _safe_lookup(pin: Pin, index: str, policy: LicensePolicy) -> dict[str, str] | str:
    try:
        return lookup(pin, index, policy)
    except IndexLookupError as exc:
        return exc.message
    except (StopIteration, zipfile.BadZipFile, tarfile.TarError, ValueError, KeyError):
        return f"{pin.key}: the index's files hold no readable metadata"
