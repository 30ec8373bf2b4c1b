"""Licenses of an app's pinned dependencies, judged against the platform's policy.

The licenses are normalised to SPDX and kept in a cache file committed in the repo, so
the check on a commit needs no network; ``scaffold.engines.licenseindex`` fills the cache from
the package index (``microgate licenses refresh``, also run by ``microgate lock``).
"""

from __future__ import annotations

import fnmatch
import json
import re
from functools import cache
from pathlib import Path

from scaffold.errors import MicrogateError
from scaffold.records import FrozenRecord
from scaffold.resources import load_policy, policy_file

TYPE_CHECKING = False  # typing costs a hook ~4 ms to import; mypy reads it as True
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, Literal

    Status = Literal["allow", "review", "deny"]
else:
    Status = str

CACHE_FILE = ".microgate/licenses.json"
LOCKFILE = "requirements.txt"
RANK: dict[str, int] = {"allow": 0, "review": 1, "deny": 2}
LICENSE_ID = re.compile(r"[A-Za-z0-9.+-]+")


# Plain classes, not dataclasses: the hook's start-up (see scaffold/findings.py).
class LicensePolicy:
    """policies/licenses.yaml, narrowed by the repo's own [tool.microgate.licenses]."""

    __slots__ = ("allow", "review", "deny", "unknown", "aliases", "classifiers", "reviewed",
                 "repo_deny", "repo_review")

    def __init__(self, allow: tuple[str, ...], review: tuple[str, ...],
                 deny: tuple[str, ...], unknown: Status,
                 aliases: dict[str, str] | None = None,
                 classifiers: dict[str, str] | None = None,
                 reviewed: frozenset[str] = frozenset(), repo_deny: tuple[str, ...] = (),
                 repo_review: tuple[str, ...] = ()) -> None:
        self.allow = allow
        self.review = review
        self.deny = deny
        self.unknown: Status = unknown
        self.aliases = aliases or {}
        self.classifiers = classifiers or {}
        self.reviewed = reviewed
        # A repo's own narrowing, applied after the platform's verdict: it can only
        # tighten it.
        self.repo_deny = repo_deny
        self.repo_review = repo_review

    def status_of(self, license_id: str) -> Status:
        """Where a license id is listed by name, else by pattern (the strictest list
        first in each case); an id listed nowhere needs review."""
        lists: tuple[tuple[Status, tuple[str, ...]], ...] = (
            ("deny", self.deny), ("review", self.review), ("allow", self.allow))
        exact = next((status for status, names in lists if license_id in names), None)
        if exact is not None:
            verdict = exact
        else:
            verdict = next((status for status, patterns in lists
                            if _matches(license_id, patterns)), "review")
        if _matches(license_id, self.repo_deny):
            return "deny"
        if verdict == "allow" and _matches(license_id, self.repo_review):
            return "review"
        return verdict

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
        return LicensePolicy(self.allow, self.review, self.deny, self.unknown, self.aliases,
                             self.classifiers, reviewed=frozenset(strings("reviewed")),
                             repo_deny=strings("deny"), repo_review=strings("review"))


def _matches(license_id: str, patterns: Iterable[str]) -> bool:
    return any(license_id == p or fnmatch.fnmatchcase(license_id, p) for p in patterns)


def load_license_policy(path: Path, raw: Any = None) -> LicensePolicy:
    try:
        if raw is None:
            from scaffold import yamlio

            raw = yamlio.load(path.read_text(encoding="utf-8"))
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
    except (OSError, AttributeError, TypeError, ValueError) as exc:
        # (yamlio turns a YAML error into InvalidYaml, a ValueError.)
        raise MicrogateError(f"{path}: the license policy is not valid: {exc}") from None


@cache
def default_license_policy() -> LicensePolicy:
    # Through the policy cache: no YAML parser on a commit when the policy is unchanged.
    return load_license_policy(policy_file("licenses.yaml"), load_policy("licenses.yaml"))


def repo_license_policy(repo: Path, base: LicensePolicy | None = None) -> LicensePolicy:
    policy = base or default_license_policy()
    pyproject = repo / "pyproject.toml"
    if not pyproject.is_file():
        return policy
    try:
        from scaffold import tomlio

        data = tomlio.load(pyproject.read_text(encoding="utf-8"))
    except ValueError as exc:  # not UTF-8, or tomllib's TOMLDecodeError
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
    if LICENSE_ID.fullmatch(expression):
        return policy.status_of(expression)
    # Ids joined by one operator ("MIT OR Apache-2.0"), most compound licenses, need no
    # parser (license_expression costs a hook ~20 ms to import): precedence only matters
    # where AND and OR mix, and parentheses or WITH go to the parser.
    words = expression.split(" ")
    operators = set(words[1::2])
    if (len(words) % 2 and operators in ({"AND"}, {"OR"})
            and all(LICENSE_ID.fullmatch(word) for word in words[::2])):
        statuses = [policy.status_of(word) for word in words[::2]]
        pick = min if operators == {"OR"} else max
        return pick(statuses, key=RANK.__getitem__)
    return evaluate_parsed(expression, policy)


def evaluate_parsed(expression: str, policy: LicensePolicy) -> Status:
    """:func:`evaluate` through license_expression's parser, whatever the expression."""
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


class Pin(FrozenRecord):
    """One ``name==version`` of a lockfile, and its line."""

    __slots__ = ("name", "version", "line")

    def __init__(self, name: str, version: str, line: int) -> None:
        self.name = name
        self.version = version
        self.line = line

    @property
    def key(self) -> str:
        return f"{self.name}=={self.version}"


def read_pins(repo: Path, lockfile: str = LOCKFILE) -> list[Pin]:
    from scaffold.checks.pins import canonical_name, logical_lines
    from scaffold.engines.deps.lockfiles import PIN_LINE, TOML_LOCKFILE, read_pinned

    if TOML_LOCKFILE.search(lockfile):
        pinned, _ = read_pinned(repo, [lockfile])
        return [Pin(package.name, package.version, package.line) for package in pinned]

    path = repo / lockfile
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError):
        raise MicrogateError(f"{lockfile} cannot be read as UTF-8 text") from None
    pins = []
    for number, line in logical_lines(text):
        match = PIN_LINE.match(line)
        if match:
            pins.append(Pin(canonical_name(match.group(1)), match.group(3), number))
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
