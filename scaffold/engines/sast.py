"""Risky-code rules (policies/semgrep) run by semgrep's own matching engine.

The semgrep command spends about 3 s starting its Python wrapper before it matches
anything; the engine inside the same wheel (``semgrep/bin/semgrep-core``) scans a few
files in a fraction of that. microgate calls the engine directly with the same rules,
and does the two things the wrapper would have done for it: it honours ``# nosemgrep``
comments and fills ``$VARIABLES`` into messages. Unlike the wrapper, it does not skip
``tests/``: risky code there runs in CI with real credentials too.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from scaffold.errors import MicrogateError, ToolMissing
from scaffold.findings import RuleHelp
from scaffold.resources import policies_dir

TYPE_CHECKING = False  # typing costs a hook ~4 ms to import; mypy reads it as True
if TYPE_CHECKING:
    from typing import Any

ENGINE_TIMEOUT_SECONDS = 300
MAX_FILE_BYTES = 2_000_000
FILES_FOR_ONE_CORE = 20
NOSEMGREP = re.compile(r"#\s*nosemgrep(?::\s*(?P<ids>[\w.,\s-]+))?", re.IGNORECASE)
SEVERITY = {"ERROR": "error", "WARNING": "warning", "INFO": "note"}
# Rule keys naming patterns kept once in policies/semgrep/sources/taint-sources.yaml.
NAMED_PATTERNS = {"microgate-sources": "sources", "microgate-sanitizers": "sanitizers"}


# Plain classes, not dataclasses: the hook's start-up (see scaffold/findings.py).
class Match:
    """One rule's match in one file."""

    __slots__ = ("path", "line", "rule", "message", "severity", "end_line")

    def __init__(self, path: str, line: int, rule: str, message: str, severity: str,
                 end_line: int = 0) -> None:
        self.path = path
        self.line = line
        self.rule = rule
        self.message = message
        self.severity = severity
        self.end_line = end_line

    def __repr__(self) -> str:
        return f"Match({self.path!r}, {self.line}, {self.rule!r})"


class SastReport:
    __slots__ = ("matches", "notes")

    def __init__(self) -> None:
        self.matches: list[Match] = []
        self.notes: list[str] = []


def rules_dir() -> Path:
    return policies_dir() / "semgrep"


def find_engine() -> Path:
    """semgrep-core: named by MICROGATE_SEMGREP_CORE, inside the semgrep package, or on PATH."""
    named = os.environ.get("MICROGATE_SEMGREP_CORE")
    if named:
        if not Path(named).is_file():
            raise ToolMissing(f"semgrep-core is not at {named} (MICROGATE_SEMGREP_CORE)")
        return Path(named)
    import importlib.util

    spec = importlib.util.find_spec("semgrep")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidate = Path(location) / "bin" / "semgrep-core"
            if candidate.is_file():
                return candidate
    on_path = shutil.which("semgrep-core")
    if on_path:
        return Path(on_path)
    raise ToolMissing(
        "semgrep is not installed here: run this check through pre-commit (it installs "
        "semgrep in the hook's own environment), or pip install 'microgate[sast]'"
    )


def rule_files() -> list[Path]:
    return sorted(rules_dir().glob("*.yaml"))


def sources_file() -> Path:
    return rules_dir() / "sources" / "taint-sources.yaml"


def load_rules() -> dict[Path, list[dict[str, Any]]]:
    """Every rule file's rules as semgrep reads them: named taint sources filled in."""
    from scaffold import yamlio

    catalogue = yamlio.load(sources_file().read_text(encoding="utf-8")) or {}
    loaded: dict[Path, list[dict[str, Any]]] = {}
    for path in rule_files():
        rules = []
        for rule in yamlio.load(path.read_text(encoding="utf-8"))["rules"]:
            rule = dict(rule)
            for key, kind in NAMED_PATTERNS.items():
                named = rule.pop(key, None)
                if named is None:
                    continue
                known = catalogue.get(kind) or {}
                unknown = [name for name in named if name not in known]
                if unknown:
                    raise MicrogateError(
                        f"{path.name}: rule {rule.get('id')} names unknown {kind} "
                        f"{', '.join(unknown)} (known: {', '.join(sorted(known))})")
                if kind == "sources":
                    words = catalogue.get("words") or {}
                    named_words = [w for name in named for w in words.get(name, [])]
                    metadata = rule.setdefault("metadata", {})
                    if "pattern-sources" not in rule:
                        metadata.setdefault("words", named_words or None)
                    elif named_words:
                        # The rule has sources of its own: in a file without these words
                        # it runs with its own sources only (see _variant_without).
                        metadata["named-sources"] = {
                            "count": sum(len(known[name]) for name in named),
                            "words": named_words}
                rule[f"pattern-{kind}"] = [
                    *(pattern for name in named for pattern in known[name]),
                    *rule.get(f"pattern-{kind}", []),
                ]
            rules.append(rule)
        loaded[path] = rules
    return loaded


