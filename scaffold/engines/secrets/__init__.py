"""Secret scanning: detect-secrets as the engine, made fast and safe on any file.

detect-secrets spends most of its time calling every plugin and every filter on every
line through its dependency-injection layer. Here each plugin's own regexes first run
over the whole file text at once (in C); only the lines where some plugin could match
go through detect-secrets' real pipeline (plugins, then its filters, with the same
context), so the findings are the same and most lines cost nothing. The line filters
run after the plugins instead of before, which also defuses ``is_indirect_reference``'s
slow regex on long lines: it now runs only on lines that hold a candidate secret.
"""

from __future__ import annotations

import io
import json
import math
import re
import sys
import types
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache, total_ordering
from pathlib import Path

from scaffold.engines.secrets.judge import (
    credential_name,
    digest_reason,
    embedded_reason,
    entropy_reason,
    generic_reason,
    placeholder_reason,
)
from scaffold.engines.secrets.rules import RuleMatcher, RuleSet, parse_rules, read_rule_file
from scaffold.errors import MicrogateError
from scaffold.records import FrozenRecord
from scaffold.resources import load_policy, policy_file

TYPE_CHECKING = False  # typing costs a hook ~4 ms to import; mypy reads it as True
if TYPE_CHECKING:
    from typing import Any

BASELINE_FILE = ".secrets.baseline"
PRAGMA = "# pragma: allowlist secret"
DEFAULT_RULES = "secrets/rules.toml"
# The markers that say "this line's secret is known and accepted": detect-secrets' and
# gitleaks' own, so files already annotated for either tool need nothing new.
ALLOW_MARKERS = ("pragma: allowlist secret", "gitleaks:allow", "betterleaks:allow")
NEXT_LINE_MARKER = "pragma: allowlist nextline secret"
# detect-secrets' findings judged as generic (context or entropy), not by a token format.
GENERIC_TYPES = {"Secret Keyword", "Base64 High Entropy String", "Hex High Entropy String"}
# detect-secrets plugins that only add noise beside the rules (a public IP is not a secret).
UNUSED_PLUGINS = {"IPPublicDetector"}

BINARY_SNIFF_BYTES = 8192


BINARY_NOTE = "binary, not scanned"


def decode_text(data: bytes) -> str | None:
    """The text of a file in any common encoding, or None for binary data.

    UTF-16 and UTF-32 are read by their byte-order mark (or, for UTF-16 without one, by
    its telltale zero bytes); other text that is not UTF-8 is read as Latin-1, which maps
    every byte, so no secret hides behind an encoding. Data with zero bytes that is none
    of these is binary.
    """
    for bom, codec in ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
                       (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"),
                       (b"\xef\xbb\xbf", "utf-8")):
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(codec)
            except UnicodeDecodeError:
                break
    head = data[:BINARY_SNIFF_BYTES]
    if b"\0" in head:
        even, odd = head[0::2], head[1::2]
        for zeros, codec in ((odd, "utf-16-le"), (even, "utf-16-be")):
            if len(zeros) > 8 and zeros.count(0) > 0.9 * len(zeros):
                try:
                    return data.decode(codec)
                except UnicodeDecodeError:
                    pass
        # A few zero bytes in otherwise printable text (a pasted log, a padded config):
        # still text. Mostly unprintable: binary.
        printable = sum(32 <= byte < 127 or byte in (9, 10, 13) for byte in head)
        if printable < 0.9 * len(head):
            return None
        data = data.replace(b"\0", b" ")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# Plain classes, not dataclasses: every commit's secrets hook imports them, and the
# dataclasses module would cost it ~7 ms to start (see scaffold/findings.py).
@total_ordering
class SecretFinding:
    """A secret in a file. Equal, hashed and ordered by where it is and its type only."""

    __slots__ = ("path", "line", "type", "hashed_secret", "rule_id", "aliases")

    def __init__(self, path: str, line: int, type: str, hashed_secret: str,
                 rule_id: str = "", aliases: tuple[str, ...] = ()) -> None:
        self.path = path
        self.line = line
        self.type = type
        self.hashed_secret = hashed_secret
        self.rule_id = rule_id
        # detect-secrets' hashes of the same secret (it hashes some tokens' prefix only).
        self.aliases = aliases

    def _key(self) -> tuple[str, int, str]:
        return (self.path, self.line, self.type)

    def __eq__(self, other: object) -> bool:
        return type(other) is SecretFinding and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __lt__(self, other: SecretFinding) -> bool:
        return self._key() < other._key()

    def __repr__(self) -> str:
        return f"SecretFinding({self.path!r}, {self.line}, {self.type!r})"


