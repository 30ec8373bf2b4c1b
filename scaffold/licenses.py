"""Licenses of an app's pinned dependencies, judged against the platform's policy.

The licenses come from the package index's own metadata (each wheel's METADATA, which
the index serves beside it per PEP 658), are normalised to SPDX, and are kept in a cache
file committed in the repo, so the check on a commit needs no network:
``microgate licenses refresh`` (and ``microgate lock``) update it.
"""

from __future__ import annotations

import email.parser
import fnmatch
import io
import json
import os
import re
import tarfile
import tomllib
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from scaffold.errors import MicrogateError
from scaffold.resources import policy_file

CACHE_FILE = ".microgate/licenses.json"
LOCKFILE = "requirements.txt"
DEFAULT_INDEX = "https://pypi.org/simple"
HTTP_TIMEOUT_SECONDS = 20
MAX_DOWNLOAD_BYTES = 50_000_000
Status = Literal["allow", "review", "deny"]
RANK: dict[str, int] = {"allow": 0, "review": 1, "deny": 2}


@dataclass(frozen=True)
class LicensePolicy:
    allow: tuple[str, ...]
    review: tuple[str, ...]
    deny: tuple[str, ...]
    unknown: Status
    aliases: dict[str, str] = field(default_factory=dict)
    classifiers: dict[str, str] = field(default_factory=dict)
    reviewed: frozenset[str] = frozenset()

    def status_of(self, license_id: str) -> Status:
        """The most restrictive list a license id matches; unlisted ids need review."""
        for status, patterns in (("deny", self.deny), ("review", self.review),
                                 ("allow", self.allow)):
            if any(fnmatch.fnmatchcase(license_id, p) for p in patterns):
                return status  # type: ignore[return-value]
        return "review"

    def narrowed(self, config: dict[str, Any], source: str = "pyproject.toml") -> LicensePolicy:
        """Apply a repo's ``[tool.microgate.licenses]``: more review/deny, and approvals."""

        def strings(key: str) -> tuple[str, ...]:
            value = config.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise MicrogateError(f"{source}: [tool.microgate.licenses] {key} must be a "
                                     "list of strings")
            return tuple(value)

        unknown_keys = set(config) - {"deny", "review", "reviewed"}
        if unknown_keys:
            raise MicrogateError(f"{source}: [tool.microgate.licenses] does not know "
                                 f"{', '.join(sorted(unknown_keys))} (a repo can only add "
                                 "deny, review and reviewed)")
        return replace(
            self,
            deny=self.deny + strings("deny"),
            review=self.review + strings("review"),
            reviewed=frozenset(strings("reviewed")),
        )


def load_license_policy(path: Path) -> LicensePolicy:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        unknown = raw.get("unknown", "review")
        if unknown not in ("review", "deny"):
            raise ValueError("unknown must be review or deny")
        return LicensePolicy(
            allow=tuple(raw.get("allow", [])),
            review=tuple(raw.get("review", [])),
            deny=tuple(raw.get("deny", [])),
            unknown=unknown,
            aliases={str(k): str(v) for k, v in (raw.get("aliases") or {}).items()},
            classifiers={str(k): str(v) for k, v in (raw.get("classifiers") or {}).items()},
        )
    except (OSError, yaml.YAMLError, AttributeError, TypeError, ValueError) as exc:
        raise MicrogateError(f"{path}: the license policy is not valid: {exc}") from None


@cache
def default_license_policy() -> LicensePolicy:
    return load_license_policy(policy_file("licenses.yaml"))


def repo_license_policy(repo: Path, base: LicensePolicy | None = None) -> LicensePolicy:
    policy = base or default_license_policy()
    pyproject = repo / "pyproject.toml"
    if not pyproject.is_file():
        return policy
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise MicrogateError(f"pyproject.toml is not valid TOML: {exc}") from None
    config = data.get("tool", {}).get("microgate", {}).get("licenses", {})
    if not isinstance(config, dict):
        raise MicrogateError("pyproject.toml: [tool.microgate.licenses] must be a table")
    return policy.narrowed(config)