def rule_catalogue() -> dict[str, RuleHelp]:
    """Each rule's help for reports, by rule id without the "microgate." prefix."""
    catalogue: dict[str, RuleHelp] = {}
    rules = json.loads(merged_rules().read_text(encoding="utf-8"))["rules"]
    for rule in rules:
        metadata = rule.get("metadata") or {}
        rule_id = str(rule["id"]).removeprefix("microgate.")
        cwes = [str(c) for c in _as_list(metadata.get("cwe"))]
        owasp = [str(o) for o in _as_list(metadata.get("owasp"))]
        tags = [str(metadata.get("category", "security"))]
        tags += [f"external/cwe/cwe-{c.split(':')[0].removeprefix('CWE-').strip()}"
                 for c in cwes]
        tags += [f"external/owasp/{o.split(' ')[0].lower()}" for o in owasp]
        message = " ".join(str(rule.get("message", "")).split())
        catalogue[rule_id] = RuleHelp(
            short=str(metadata.get("short") or rule_id),
            full=message,
            help=" ".join(str(metadata.get("fix") or message).split()),
            tags=tuple(tags),
            security_severity=str(metadata["security-severity"])
            if "security-severity" in metadata else None,
            references=tuple([*cwes, *owasp]),
        )
    return catalogue


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def write_expanded_rules(target: Path) -> None:
    """Each rule file as semgrep reads it, with its examples, for `semgrep --test`."""
    target.mkdir(parents=True, exist_ok=True)
    for path, rules in load_rules().items():
        (target / path.name).write_text(json.dumps({"rules": rules}), encoding="utf-8")
        example = path.with_suffix(".py")
        if example.is_file():
            shutil.copy(example, target / example.name)


def merged_rules(cache_dir: Path | None = None) -> Path:
    """All rules in one file (the engine takes one), cached by content."""
    files = [*rule_files(), sources_file()]
    # The format version: a microgate that expands rules differently gets its own cache.
    from scaffold.parsecache import sha256_hex

    digest = sha256_hex(b"microgate-rules-3\0" + b"".join(
        path.name.encode() + b"\0" + path.read_bytes() for path in files))
    cache_dir = cache_dir or _cache_dir()
    target = cache_dir / f"semgrep-rules-{digest[:16]}.json"
    if target.is_file():
        return target
    rules = [rule for loaded in load_rules().values() for rule in loaded]
    cache_dir.mkdir(parents=True, exist_ok=True)
    _write_atomically(target, json.dumps({"rules": rules}))
    return target


# Suffix of a rule's variant that runs with its own sources only (see load_rules).
LOCAL_SOURCES = ".own-sources-only"
GLOB_CHARACTERS = frozenset("*?[]{}!\\")


class _FileText:
    """A file's text in lower case, and which of the rules' words it holds (each word
    looked for once, however many rules name it)."""

    def __init__(self, text: bytes) -> None:
        self.text = text.lower()
        self.found: dict[str, bool] = {}

    def holds_any(self, words: list[str] | None) -> bool:
        if not words:
            return True
        for word in words:
            present = self.found.get(word)
            if present is None:
                present = self.found[word] = word.lower().encode() in self.text
            if present:
                return True
        return False

    def can_match(self, metadata: dict[str, Any]) -> bool:
        """Whether the file holds what the rule needs: one of its ``words`` (where the
        data comes from, or the call), and for a taint rule some of whose sinks start
        with a variable (which the engine cannot look for first), a match of its
        ``sinks-regex``."""
        if not self.holds_any(metadata.get("words")):
            return False
        sinks = metadata.get("sinks-regex")
        return not sinks or _compiled(str(sinks)).search(self.text) is not None


@functools.cache
def _compiled(pattern: str) -> Any:
    import re2  # linear time, and fast on the alternations of names these are

    return re2.compile(pattern.encode())