class DroppedCandidate:
    """A string a rule or plugin proposed and the precision filters rejected."""

    __slots__ = ("line", "rule", "reason", "hashed_secret")

    def __init__(self, line: int, rule: str, reason: str, hashed_secret: str) -> None:
        self.line = line
        self.rule = rule
        self.reason = reason
        self.hashed_secret = hashed_secret


class ScanReport:
    __slots__ = ("findings", "notes", "files_scanned")

    def __init__(self) -> None:
        self.findings: list[SecretFinding] = []
        self.notes: list[str] = []
        self.files_scanned = 0


class SecretsPolicy(FrozenRecord):
    """policies/secrets.yaml: which rule files, which rules off, what is not a secret."""

    __slots__ = ("rule_files", "disabled_rules", "max_file_bytes", "not_secrets")

    def __init__(self, rule_files: tuple[Path, ...], disabled_rules: frozenset[str],
                 max_file_bytes: int,
                 not_secrets: tuple[tuple[str, re.Pattern[str]], ...] = ()) -> None:
        self.rule_files = rule_files
        self.disabled_rules = disabled_rules
        self.max_file_bytes = max_file_bytes
        self.not_secrets = not_secrets

    def is_known_non_secret(self, secret_type: str, line: str) -> bool:
        return any(kind in (secret_type, "*") and pattern.search(line)
                   for kind, pattern in self.not_secrets)


@cache
def default_secrets_policy() -> SecretsPolicy:
    path = policy_file("secrets.yaml")
    try:
        raw = load_policy("secrets.yaml")
        rule_files = tuple(path.parent / str(name) for name in raw.get("rule_files") or [])
        disabled = frozenset(str(rule) for rule in raw.get("disabled_rules") or [])
        not_secrets = tuple((str(entry["type"]), re.compile(str(entry["line"])))
                            for entry in raw.get("not_secrets") or [])
        return SecretsPolicy(rule_files, disabled, int(raw.get("max_file_bytes", 10_000_000)),
                             not_secrets)
    except (MicrogateError, KeyError, TypeError, ValueError, AttributeError, re.error) as exc:
        raise MicrogateError(f"{path}: the secrets policy is not valid: {exc}") from None


def load_rules(policy: SecretsPolicy) -> RuleSet:
    """The rule files the policy names, merged in order, without the disabled rules."""
    ruleset = RuleSet()
    for path in policy.rule_files:
        ruleset.add(_cached_rule_file(path))
    ruleset.disabled |= policy.disabled_rules
    return ruleset


def _cached_rule_file(path: Path) -> RuleSet:
    from scaffold.resources import policies_dir

    def default() -> RuleSet:
        return _cached_rule_file(policies_dir() / DEFAULT_RULES)

    try:
        relative = path.resolve().relative_to(policies_dir().resolve())
    except (OSError, ValueError):
        return read_rule_file(path, default)
    # A policy's rules come through the policy cache: no TOML parser on a commit, and
    # once a version of the file has been checked whole (every regex compiled), its
    # rules compile only when a file holds their keywords.
    from scaffold.engines.secrets import rules
    from scaffold.parsecache import cached

    raw = load_policy(relative.as_posix())

    def checked_whole() -> bool:  # raises InvalidRules, which is never kept
        parse_rules(raw, str(path), default, path.parent, validate=True)
        return True

    try:
        cached("secrets-rules-checked", path.read_bytes(), checked_whole,
               code=(__file__, rules.__file__))
    except OSError:
        checked_whole()
    return parse_rules(raw, str(path), default, path.parent, validate=False)


# A marker appended to a prefilter pattern that must run on the lowercased text.
LOWERCASED_TEXT = "(?#lowercased)"
VERIFICATION_FILTER = "detect_secrets.filters.common.is_ignored_due_to_verification_policies"


