"""Secret rules as data, in the rule format of gitleaks (and betterleaks, which extends it).

A rule file is TOML: ``[[rules]]`` with ``id``, ``description``, ``regex`` (Go RE2
syntax), ``secretGroup``, ``entropy``, ``keywords``, ``path`` and ``allowlists``
(``regexes`` with a ``regexTarget``, ``stopwords``, ``paths``, a ``condition``), plus
file-wide ``[allowlist]``/``[[allowlists]]`` and ``[extend]`` (``useDefault``, ``path``,
``disabledRules``). Keys this reader does not use (``tags``, betterleaks' ``filter`` and
``validate``) are kept out of the way: they can only make a rule report less, so ignoring
them never hides a secret.

Regexes are compiled with RE2 (google-re2), the engine Go's syntax was written for: the
rules load as their authors tested them, and a hostile file cannot make a rule run in
more than linear time. A rule is compiled the first time a file holds one of its
keywords; the keywords of every rule are matched in one pass by an RE2 set.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Mapping
from functools import cached_property
from pathlib import Path

from scaffold.errors import MicrogateError

TYPE_CHECKING = False  # typing costs a hook ~4 ms to import; mypy reads it as True
if TYPE_CHECKING:
    from typing import Any

TARGETS = ("secret", "match", "line")


class InvalidRules(MicrogateError):
    pass


# Plain classes, not dataclasses: every commit's secrets hook imports them, and the
# dataclasses module would cost it ~7 ms to start (see scaffold/findings.py).
class Allowlist:
    """What makes a match not a finding (gitleaks' allowlist)."""

    def __init__(self, description: str = "", regexes: tuple[str, ...] = (),
                 regex_target: str = "secret", stopwords: tuple[str, ...] = (),
                 paths: tuple[str, ...] = (), condition: str = "OR",
                 target_rules: tuple[str, ...] = ()) -> None:
        self.description = description
        self.regexes = regexes
        self.regex_target = regex_target
        self.stopwords = stopwords
        self.paths = paths
        self.condition = condition
        self.target_rules = target_rules

    def __repr__(self) -> str:
        return f"Allowlist({self.description!r})"

    @cached_property
    def _regexes(self) -> tuple[Any, ...]:
        return tuple(compile_go(source) for source in self.regexes)

    @cached_property
    def _paths(self) -> tuple[Any, ...]:
        return tuple(compile_go(source) for source in self.paths)

    def check(self) -> None:
        """Compile every regex now, so that a bad one fails when the file is loaded."""
        self._regexes  # noqa: B018
        self._paths  # noqa: B018

    def allows(self, secret: str, match: str, line: str, path: str) -> bool:
        checks = []
        if self.regexes:
            subject = {"secret": secret, "match": match, "line": line}[self.regex_target]
            checks.append(any(regex.search(subject) for regex in self._regexes))
        if self.stopwords:
            lowered = secret.lower()
            checks.append(any(word in lowered for word in self.stopwords))
        if self.paths:
            checks.append(any(regex.search(path) for regex in self._paths))
        if not checks:
            return False
        return all(checks) if self.condition == "AND" else any(checks)


class Rule:
    """One rule of a rule file."""

    def __init__(self, id: str, description: str, regex: str | None, secret_group: int = 0,
                 entropy: float = 0.0, keywords: tuple[str, ...] = (),
                 path: str | None = None, allowlists: tuple[Allowlist, ...] = (),
                 tags: tuple[str, ...] = (), source: str = "") -> None:
        self.id = id
        self.description = description
        self.regex = regex
        self.secret_group = secret_group
        self.entropy = entropy
        self.keywords = keywords
        self.path = path
        self.allowlists = allowlists
        self.tags = tags
        self.source = source

    def __repr__(self) -> str:
        return f"Rule({self.id!r})"

    @cached_property
    def compiled(self) -> Any:
        return compile_go(self.regex) if self.regex else None

    @cached_property
    def compiled_path(self) -> Any:
        return compile_go(self.path) if self.path else None

    @property
    def generic(self) -> bool:
        """A rule that judges context rather than a provider's own token format."""
        return "generic" in self.tags or self.id.startswith("generic")


class RuleMatch:
    """Where a rule matched: the secret, the whole match, and its line."""

    __slots__ = ("rule", "secret", "match", "line_number", "line")

    def __init__(self, rule: Rule, secret: str, match: str, line_number: int,
                 line: str) -> None:
        self.rule = rule
        self.secret = secret
        self.match = match
        self.line_number = line_number
        self.line = line


def re2_options() -> Any:
    """RE2's options, with its own logging off: errors become one-line messages here."""
    import re2

    options = re2.Options()
    options.log_errors = False
    return options


def compile_go(source: str) -> Any:
    """A Go RE2 regex, compiled by RE2."""
    import re2

    try:
        return re2.compile(source, re2_options())
    except re2.error as exc:
        raise InvalidRules(f"regex {source[:60]!r} does not compile: {exc}") from None


def shannon_entropy(text: str) -> float:
    if not text:
        return 0.0
    length = len(text)
    return -sum(count / length * math.log2(count / length) for count in Counter(text).values())


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidRules(f"{where}: expected a list of strings")
    return tuple(value)


def _allowlist(raw: Any, where: str) -> Allowlist:
    if not isinstance(raw, Mapping):
        raise InvalidRules(f"{where}: an allowlist must be a table")
    target = str(raw.get("regexTarget") or "secret")
    if target not in TARGETS:
        raise InvalidRules(f"{where}: regexTarget must be one of {', '.join(TARGETS)}")
    condition = str(raw.get("condition") or "OR").upper()
    if condition not in ("OR", "AND"):
        raise InvalidRules(f"{where}: condition must be OR or AND")
    allowlist = Allowlist(
        description=str(raw.get("description") or ""),
        regexes=_strings(raw.get("regexes"), where),
        regex_target=target,
        stopwords=tuple(word.lower() for word in _strings(raw.get("stopwords"), where)),
        paths=_strings(raw.get("paths"), where),
        condition=condition,
        target_rules=_strings(raw.get("targetRules"), where),
    )
    return allowlist


def _allowlists(raw: Mapping[str, Any], where: str) -> list[Allowlist]:
    found = []
    if raw.get("allowlist") is not None:
        found.append(_allowlist(raw["allowlist"], f"{where} allowlist"))
    entries = raw.get("allowlists") or []
    if not isinstance(entries, list):
        raise InvalidRules(f"{where}: allowlists must be an array of tables")
    for number, entry in enumerate(entries, 1):
        found.append(_allowlist(entry, f"{where} allowlists #{number}"))
    return found


def _rule(raw: Any, source: str, number: int, partial: bool = False,
          validate: bool = True) -> Rule:
    where = f"{source} rule #{number}"
    if not isinstance(raw, Mapping) or not isinstance(raw.get("id"), str) or not raw["id"]:
        raise InvalidRules(f"{where}: every rule needs an id")
    where = f"{source} rule {raw['id']!r}"
    regex, path = raw.get("regex"), raw.get("path")
    if regex is None and path is None and not partial:
        raise InvalidRules(f"{where}: a rule needs a regex or a path")
    if regex is not None and not isinstance(regex, str) or path is not None and not isinstance(
            path, str):
        raise InvalidRules(f"{where}: regex and path must be strings")
    try:
        group = int(raw.get("secretGroup") or 0)
        entropy = float(raw.get("entropy") or 0.0)
    except (TypeError, ValueError):
        raise InvalidRules(f"{where}: secretGroup and entropy must be numbers") from None
    rule = Rule(
        id=raw["id"], description=str(raw.get("description") or raw["id"]), regex=regex,
        secret_group=group, entropy=entropy,
        keywords=tuple(word.lower() for word in _strings(raw.get("keywords"), where)),
        path=path, allowlists=tuple(_allowlists(raw, where)),
        tags=_strings(raw.get("tags"), where), source=source,
    )
    if not validate:
        return rule
    compiled = rule.compiled
    if compiled is not None and group > compiled.groups:
        raise InvalidRules(f"{where}: secretGroup {group} but the regex has "
                           f"{compiled.groups} group(s)")
    if rule.path:
        rule.compiled_path  # noqa: B018 - compiles now, so a bad path fails on load
    for allowlist in rule.allowlists:
        allowlist.check()
    return rule


def _merged(base: Rule, override: Rule) -> Rule:
    """gitleaks' [extend]: set fields replace the base rule's, lists add to them."""
    return Rule(
        id=base.id,
        description=override.description if override.description != override.id
        else base.description,
        regex=override.regex or base.regex,
        secret_group=override.secret_group or base.secret_group,
        entropy=override.entropy or base.entropy,
        keywords=tuple(dict.fromkeys(base.keywords + override.keywords)),
        path=override.path or base.path,
        allowlists=base.allowlists + override.allowlists,
        tags=tuple(dict.fromkeys(base.tags + override.tags)),
        source=override.source,
    )


class RuleSet:
    """Rules and the allowlists that apply to all of them."""

    def __init__(self, rules: list[Rule] | None = None,
                 allowlists: list[Allowlist] | None = None,
                 disabled: set[str] | None = None) -> None:
        self.rules: list[Rule] = rules if rules is not None else []
        self.allowlists: list[Allowlist] = allowlists if allowlists is not None else []
        self.disabled: set[str] = disabled if disabled is not None else set()

    def add(self, other: RuleSet) -> None:
        by_id = {rule.id: index for index, rule in enumerate(self.rules)}
        for rule in other.rules:
            if rule.id in by_id:  # a later file's rule of the same id extends it
                self.rules[by_id[rule.id]] = _merged(self.rules[by_id[rule.id]], rule)
            else:
                by_id[rule.id] = len(self.rules)
                self.rules.append(rule)
        self.allowlists.extend(other.allowlists)
        self.disabled |= other.disabled

    def active(self) -> list[Rule]:
        return [rule for rule in self.rules if rule.id not in self.disabled]


def parse_rules(raw: Mapping[str, Any], source: str,
                load_default: Any = None, base: Path | None = None,
                validate: bool = True) -> RuleSet:
    """The rules of one gitleaks-format document (already parsed from TOML)."""
    if not isinstance(raw, Mapping):
        raise InvalidRules(f"{source}: not a rule file")
    ruleset = RuleSet()
    extend = raw.get("extend") or {}
    if not isinstance(extend, Mapping):
        raise InvalidRules(f"{source}: [extend] must be a table")
    if extend.get("useDefault") and load_default is not None:
        ruleset.add(load_default())
    if extend.get("path"):
        extended = Path(str(extend["path"]))
        if base is not None and not extended.is_absolute():
            extended = base / extended
        ruleset.add(read_rule_file(extended, load_default))
    rules = raw.get("rules") or []
    if not isinstance(rules, list):
        raise InvalidRules(f"{source}: rules must be an array of tables ([[rules]])")
    known = {rule.id for rule in ruleset.rules}
    # A rule with neither regex nor path only adds to the extended rule of its id.
    ruleset.add(RuleSet([
        _rule(entry, source, number,
              partial=isinstance(entry, Mapping) and entry.get("id") in known,
              validate=validate)
        for number, entry in enumerate(rules, 1)]))
    ruleset.allowlists.extend(_allowlists(raw, source))
    if validate:
        for allowlist in ruleset.allowlists:
            allowlist.check()
    ruleset.disabled |= set(_strings(extend.get("disabledRules"), f"{source} [extend]"))
    return ruleset


def read_rule_file(path: Path, load_default: Any = None, _depth: int = 0) -> RuleSet:
    import tomllib

    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidRules(f"{path}: cannot read the rule file ({exc.strerror})") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidRules(f"{path}: not valid TOML ({exc})") from None
    return parse_rules(raw, str(path), load_default, path.parent)


def _encodable(text: str) -> str:
    """``text`` with lone surrogates (undecodable bytes of a name) as '?': RE2 reads UTF-8."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


def _line_bounds(text: str, start: int) -> tuple[int, int]:
    begin = text.rfind("\n", 0, start) + 1
    end = text.find("\n", start)
    return begin, len(text) if end < 0 else end


SMALL_TEXT = 64_000


class RuleMatcher:
    """Finds the matches of a rule set in a text, keyword-filtered, with allowlists applied."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.rules = [rule for rule in ruleset.active() if rule.regex is not None]
        self.global_allowlists = ruleset.allowlists
        self._always = [rule for rule in self.rules if not rule.keywords]
        self._order = {rule.id: index for index, rule in enumerate(self.rules)}
        by_word: dict[str, list[Rule]] = {}
        for rule in self.rules:
            for word in rule.keywords:
                by_word.setdefault(word, []).append(rule)
        self._keyword_list = sorted(by_word)
        self._lowered_keywords = [word.lower() for word in self._keyword_list]
        self._keyword_rules: list[list[Rule]] = [by_word[w] for w in self._keyword_list]
        self._keywords: Any = None

    def _keyword_hits(self, text: str) -> list[int]:
        """The indexes of the keywords in ``text``, case-insensitively. A commit's files
        are mostly small: there a substring test per keyword is faster than compiling
        RE2's keyword set (~4 ms), which large texts get."""
        if len(text) < SMALL_TEXT:
            lowered = text.lower()
            if lowered.isascii():
                return [index for index, word in enumerate(self._lowered_keywords)
                        if word in lowered]
        if self._keywords is None:
            import re2

            options = re2_options()
            options.case_sensitive = False
            options.literal = True
            self._keywords = re2.Set.SearchSet(options)
            for word in self._keyword_list:
                self._keywords.Add(word)
            self._keywords.Compile()
        return list(self._keywords.Match(text) or [])

    def candidate_rules(self, text: str) -> list[Rule]:
        """The rules that may match ``text``, in their files' order (specific ones first)."""
        rules = list(self._always)
        if self._keyword_list:
            hits = self._keyword_hits(text)
            seen = {id(rule) for rule in rules}
            for index in hits:
                for rule in self._keyword_rules[index]:
                    if id(rule) not in seen:
                        seen.add(id(rule))
                        rules.append(rule)
        return sorted(rules, key=lambda rule: self._order[rule.id])

    def _allowed(self, rule: Rule, secret: str, match: str, line: str, path: str) -> bool:
        for allowlist in rule.allowlists:
            if allowlist.allows(secret, match, line, path):
                return True
        for allowlist in self.global_allowlists:
            if allowlist.target_rules and rule.id not in allowlist.target_rules:
                continue
            if allowlist.allows(secret, match, line, path):
                return True
        return False

    def matches(self, text: str, path: str) -> Iterator[RuleMatch]:
        text, path = _encodable(text), _encodable(path)
        for rule in self.candidate_rules(text):
            if rule.compiled_path is not None and not rule.compiled_path.search(path):
                continue
            for found in rule.compiled.finditer(text):
                if rule.secret_group:
                    index = rule.secret_group
                else:  # gitleaks: the first group that matched, else the whole match
                    index = next((number for number in range(1, found.re.groups + 1)
                                  if found.group(number)), 0)
                secret = found.group(index) or ""
                if not secret or rule.entropy and shannon_entropy(secret) <= rule.entropy:
                    continue
                start = found.start(index)
                begin, end = _line_bounds(text, start)
                line = text[begin:end]
                if self._allowed(rule, secret, found.group(0), line, path):
                    continue
                yield RuleMatch(rule, secret, found.group(0), text.count("\n", 0, begin) + 1, line)