def _variant_without(rule: dict[str, Any], named_count: int) -> dict[str, Any]:
    variant = dict(rule)
    variant["id"] = f"{rule['id']}{LOCAL_SOURCES}"
    variant["pattern-sources"] = list(rule["pattern-sources"])[named_count:]
    return variant


def rules_for(names: list[str], texts: list[bytes], target: Path,
              cache_dir: Path | None = None) -> Path:
    """Write to ``target`` the rules that can find something in these files, each
    limited to the files that can hold its finding: a rule whose words (a web framework's
    request, a model client's call, "yaml"...; any case) a file does not hold is not run
    on that file. Ordinary modules so pay for few rules, and a commit of many files
    pays for each rule only where it applies."""
    merged = merged_rules(cache_dir)
    rules = json.loads(merged.read_text(encoding="utf-8"))["rules"]
    files = [_FileText(text) for text in texts]
    selected: list[dict[str, Any]] = []
    for rule in rules:
        metadata = rule.get("metadata") or {}
        wanted = [name for name, text in zip(names, files, strict=True)
                  if text.can_match(metadata)]
        named = metadata.get("named-sources")
        groups: list[tuple[dict[str, Any], list[str]]] = [(rule, wanted)]
        if named:
            chosen_files = set(wanted)
            full = [name for name, text in zip(names, files, strict=True)
                    if name in chosen_files and text.holds_any(named["words"])]
            with_sources = set(full)
            groups = [(rule, full), (_variant_without(rule, int(named["count"])),
                                     [name for name in wanted if name not in with_sources])]
        for chosen, subset in groups:
            if not subset:
                continue
            if len(subset) < len(names) and not any(
                    GLOB_CHARACTERS & set(name) for name in subset):
                chosen = {**chosen, "paths": {"include": [f"/{name}" for name in subset]}}
            selected.append(chosen)
    target.write_text(json.dumps({"rules": selected}), encoding="utf-8")
    return target


def _write_atomically(target: Path, text: str) -> None:
    scratch = target.with_suffix(f".{os.getpid()}.tmp")
    scratch.write_text(text, encoding="utf-8")
    scratch.replace(target)


def _cache_dir() -> Path:
    from scaffold.userdirs import cache_dir

    return cache_dir()


def _suppressed(lines: list[str], line: int, rule: str) -> bool:
    for candidate in (line, line - 1):
        if 1 <= candidate <= len(lines):
            match = NOSEMGREP.search(lines[candidate - 1])
            if match:
                ids = match.group("ids")
                if not ids or rule in {i.strip() for i in ids.split(",")}:
                    return True
    return False


def _message(result: dict[str, Any]) -> str:
    extra = result.get("extra", {})
    message = str(extra.get("message", "")).strip()
    for name, value in (extra.get("metavars") or {}).items():
        content = value.get("abstract_content")
        if content is not None:
            message = message.replace(name, str(content))
    return " ".join(message.split())


def _taint_source_lines(extra: dict[str, Any]) -> set[int]:
    """The lines of the value a taint finding followed to its sink (the query built from
    text, say), where a rule it supersedes would report the same flaw."""
    trace = extra.get("dataflow_trace") or {}
    source = trace.get("taint_source")
    try:
        location = source[1][0] if source and source[0] == "CliLoc" else None
        if location is None:
            return set()
        return set(range(int(location["start"]["line"]), int(location["end"]["line"]) + 1))
    except (IndexError, KeyError, TypeError, ValueError):
        return set()


def read_source(repo: Path, name: str) -> bytes | str | None:
    """The bytes of ``name`` when it can be scanned, else why not; None: not Python at all."""
    from scaffold.safefiles import SkippedFile, read_bytes

    candidate = repo / name
    if not name.endswith(".py") or candidate.is_symlink():
        return None
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "its name is not UTF-8"
    try:
        data = read_bytes(repo, name, max_bytes=MAX_FILE_BYTES)
    except FileNotFoundError:
        return None
    except SkippedFile as exc:
        return exc.why
    if b"\0" in data:
        return "a binary file, not Python source"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8 Python source (save it as UTF-8 to have it checked)"
    return data