@contextmanager
def _without_requests() -> Iterator[None]:
    """Import detect-secrets without ``requests``.

    detect-secrets imports requests only to verify secrets against their services online.
    microgate turns verification off (it must work offline, and must never send a secret
    anywhere), so its modules get a stand-in whose names are inert classes; the real
    requests, half of detect-secrets' start-up time, is never loaded for them.
    """
    if "requests" in sys.modules:
        yield
        return
    stand_in = types.ModuleType("requests")
    exceptions = types.ModuleType("requests.exceptions")
    # Any name they use (in annotations, in except clauses) is a class of its own.
    for module in (stand_in, exceptions):
        module.__getattr__ = lambda name: type(name, (OSError,), {})  # type: ignore[method-assign]
    stand_in.exceptions = exceptions  # type: ignore[attr-defined]
    sys.modules["requests"] = stand_in
    try:
        yield
    finally:
        if sys.modules.get("requests") is stand_in:
            del sys.modules["requests"]


def _safe_to_transform(text: str, filename: str) -> bool:
    if not filename.endswith((".yaml", ".yml")):
        return True
    import yaml

    from scaffold import yamlio

    if "&" not in text and text.count("[") + text.count("{") < yamlio.MAX_DEPTH:
        return True
    try:
        yamlio.load(text)
    except yamlio.InvalidYaml as exc:
        return "expands" not in str(exc) and "nested" not in str(exc) \
            and "refers to itself" not in str(exc)
    except yaml.YAMLError:
        return True
    return True


def _sha1(secret: str) -> str:
    """detect-secrets' hash of a secret (hashlib is imported only when one is found)."""
    import hashlib

    return hashlib.sha1(secret.encode("utf-8")).hexdigest()  # noqa: S324


class _NamedText(io.StringIO):
    """A text buffer with a name, as detect-secrets' transformers expect of a file."""

    def __init__(self, text: str, name: str) -> None:
        super().__init__(text, newline=None)
        self.name = name


# Lookarounds only narrow a match: without them a prefilter finds a superset of the lines.
LOOKAROUND = re.compile(r"^\(\?:\(\?<=\\W\)\|\(\?<=\^\)\)|\(\?!\\w\)$")


def _in_re2(pattern: re.Pattern[str]) -> Any:
    """The same prefilter run by RE2 (linear, no backtracking), when RE2 can run it."""
    import re2

    if pattern.pattern.endswith(LOWERCASED_TEXT):
        return pattern
    source = LOOKAROUND.sub("", pattern.pattern)
    flags = "(?i)" if pattern.flags & re.IGNORECASE else ""
    flags += "(?m)" if pattern.flags & re.MULTILINE else ""
    from scaffold.engines.secrets.rules import re2_options

    try:
        return re2.compile(flags + source, re2_options())
    except re2.error:
        return pattern


def _prefilter_patterns(plugin: Any) -> list[re.Pattern[str]] | None:
    """Regexes that match wherever ``plugin`` could report; None means 'any line'."""
    from detect_secrets.plugins.base import RegexBasedDetector
    from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin
    from detect_secrets.plugins.keyword import DENYLIST, KeywordDetector

    if isinstance(plugin, KeywordDetector):
        # Its keywords are lowercase: matched case-sensitively on lowercased text (below),
        # which is faster than IGNORECASE.
        return [re.compile("(?:" + "|".join(DENYLIST) + ")" + LOWERCASED_TEXT)]
    elif isinstance(plugin, HighEntropyStringsPlugin):
        # A string's entropy is at most log2 of its length, so a quoted string shorter
        # than 2**limit characters can never pass the plugin's entropy test.
        shortest = max(1, math.ceil(2**plugin.entropy_limit))
        charset = re.escape(plugin.charset)
        sources = [re.compile(rf"(['\"])([{charset}]{{{shortest},}})(\1)")]
    elif isinstance(plugin, RegexBasedDetector):
        sources = list(plugin.denylist)
    else:
        return None
    patterns = []
    for pattern in sources:
        source = pattern.pattern
        if "\\A" in source or "\\Z" in source:
            return None
        anchored = "^" in source or "$" in source
        leading_boundary = source.startswith("\\b")
        if not anchored and not leading_boundary:
            patterns.append(pattern)
            continue
        # A leading \b only narrows a match (dropping it keeps a superset) but stops the
        # regex engine from scanning for the literal that follows.
        if leading_boundary:
            source = source[2:]
        # Per line, ^ and $ mean the line's ends: keep that meaning over the whole text.
        patterns.append(re.compile(source, pattern.flags | re.MULTILINE))
    return patterns