# -- normalising -----------------------------------------------------------------------

def normalise(expression: str | None, license_text: str | None,
              classifiers: Iterable[str], policy: LicensePolicy) -> tuple[str | None, str]:
    """An SPDX expression for a package, and which metadata field it came from."""
    from license_expression import ExpressionError, get_spdx_licensing

    licensing = get_spdx_licensing()

    def as_spdx(text: str) -> str | None:
        text = text.strip()
        if not text or len(text) > 200 or "\n" in text:
            return None
        if text in policy.aliases:
            return policy.aliases[text]
        try:
            return str(licensing.parse(text, validate=True).render())
        except ExpressionError:
            return None

    if expression and (spdx := as_spdx(expression)):
        return spdx, "License-Expression"
    if license_text and (spdx := as_spdx(license_text)):
        return spdx, "License"
    mapped = sorted({policy.classifiers[c] for c in classifiers if c in policy.classifiers})
    if mapped:
        return " OR ".join(mapped), "Classifier"
    return None, "none"


def evaluate(expression: str, policy: LicensePolicy) -> Status:
    """AND needs every part allowed; OR needs one (the licensee picks)."""
    from license_expression import (
        AND,
        OR,
        ExpressionError,
        LicenseSymbol,
        LicenseWithExceptionSymbol,
        Licensing,
    )

    try:
        parsed = Licensing().parse(expression)
    except ExpressionError:
        return policy.unknown

    def walk(node: Any) -> Status:
        if isinstance(node, LicenseWithExceptionSymbol):
            return policy.status_of(str(node.license_symbol.key))
        if isinstance(node, LicenseSymbol):
            return policy.status_of(str(node.key))
        statuses = [walk(arg) for arg in node.args]
        if isinstance(node, OR):
            return min(statuses, key=RANK.__getitem__)
        if isinstance(node, AND):
            return max(statuses, key=RANK.__getitem__)
        return policy.unknown

    return walk(parsed)


# -- lockfile and cache ----------------------------------------------------------------

@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    line: int

    @property
    def key(self) -> str:
        return f"{self.name}=={self.version}"


def read_pins(repo: Path, lockfile: str = LOCKFILE) -> list[Pin]:
    from packaging.utils import canonicalize_name

    from scaffold.checks.pins import logical_lines

    path = repo / lockfile
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError):
        raise MicrogateError(f"{lockfile} cannot be read as UTF-8 text") from None
    pins = []
    for number, line in logical_lines(text):
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;\\]+)", line)
        if match:
            pins.append(Pin(canonicalize_name(match.group(1)), match.group(3), number))
    return pins


def read_cache(repo: Path) -> dict[str, dict[str, str]]:
    path = repo / CACHE_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        packages = data["packages"]
        if not isinstance(packages, dict):
            raise TypeError
        return {str(k): dict(v) for k, v in packages.items()}
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise MicrogateError(f"{CACHE_FILE} is damaged: run 'microgate licenses refresh' to "
                             "rebuild it") from None


def write_cache(repo: Path, packages: dict[str, dict[str, str]]) -> Path:
    path = repo / CACHE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".tmp")
    payload = {"comment": "Licenses of the pinned dependencies, from the package index. "
                          "Refresh with 'microgate licenses refresh'.",
               "packages": dict(sorted(packages.items()))}
    scratch.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    scratch.replace(path)
    return path


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
    entry = {"license": spdx or "UNKNOWN", "source": source}
    if not spdx and metadata.get("License"):
        entry["declared"] = str(metadata.get("License")).strip()[:200]
    return entry


@dataclass
class RefreshReport:
    looked_up: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def refresh(repo: Path, *, index: str | None = None, lockfile: str = LOCKFILE,
            everything: bool = False) -> RefreshReport:
    """Look up the licenses of the pins not yet cached (all with ``everything``)."""
    index = index or index_url()
    policy = default_license_policy()
    pins = read_pins(repo, lockfile)
    if not pins and not (repo / lockfile).is_file():
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