def _start_engine(engine: Path, repo: Path, scratch: Path, names: list[str],
                  texts: list[bytes], workers: int, rules: Path) -> subprocess.Popen[bytes]:
    # The engine's own list of targets (what the semgrep command writes for it).
    targets_file = scratch / "targets.json"
    # Largest first: the engine's workers then finish together, not waiting on the one
    # that drew a big module last.
    by_size = [name for _, name in sorted(zip((-len(t) for t in texts), names,
                                              strict=True))]
    targets_file.write_text(json.dumps(["Targets", [
        ["CodeTarget", {"path": {"fpath": name, "ppath": f"/{name}"},
                        "analyzer": "python", "products": ["sast"]}]
        for name in by_size
    ]]), encoding="utf-8")
    command = [str(engine), "-json", "-rules", str(rules),
               "-targets", str(targets_file), "-timeout", "10", "-fast"]
    if workers:
        command += ["-j", str(workers)]  # starting workers costs more than a few files
    try:
        return subprocess.Popen(command, cwd=repo, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    except OSError as exc:
        raise MicrogateError(f"semgrep could not start: {exc.strerror}") from None


def _engine_output(run: subprocess.Popen[bytes], files: int) -> dict[str, Any]:
    try:
        out, err = run.communicate(timeout=ENGINE_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise MicrogateError(  # the caller stops the engine
            f"semgrep gave no answer in {ENGINE_TIMEOUT_SECONDS} s on {files} files") from None
    stdout = out.decode("utf-8", "replace")
    try:
        # The engine prints a progress dot per file before its JSON.
        output: dict[str, Any] = json.loads(stdout[stdout.index("{"):])
    except ValueError:
        detail = (err.decode("utf-8", "replace") or stdout).strip().splitlines()
        raise MicrogateError(
            f"semgrep failed: {detail[-1] if detail else f'exit code {run.returncode}'}"
        ) from None
    return output


def scan(repo: Path, names: list[str]) -> SastReport:
    """Run every rule on the Python files ``names`` (relative to ``repo``)."""
    report = SastReport()
    targets = []
    sources = []
    for name in names:
        source = read_source(repo, name)
        if isinstance(source, bytes):
            targets.append(name)
            sources.append(source)
        elif source:
            report.notes.append(f"{name}: skipped ({source})")
    if not targets:
        return report
    with tempfile.TemporaryDirectory(prefix="microgate-sast-") as scratch:
        rules = rules_for(targets, sources, Path(scratch) / "rules.json")
        if not json.loads(rules.read_text(encoding="utf-8"))["rules"]:
            # No rule can find anything in these files (none holds a rule's words):
            # nothing for the engine to do, and no start-up to pay for it.
            return report
        engine = find_engine()
        run = _start_engine(engine, repo, Path(scratch), targets, sources,
                            workers=1 if len(targets) <= FILES_FOR_ONE_CORE else 0,
                            rules=rules)
        # The engine uses one core; meanwhile this one readies what printing a finding
        # needs (the redaction patterns), so a commit with findings does not wait for it.
        from scaffold.redact import prepare

        try:
            prepare()
            output = _engine_output(run, len(targets))
        except BaseException:  # Ctrl-C (or its time limit): the engine stops with microgate
            run.kill()
            run.communicate()
            raise
    lines_by_path: dict[str, list[str]] = {}
    superseded: set[tuple[str, int, str]] = set()
    found: dict[tuple[str, int, str], Match] = {}
    for result in output.get("results", []):
        path = str(result["path"])
        line = int(result["start"]["line"])
        rule = str(result["check_id"]).removesuffix(LOCAL_SOURCES)
        if path not in lines_by_path:
            lines_by_path[path] = (repo / path).read_text(
                encoding="utf-8", errors="replace").splitlines()
        if _suppressed(lines_by_path[path], line, rule):
            continue
        extra = result.get("extra", {})
        severity = SEVERITY.get(str(extra.get("severity", "ERROR")), "error")
        end_line = int(result.get("end", {}).get("line", line))
        found.setdefault((path, line, rule),
                         Match(path, line, rule, _message(result), severity, end_line))
        source_lines = _taint_source_lines(extra)
        for other in (extra.get("metadata") or {}).get("supersedes", []):
            for covered in {line, *source_lines}:
                superseded.add((path, covered, f"microgate.{other}"))
    # One flaw, one finding: a rule that knows where the data came from (a request, a
    # model's reply) replaces the general rule for the same line.
    report.matches.extend(match for key, match in found.items() if key not in superseded)
    for error in output.get("errors", []):
        kind = error.get("type", "error")
        kind = kind[0] if isinstance(kind, list) and kind else kind
        report.notes.append(f"{error.get('path') or 'semgrep'}: not fully scanned ({kind})")
    report.matches.sort(key=lambda m: (m.path, m.line, m.rule))
    return report