DETECT_SECRETS_VERSION = "1.5.0"  # pyproject.toml's pin


def _refuse_other_detect_secrets() -> None:
    """checkov brings its fork of detect-secrets (bc-detect-secrets), which installs over
    it under the same name, with other plugins and transformers: microgate's rules are
    measured against 1.5.0, so beside the fork the check does not run rather than judge
    differently."""
    from detect_secrets.__version__ import VERSION

    if VERSION != DETECT_SECRETS_VERSION:
        from scaffold.errors import ToolMissing

        fork = " (checkov's fork, installed with checkov)" if VERSION.startswith("1.5.") else ""
        raise ToolMissing(
            f"detect-secrets {VERSION}{fork} is installed here, not {DETECT_SECRETS_VERSION}: "
            "install microgate where checkov is not (`microgate check` runs checkov in an "
            "environment of its own)")


def _load_detect_secrets() -> list[Any]:
    """detect-secrets' plugins, most specific first, set up as microgate runs them."""
    with _without_requests():
        from detect_secrets.core import scan  # noqa: F401 - loaded here, used later
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
        from detect_secrets.settings import (
            configure_settings_from_baseline,
            get_filters,
            get_plugins,
        )
        from detect_secrets.transformers import get_transformed_file  # noqa: F401
        from detect_secrets.util import code_snippet  # noqa: F401

        _refuse_other_detect_secrets()
        plugin_classes: dict[str, type] = get_mapping_from_secret_type_to_class()
        plugin_types = [plugin_type for plugin_type in plugin_classes.values()
                        if plugin_type.__name__ not in UNUSED_PLUGINS]
        configure_settings_from_baseline({
            "plugins_used": [{"name": plugin_type.__name__} for plugin_type in plugin_types],
        })
        # Never verify a secret online (detect-secrets' --no-verify).
        from detect_secrets.settings import get_settings

        get_settings().disable_filters(VERIFICATION_FILTER)
        get_plugins.cache_clear()
        get_filters()  # loads the filter modules while the stand-in is in place
        builtin_plugins = list(get_plugins())
    # Most specific first, since a secret is reported under the first plugin's name:
    # detect-secrets' pattern detectors, then its keyword and entropy ones.
    from detect_secrets.plugins.base import RegexBasedDetector

    return sorted(builtin_plugins, key=lambda p: not isinstance(p, RegexBasedDetector))


def _cached_prefilter_sources(scanner: SecretScanner) -> list[tuple[str, int]] | None:
    """The prefilters of detect-secrets' plugins as (regex, flags); None: every line.

    Through the parse cache, keyed by the installed detect-secrets, so that knowing which
    lines could hold a plugin's secret costs no import of detect-secrets.
    """
    from scaffold.parsecache import cached

    def sources() -> list[list[str | int]] | None:
        found: list[list[str | int]] = []
        for plugin in scanner.plugins:
            patterns = _prefilter_patterns(plugin)
            if patterns is None:
                return None
            found += [[pattern.pattern, int(pattern.flags)] for pattern in patterns]
        return found

    value = cached("detect-secrets-prefilters", repr(sorted(UNUSED_PLUGINS)).encode(),
                   sources, code=(__file__,), libraries=("detect_secrets",))
    return None if value is None else [(str(source), int(flags)) for source, flags in value]


# Files detect-secrets reads through a transformer (which may quote a bare value), and
# bare values its eager transformers could quote (in the entropy plugins' alphabets):
# these go through its pipeline even when no prefilter matches the raw text.
TRANSFORMED_SUFFIXES = (".yaml", ".yml", ".ini", ".cfg", ".conf", ".properties", ".env",
                        ".toml")
BARE_VALUE = r"(?m)^[ \t]*[A-Za-z_][\w.-]*[ \t]*[=:][ \t]*[A-Za-z0-9+/=_-]{16,}[ \t]*$"


class SecretScanner:
    """Scans files with microgate's rules and detect-secrets' plugins and filters."""

    def __init__(self, policy: SecretsPolicy | None = None) -> None:
        self.policy = policy or default_secrets_policy()
        self.rules = load_rules(self.policy)
        self.matcher = RuleMatcher(self.rules)
        # detect-secrets is loaded only for a file where one of its plugins could report
        # (its prefilters are cached, so a commit of ordinary code never imports it).
        self._plugins: list[Any] | None = None
        self._scan_every_line = False
        self._sources = _cached_prefilter_sources(self)
        self._compiled_prefilters: list[Any] | None = None
        self._presence: Any = None
        if self._sources is None:
            self._scan_every_line = True
        else:
            self._presence = _presence_set(self._sources)

    @property
    def _prefilters(self) -> list[Any]:
        if self._compiled_prefilters is None:
            self._compiled_prefilters = [_in_re2(re.compile(source, flags))
                                         for source, flags in self._sources or []]
        return self._compiled_prefilters

    @property
    def plugins(self) -> list[Any]:
        if self._plugins is None:
            self._plugins = _load_detect_secrets()
        return self._plugins

    def candidate_lines(self, lines: list[str]) -> set[int]:
        """1-based numbers of the lines on which some plugin could report a secret."""
        if self._scan_every_line:
            return set(range(1, len(lines) + 1))
        stripped = [line.rstrip() for line in lines]
        text = "\n".join(stripped)
        lowered: str | None = None
        # where each line starts in the text (a transformer's line may hold a newline)
        starts, offset = [], 0
        for line in stripped:
            starts.append(offset)
            offset += len(line) + 1
        found: set[int] = set()
        for pattern in self._prefilters:
            subject = text
            if pattern.pattern.endswith(LOWERCASED_TEXT):
                # str.lower() can change a string's length (e.g. 'İ'); then stay exact.
                lowered = lowered if lowered is not None else text.lower()
                if len(lowered) == len(text):
                    subject = lowered
                else:
                    pattern = re.compile(pattern.pattern, re.IGNORECASE)
            for match in pattern.finditer(subject):
                first = bisect_right(starts, match.start())
                last = bisect_right(starts, max(match.end() - 1, match.start()))
                found.update(range(first, last + 1))
        return found

    def _secrets_in_lines(self, lines: list[str], filename: str) -> Iterator[Any]:
        """detect-secrets' own line pipeline, restricted to the candidate lines."""
        from detect_secrets.core.scan import _is_filtered_out, _scan_line
        from detect_secrets.util.code_snippet import get_code_snippet

        candidates = self.candidate_lines(lines)
        for line_number in sorted(candidates):
            line = lines[line_number - 1].rstrip()
            context = get_code_snippet(lines=lines, line_number=line_number)
            secrets = [
                secret
                for plugin in self.plugins
                for secret in _scan_line(plugin=plugin, filename=filename, line=line,
                                         line_number=line_number, context=context)
                if not _is_filtered_out(
                    required_filter_parameters=["context"], filename=secret.filename,
                    secret=secret.secret_value, plugin=plugin, line=line, context=context,
                )
            ]
            if secrets and not _is_filtered_out(
                required_filter_parameters=["line"], filename=filename, line=line,
                context=context,
            ):
                yield from secrets

    def _needs_detect_secrets(self, text: str, filename: str) -> bool:
        if self._scan_every_line or filename.lower().endswith(TRANSFORMED_SUFFIXES):
            return True
        if _bare_value().search(text):
            return True
        if self._presence is not None:
            if "--hash=sha256:" in text:
                # A lockfile's hashes (64 hex digits each, ~13 KB a lockfile) hold no
                # plugin's match but keep RE2's set busy for ~6 ms: blank them for this
                # yes/no question only; the scan itself reads the text as it is.
                text = PIP_HASH.sub(lambda found: " " * len(found.group()), text)
            return bool(self._presence.Match(text))
        return bool(self.candidate_lines(text.splitlines(keepends=True)))

    def scan_text(self, text: str, filename: str, real_path: str | None = None) -> list[Any]:
        """Secrets in ``text``, read the way detect-secrets reads a file."""
        if not self._needs_detect_secrets(text, filename):
            return []
        self.plugins  # noqa: B018 - loads detect-secrets
        from detect_secrets.core.scan import _is_filtered_out
        from detect_secrets.transformers import get_transformed_file

        # detect-secrets' filename filters test the file on disk: give them its real path.
        if real_path and _is_filtered_out(required_filter_parameters=["filename"],
                                          filename=real_path):
            return []

        if not _safe_to_transform(text, filename):
            # detect-secrets' YAML reader would expand an alias bomb or overflow the stack
            # on deep nesting: read the file line by line instead.
            return list(self._secrets_in_lines(_NamedText(text, filename).readlines(),
                                               filename))
        named = _NamedText(text, filename)
        lines = get_transformed_file(named) or _NamedText(  # type: ignore[arg-type]
            text, filename
        ).readlines()
        secrets = list(self._secrets_in_lines(lines, filename))
        if secrets:
            return secrets
        eager = get_transformed_file(_NamedText(text, filename),  # type: ignore[arg-type]
                                     use_eager_transformers=True)
        return list(self._secrets_in_lines(eager, filename)) if eager else []

    def scan_file(self, path: Path, display: str) -> tuple[list[SecretFinding], str | None]:
        """Findings in one file, or a note saying why it was skipped."""
        from scaffold.safefiles import SkippedFile, read_bytes

        if path.is_symlink():
            return [], f"{display}: skipped (a symbolic link; its target is checked on its own)"
        try:
            data = read_bytes(path.parent, path.name, max_bytes=self.policy.max_file_bytes,
                              display=display)
        except FileNotFoundError:
            return [], None
        except SkippedFile as exc:
            return [], str(exc)
        text = decode_text(data)
        if text is None:
            return [], f"{display}: {BINARY_NOTE}"
        return self.findings_in_text(text, display, real_path=str(path)), None

    def findings_in_text(self, text: str, display: str,
                         dropped: list[DroppedCandidate] | None = None,
                         real_path: str | None = None) -> list[SecretFinding]:
        """The secrets of one file's text: the rules' first, then detect-secrets' plugins'.

        Every candidate goes through the precision filters of :mod:`judge`; a secret both
        find is reported once, under its rule's name. Candidates the filters reject are
        added to ``dropped`` with the reason, when it is given.
        """
        lines = text.splitlines()
        plugin_secrets: dict[int, list[Any]] = {}
        for secret in self.scan_text(text, display, real_path):
            plugin_secrets.setdefault(secret.line_number, []).append(secret)

        def line_at(number: int) -> str:
            return lines[number - 1] if 0 < number <= len(lines) else ""

        def accepted(number: int) -> bool:
            return any(marker in line_at(number) for marker in ALLOW_MARKERS) or \
                NEXT_LINE_MARKER in line_at(number - 1)

        findings: dict[tuple[int, str], SecretFinding] = {}
        merged: set[int] = set()
        reported_on_line: dict[int, list[str]] = {}
        for match in self.matcher.matches(text, display):
            # Rules come specific first: a generic rule's view of a secret a provider's
            # rule already reported (the same value, or a part of it) is the same finding.
            if match.rule.generic and any(
                    match.secret in known or known in match.secret
                    for known in reported_on_line.get(match.line_number, [])):
                continue
            if "generic-url" in match.rule.tags:
                reason = _url_password_reason(match.secret)
            elif match.rule.generic:
                name = "password" if "password" in match.rule.tags else credential_name(
                    match.match, match.secret)
                reason = generic_reason(match.secret, match.line, name)
            else:
                reason = placeholder_reason(match.secret)
            reason = reason or digest_reason(match.secret, match.line)
            if accepted(match.line_number):
                reason = "marked as not a secret on the line"
            if reason:
                if dropped is not None:
                    digest = _sha1(match.secret)
                    dropped.append(DroppedCandidate(match.line_number, match.rule.id, reason,
                                                    digest))
                continue
            kind = match.rule.description.split(" (", 1)[0]
            if self.policy.not_secrets and self.policy.is_known_non_secret(kind, match.line):
                continue
            digest = _sha1(match.secret)
            # detect-secrets' own finding of the same secret: its hash keeps baselines made
            # by detect-secrets (or earlier microgate) valid for this finding.
            aliases = []
            for secret in plugin_secrets.get(match.line_number, []):
                value = secret.secret_value or ""
                if value and (value in match.secret or match.secret in value):
                    aliases.append(secret.secret_hash)
                    merged.add(id(secret))
            findings.setdefault((match.line_number, digest), SecretFinding(
                display, match.line_number, kind, digest, match.rule.id, tuple(aliases)))
            reported_on_line.setdefault(match.line_number, []).append(match.secret)
        for number, secrets in plugin_secrets.items():
            line = line_at(number)
            for secret in secrets:
                if id(secret) in merged:
                    continue
                value = secret.secret_value or ""
                if secret.type == "Secret Keyword":
                    reason = generic_reason(value, line, credential_name(line, value))
                elif secret.type in GENERIC_TYPES:
                    reason = entropy_reason(value, line, credential_name(line, value))
                elif secret.type == "Basic Auth Credentials":
                    reason = _url_password_reason(value)
                elif secret.type == "Private Key":
                    reason = _private_key_reason(lines, number)
                else:
                    token = self._whole_token(secret, line)
                    reason = placeholder_reason(token) or embedded_reason(token, line)
                reason = reason or digest_reason(secret.secret_value or "", line)
                if accepted(number):
                    reason = "marked as not a secret on the line"
                if reason:
                    if dropped is not None:
                        dropped.append(DroppedCandidate(number, secret.type, reason,
                                                        secret.secret_hash))
                    continue
                if self.policy.not_secrets and self.policy.is_known_non_secret(secret.type,
                                                                               line):
                    if dropped is not None:
                        dropped.append(DroppedCandidate(number, secret.type, "policy not_secrets",
                                                        secret.secret_hash))
                    continue
                findings.setdefault((number, secret.secret_hash), SecretFinding(
                    display, number, secret.type, secret.secret_hash, _plugin_id(secret.type)))
        # One finding per line and kind: a line with two keys of one kind is one fix.
        unique: dict[tuple[int, str], SecretFinding] = {}
        for finding in findings.values():
            kept = unique.setdefault((finding.line, finding.type), finding)
            if kept is not finding and dropped is not None:
                dropped.append(DroppedCandidate(finding.line, finding.type,
                                                "reported once per line and kind",
                                                finding.hashed_secret))
        return sorted(unique.values())

    def _whole_token(self, secret: Any, line: str) -> str:
        """The whole token a pattern plugin matched (some report only its prefix group)."""
        value = secret.secret_value or ""
        for plugin in self.plugins:
            if getattr(plugin, "secret_type", None) != secret.type:
                continue
            for pattern in getattr(plugin, "denylist", ()):
                for found in pattern.finditer(line):
                    whole = str(found.group(0))
                    if value in whole:
                        return whole
        return value


def _private_key_reason(lines: list[str], number: int) -> str | None:
    """Why a ``BEGIN ... PRIVATE KEY`` line holds no key: no body, or a stub of one."""
    body = 0
    for line in [lines[number - 1].split("PRIVATE KEY-----", 1)[-1]] + lines[number:number + 200]:
        if "-----END" in line:
            body += len(re.sub(r"[^A-Za-z0-9+/=]", "", line.split("-----END", 1)[0]))
            break
        body += len(re.sub(r"[^A-Za-z0-9+/=]", "", line))
    else:
        return "a private key header with no key block after it"
    return "a private key header with no key after it" if body < 64 else None


# As pip-compile writes it: after a space or a line break, before one or a backslash, so
# that no plugin's pattern can start before a hash and end in it (or the other way).
PIP_HASH = re.compile(r"(?:(?<=\s)|^)--hash=sha256:[0-9a-f]{64}(?=\s|\\|$)", re.MULTILINE)


def _presence_set(sources: list[tuple[str, int]]) -> Any:
    """One RE2 set that matches wherever some prefilter could: each prefilter widened to
    what RE2 runs (lookarounds and back-references dropped), so a miss is certain. None
    when one cannot be widened: then every file is checked exactly."""
    import re2

    from scaffold.engines.secrets.rules import re2_options
    from scaffold.parsecache import cached

    presence = re2.Set.SearchSet(re2_options())
    # The widening is pure and the same every commit: kept in the parse cache.
    widened = cached("secrets-presence", json.dumps(sources).encode(),
                     lambda: [_widened(source, flags) for source, flags in sources],
                     code=(__file__,))
    for pattern in widened:
        try:
            presence.Add(pattern)
        except re2.error:
            return None
    presence.Compile()
    return presence


def _widened(source: str, flags: int) -> str:
    wide = LOOKAROUND.sub("", source.replace(LOWERCASED_TEXT, ""))
    wide = re.sub(r"\(\?!(?:[^()]|\([^()]*\))*\)", "", wide)
    wide = wide.replace("(\\1)", "(['\"])")
    wide = re.sub(r"\{(\d+),\d{4,}\}", r"{\1,}", wide)  # RE2 counts up to 1000
    prefix = "(?i)" if flags & re.IGNORECASE or LOWERCASED_TEXT in source else ""
    prefix += "(?m)" if flags & re.MULTILINE else ""
    return prefix + wide


@cache
def _bare_value() -> Any:
    import re2

    from scaffold.engines.secrets.rules import re2_options

    return re2.compile(BARE_VALUE, re2_options())


def _url_password_reason(password: str) -> str | None:
    from urllib.parse import unquote

    value = unquote(password)
    if placeholder_reason(value) or value.lower() in URL_PASSWORD_PLACEHOLDERS or \
            value.startswith(("$", "{", "%", "<", "[")) or len(set(value)) < 3:
        return "a placeholder password"
    return None


URL_PASSWORD_PLACEHOLDERS = {"password", "pass", "passwd", "pwd", "secret", "pw", "user",
                             "username", "admin", "root", "test", "guest", "changeme", "xxx",
                             "token", "mypassword", "yourpassword", "postgres", "mysql"}


def _plugin_id(secret_type: str) -> str:
    return "detect-secrets-" + re.sub(r"[^a-z0-9]+", "-", secret_type.lower()).strip("-")


def scan_paths(repo: Path, names: Iterable[str], scanner: SecretScanner | None = None,
               processes: int = 1) -> ScanReport:
    """Scan ``names`` (paths relative to ``repo``); in parallel when ``processes`` > 1."""
    names = list(names)
    report = ScanReport()
    if processes > 1 and len(names) > 200:
        import multiprocessing

        global _WORKER
        _WORKER = (scanner or SecretScanner(), repo)
        context = multiprocessing.get_context("fork")
        with context.Pool(processes) as pool:
            results = list(pool.imap(_scan_one, names, chunksize=64))
    else:
        scanner = scanner or SecretScanner()
        results = [scanner.scan_file(repo / name, name) for name in names]
    binary: list[str] = []
    for findings, note in results:
        report.findings.extend(findings)
        if note and note.endswith(BINARY_NOTE):
            binary.append(note.split(": ", 1)[0])
        elif note:
            report.notes.append(note)
    if binary:
        report.notes.append(
            f"{len(binary)} binary file{'s' if len(binary) > 1 else ''} not scanned for "
            f"secrets ({', '.join(binary[:3])}{', ...' if len(binary) > 3 else ''})")
    report.files_scanned = len(names)
    return report


_WORKER: tuple[SecretScanner, Path] | None = None


def _scan_one(name: str) -> tuple[list[SecretFinding], str | None]:
    assert _WORKER is not None
    scanner, repo = _WORKER
    return scanner.scan_file(repo / name, name)


# -- baseline ---------------------------------------------------------------------------


def read_baseline(repo: Path) -> set[tuple[str, str]]:
    """(file, hashed secret) of every secret the baseline already accepts, whatever its type."""
    path = repo / BASELINE_FILE
    if not path.exists():
        return set()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {
            (filename, entry["hashed_secret"])
            for filename, entries in data.get("results", {}).items()
            for entry in entries
        }
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        raise MicrogateError(
            f"{BASELINE_FILE} is not a valid detect-secrets baseline; restore it from git or "
            "recreate it with 'microgate secrets baseline'"
        ) from None


def write_baseline(repo: Path, findings: list[SecretFinding]) -> Path:
    """Write the baseline (detect-secrets' format) accepting exactly ``findings``."""
    import datetime as dt

    from detect_secrets.__version__ import VERSION
    from detect_secrets.settings import get_settings

    results: dict[str, list[dict[str, Any]]] = {}
    for finding in sorted(findings):
        results.setdefault(finding.path, []).append({
            "type": finding.type,
            "filename": finding.path,
            "hashed_secret": finding.hashed_secret,
            "is_verified": False,
            "line_number": finding.line,
        })
    settings = get_settings().json()
    baseline = {
        "version": VERSION,
        "plugins_used": settings["plugins_used"],
        "filters_used": settings["filters_used"],
        "results": results,
        "generated_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    path = repo / BASELINE_FILE
    path.write_text(json.dumps(baseline, indent=2) + "\n", encoding="utf-8")
    return path


def new_findings(report: ScanReport, accepted: set[tuple[str, str]]) -> list[SecretFinding]:
    return [f for f in report.findings
            if not any((f.path, digest) in accepted for digest in (f.hashed_secret, *f.aliases))]
