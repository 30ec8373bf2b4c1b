"""Tests for untested public functions: by an LLM when one is configured, else by the
deterministic generator.

From each function's signature, type hints and docstring examples:
- every doctest example becomes an assertion (or ``pytest.raises`` when it shows an error);
- a typed function with no side effects gets hypothesis property tests: it returns the
  annotated type, and the same input gives the same output;
- a class that needs no arguments gets a test that builds one.

Nothing is written that does not parse, asserts nothing, or imports more than the module
under test, pytest, hypothesis and harmless standard-library modules; an LLM's answer
also goes through the risky-code rules. Then the new tests are run; for a failing one
the user chooses: keep it as xfail with the reason, regenerate it, or drop it.
"""

from __future__ import annotations

import ast
import doctest
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from scaffold.engines.testpresence import (
    PublicName,
    SourceModule,
    analyse,
    asserts_something,
    suggested_test_file,
)
from scaffold.errors import Cancelled, MicrogateError
from scaffold.generation.testshapes import (
    class_kind,
    class_tests,
    invariant_tests,
    neighbour_samples,
    probes_for,
    property_tests,
    record,
    recorded_test,
    type_aliases,
)

if TYPE_CHECKING:
    from scaffold.engines.prompts import Prompt
    from scaffold.generation.llm import ChatClient
    from scaffold.generation.testserver import TestSession

ALLOWED_IMPORTS = {"__future__", "pytest", "hypothesis", "math", "datetime", "decimal", "fractions",
                   "re", "string", "collections", "itertools", "functools", "typing",
                   "dataclasses", "enum"}
FORBIDDEN_CALLS = {"open", "exec", "eval", "compile", "__import__", "input", "breakpoint"}
# Names that reach everything else: a test never needs them, an escape always does.
FORBIDDEN_NAMES = {"getattr", "setattr", "delattr", "vars", "globals", "locals", "dir",
                   "__builtins__", "__import__", "__loader__", "__spec__", "type", "object",
                   "memoryview", "exit", "quit", "help", "copyright", "credits", "license"}
FORBIDDEN_MODULES = {"os", "sys", "subprocess", "socket", "shutil", "requests", "httpx",
                     "urllib", "pathlib", "pickle", "ctypes"}
SIDE_EFFECTS = {"open", "print", "input", "exec", "eval"} | FORBIDDEN_MODULES | {
    "random", "time", "logging", "boto3"}


@dataclass
class Generated:
    name: str
    source: str
    # "example", "property", "construct", "recorded", "invariant" (kept only if it
    # passes, dropped without a word otherwise), "llm"
    kind: str
    xfail_reason: str | None = None
    imports: tuple[str, ...] = ()  # more names it needs from the module under test


@dataclass
class ModulePlan:
    module: SourceModule
    test_file: str
    tests: list[Generated] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    imports: list[str] = field(default_factory=list)  # an LLM answer's own imports
    support: list[str] = field(default_factory=list)  # and its helper statements


def _docstring_examples(node: ast.AST) -> list[doctest.Example]:
    docstring = ast.get_docstring(node)  # type: ignore[arg-type]
    if not docstring:
        return []
    return doctest.DocTestParser().get_examples(docstring)


def _exception_name(want: str) -> str | None:
    last = want.strip().splitlines()[-1] if want.strip() else ""
    name = last.split(":", 1)[0].strip()
    return name if name.isidentifier() else None


def _bound_and_free(tree: ast.AST) -> tuple[set[str], set[str]]:
    """The names a piece of code binds (assignments, imports, definitions, loop and
    lambda variables) and those it reads without binding them."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    read = {node.id for node in ast.walk(tree)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    return bound, read - bound


def _example_tests(name: str, node: ast.AST, module_names: set[str] | None = None
                   ) -> tuple[list[str], set[str]]:
    """The docstring's examples as a test body, and the module's names they use.

    An interactive session becomes code in order: a statement (``x = [1, 2]``, an
    import) runs as it is, a value shown after an expression becomes an assertion, an
    error shown becomes ``pytest.raises``. An example that prints, or that needs a name
    neither the module, Python nor an earlier example defines, is left out."""
    import builtins

    module = (module_names or set()) | {name}
    known = set(module)
    lines: list[str] = []
    used: set[str] = set()
    asserts = False
    for example in _docstring_examples(node):
        if example.options.get(doctest.SKIP):
            continue
        try:
            tree = ast.parse(example.source)
        except SyntaxError:
            continue
        bound, free = _bound_and_free(tree)
        if any(n not in known and not hasattr(builtins, n) for n in free):
            continue
        used |= free & module
        want = example.want.strip()
        is_expression = len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr)
        if example.exc_msg is not None:
            exception = _exception_name(example.exc_msg)
            if is_expression and exception and (hasattr(builtins, exception)
                                                or exception in known):
                source = ast.unparse(tree.body[0])
                lines.append(f"    with pytest.raises({exception}):\n        {source}")
                used |= {exception} & module
                asserts = asserts or name in {n.id for n in ast.walk(tree)
                                              if isinstance(n, ast.Name)}
            continue
        if not is_expression:
            if want:
                continue  # it prints: nothing here to compare with
            lines += [f"    {line}" for line in ast.unparse(tree).splitlines()]
            known |= bound
            continue
        if not want:
            lines.append(f"    {ast.unparse(tree)}")
            continue
        expression = tree.body[0].value  # type: ignore[attr-defined]
        source = ast.unparse(expression)  # without its comments (doctest directives)
        calls_name = name in {n.id for n in ast.walk(expression) if isinstance(n, ast.Name)}
        try:
            # One line, whatever the layout the docstring gave it.
            value = repr(ast.literal_eval(want))
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            if "\n" in want:
                continue  # printed over several lines: not a repr to compare with
            lines.append(f"    assert repr({source}) == {want!r}")
        else:
            # `a == b` compared to True must not chain into `a == b == True`.
            grouped = f"({source})" if isinstance(expression, ast.Compare | ast.BoolOp |
                                                  ast.IfExp | ast.Lambda | ast.NamedExpr) \
                else source
            lines.append(f"    assert {grouped} == {value}")
        asserts = asserts or calls_name
    return (lines if asserts else []), used - {name}


def _has_side_effects(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and node.id in SIDE_EFFECTS:
            return True
        if isinstance(node, ast.Global | ast.Nonlocal | ast.Yield | ast.YieldFrom | ast.Await):
            return True
    return False


def _property_tests(name: str, function: ast.FunctionDef,
                    aliases: dict[str, ast.expr] | None = None) -> list[str]:
    if _has_side_effects(function):
        return []
    raised = sorted({exc for node in ast.walk(function) if isinstance(node, ast.Raise)
                     if (exc := _raised_name(node)) is not None})
    return property_tests(name, function, aliases or {}, raised)


def _raised_name(node: ast.Raise) -> str | None:
    exc = node.exc
    if isinstance(exc, ast.Call):
        exc = exc.func
    if isinstance(exc, ast.Name) and exc.id.endswith(("Error", "Exception")):
        return exc.id
    return None


def _node_for(tree: ast.Module, public: PublicName) -> ast.AST | None:
    for node in tree.body:
        if getattr(node, "name", None) == public.name:
            return node
    return None


def _public_definitions(tree: ast.Module) -> set[str]:
    """The public functions, classes and constants a test may import from the module."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            # What the module imports can be imported from it (an example may use it).
            names |= {alias.asname or alias.name for alias in node.names
                      if alias.name != "*"}
    return {name for name in names if not name.startswith("_")}


def plan_module(repo: Path, module: SourceModule, missing: list[PublicName],
                test_file: str) -> ModulePlan:
    """The tests the module's definitions allow, without running anything (the answers
    recorded by running the code are recorded_tests')."""
    tree = ast.parse((repo / module.path).read_bytes())
    plan = ModulePlan(module, test_file)
    module_names = _public_definitions(tree)
    aliases = type_aliases(tree)
    for public in missing:
        node = _node_for(tree, public)
        if node is None:
            continue
        examples, used = _example_tests(public.name, node, module_names)
        if examples:
            body = "\n".join(examples)
            plan.tests.append(Generated(public.name,
                                        f"def test_{public.name}_examples():\n{body}\n",
                                        "example", imports=tuple(sorted(used))))
        if isinstance(node, ast.FunctionDef):
            for source in _property_tests(public.name, node, aliases):
                plan.tests.append(Generated(public.name, source, "property"))
        if isinstance(node, ast.ClassDef):
            for kind, source in class_tests(public.name, node):
                plan.tests.append(Generated(public.name, source, kind))
        if isinstance(node, ast.ClassDef) and not examples and class_kind(node) is None:
            init = next((item for item in node.body if isinstance(item, ast.FunctionDef)
                         and item.name == "__init__"), None)
            required = 0 if init is None else (
                len(init.args.args) - 1 - len(init.args.defaults))
            if required == 0:
                plan.tests.append(Generated(public.name, (
                    f"def test_{public.name}_can_be_built():\n"
                    f"    assert isinstance({public.name}(), {public.name})\n"), "construct"))
        if not any(t.name == public.name for t in plan.tests):
            plan.skipped.append(public.name)
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)
                 and not node.name.startswith("_") and not _has_side_effects(node)}
    for name, source in invariant_tests(functions, {m.name for m in missing}):
        plan.tests.append(Generated(name, source, "invariant",
                                    imports=tuple(sorted(set(functions) & set(
                                        re.findall(r"\b(\w+)\(", source))))))
    return plan


def recorded_tests(repo: Path, module: SourceModule, missing: list[PublicName],
                   sandboxed: bool, neighbours: str = "") -> list[Generated]:
    """Tests of the answers the module's typed functions (and enums) give today, called
    also with the values the module's existing tests (``neighbours``) use."""
    tree = ast.parse((repo / module.path).read_bytes())
    probes_by_name = {}
    aliases = type_aliases(tree)
    seen = neighbour_samples([neighbours]) if neighbours else {}
    for public in missing:
        node = _node_for(tree, public)
        if node is not None and not (isinstance(node, ast.FunctionDef)
                                     and _has_side_effects(node)):
            probes = probes_for(public.name, node, aliases, seen)
            if probes:
                probes_by_name[public.name] = probes
    every = [probe for probes in probes_by_name.values() for probe in probes]
    roots = [str(repo.resolve()), str((repo / "src").resolve())]
    answers = iter(record(repo, module.module, every, roots, sandboxed))
    tests = []
    for name, probes in probes_by_name.items():
        recorded = recorded_test(name, probes, [next(answers) for _ in probes])
        if recorded is not None:
            source, exceptions = recorded
            tests.append(Generated(name, source, "recorded", imports=tuple(sorted(exceptions))))
    return tests


def validate(source: str, module: str) -> list[str]:
    """What is wrong with generated test code (nothing: an empty list)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return [f"does not parse: {exc.msg}"]
    problems = []
    allowed = ALLOWED_IMPORTS | {module, module.split(".")[0]}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            names = []
        for name in names:
            if name not in allowed and name.split(".")[0] not in ALLOWED_IMPORTS:
                problems.append(f"imports {name}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in FORBIDDEN_CALLS:
            problems.append(f"calls {node.func.id}()")
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                node.value.id in FORBIDDEN_MODULES:
            problems.append(f"uses {node.value.id}.{node.attr}")
        if isinstance(node, ast.Attribute) and node.attr.startswith("__"):
            problems.append(f"reaches into {node.attr}")
        if isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            problems.append(f"uses {node.id}")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                "__" in node.value and re.search(r"__\w+__", node.value):
            problems.append("names a dunder in a string")
    tests = [n for n in tree.body if isinstance(n, ast.FunctionDef)
             and n.name.startswith("test")]
    if not tests:
        problems.append("has no test function")
    problems += [f"{t.name} asserts nothing" for t in tests if not asserts_something(t)]
    return problems


def _decorated(test: Generated) -> str:
    if test.xfail_reason is None:
        return test.source
    return f"@pytest.mark.xfail(reason={test.xfail_reason!r}, strict=True)\n{test.source}"


def render_file(plan: ModulePlan, existing: str) -> str:
    header = []
    deterministic = [t for t in plan.tests if t.kind != "llm"]
    needs_pytest = bool(deterministic) or any(t.xfail_reason for t in plan.tests)
    if needs_pytest and "import pytest" not in existing:
        header.append("import pytest")
    if any("@given(" in t.source for t in deterministic) and "from hypothesis" not in existing:
        header.append("from hypothesis import assume, given\n"
                      "from hypothesis import strategies as st")
    for module in ("dataclasses", "datetime"):
        if any(f"{module}." in t.source for t in deterministic) and \
                f"import {module}" not in existing:
            header.insert(0, f"import {module}")
    if any(t.kind == "llm" for t in plan.tests):
        header += [line for line in plan.imports
                   if line not in existing and line not in header]
    if deterministic:
        names = sorted({t.name for t in deterministic} |
                       {name for t in deterministic for name in t.imports})
        header.append(f"from {plan.module.module} import {', '.join(names)}")
    parts = list(plan.support) + [_decorated(t) for t in plan.tests]
    body = "\n\n".join(part.rstrip() + "\n" for part in parts)
    marker = "# Written by `microgate tests generate`: review, then keep as your own."
    if existing.strip():
        return existing.rstrip() + "\n\n" + "\n".join(header) + "\n\n\n" + body
    return f"{marker}\n\n" + "\n".join(header) + "\n\n\n" + body


def _test_name(test: Generated) -> str:
    match = re.search(r"^(?:async )?def (\w+)\(", test.source, re.MULTILINE)
    return match.group(1) if match else test.name


TEST_TIMEOUT_SECONDS = 10.0
RUN_TIMEOUT_SECONDS = 300.0


@dataclass
class TestRun:
    """One pytest run of a test file: its printed output and each test's result."""

    passed: bool
    output: str
    results: dict[str, dict[str, str]] = field(default_factory=dict)  # by test name

    def failed(self, name: str) -> dict[str, str] | None:
        result = self.results.get(name)
        return result if result and result["outcome"] in ("failed", "error") else None

    def reason(self, name: str) -> str:
        """The one line pytest gives for the failure: the assertion, the exception."""
        result = self.failed(name) or {}
        return " ".join((result.get("message") or "the generated test failed").split())[:200]

    def explanation(self, name: str) -> str:
        """The failure as pytest shows it: the assertion with the values it compared."""
        result = self.failed(name) or {}
        detail = result.get("detail") or ""
        compared = [line for line in detail.splitlines() if line.startswith("E ")]
        return "\n".join([self.reason(name), *compared[:12]]) if compared else \
            self.reason(name)


def _test_key(node_id: str) -> str:
    """``tests/test_x.py::TestA::test_b[1]`` -> ``test_b``."""
    return node_id.rsplit("::", 1)[-1].split("[", 1)[0]


def run_tests(repo: Path, test_file: str, *, sandboxed: bool,
              select: list[str] | None = None, pythonpath: list[str] | None = None,
              stop_early: bool = False, session: TestSession | None = None) -> TestRun:
    """Run one test file (or ``select``-ed test ids); isolated when ``sandboxed`` (see
    scaffold/sandbox.py), forked from ``session``'s warm process when given (made for this
    run otherwise, with ``pythonpath`` first on the path: a session has its own;
    scaffold/generation/testserver.py). The repo's own pytest set-up
    applies; microgate's options win where they matter: per-test results from its report
    plugin, no colour, no cache, no early stop, a time limit per test."""
    import json
    import shutil

    from scaffold.generation import testwarmup
    from scaffold.generation.testserver import TestSession

    if session is None:
        with TestSession(repo, sandboxed=sandboxed, pythonpath=pythonpath,
                         warm=False) as own:
            return run_tests(repo, test_file, sandboxed=sandboxed, select=select,
                             stop_early=stop_early, session=own)
    folder = session.new_folder()
    report_file = folder / "results.json"
    # --capture=no: output capturing keeps the time limit from stopping a looping
    # hypothesis test a second time (the results come from the plugin anyway).
    args = ["-q", "--color=no", "--capture=no", "-x" if stop_early else "--maxfail=100000",
            *testwarmup.MICROGATE_PLUGINS, f"--microgate-report={report_file}",
            f"--microgate-test-timeout={TEST_TIMEOUT_SECONDS:g}", *(select or [test_file])]
    try:
        returncode, output, timed_out = session.run(args, folder, RUN_TIMEOUT_SECONDS)
        results: dict[str, dict[str, str]] = {}
        try:
            raw = json.loads(report_file.read_text(encoding="utf-8")[:20_000_000])
        except (OSError, ValueError):
            raw = {}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if isinstance(raw, dict):
        for node_id, entry in raw.items():
            if isinstance(entry, dict):
                key = _test_key(str(node_id)) if "::" in str(node_id) else "<file>"
                previous = results.get(key)
                if previous is None or previous["outcome"] == "passed":
                    results[key] = {k: str(v) for k, v in entry.items()}
    output = ANSI_CODES.sub("", output)
    if timed_out:
        return TestRun(False, output[-20_000:] + f"\nstopped: the tests ran longer than "
                       f"{RUN_TIMEOUT_SECONDS:g} s", results)
    return TestRun(returncode == 0, output, results)


ANSI_CODES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


# The LLM path ------------------------------------------------------------------------

CODE_BLOCK = re.compile(r"```(?:python|py)?[ \t]*\r?\n(?P<code>.*?)```", re.DOTALL)


class RejectedAnswer(Exception):
    """The LLM's answer is not code microgate will write (why: the message)."""


def extract_code(answer: str) -> str:
    """The Python in an LLM answer: its fenced block, or the answer itself if it parses."""
    blocks = [m["code"] for m in CODE_BLOCK.finditer(answer)]
    candidates = blocks or [answer]
    for code in candidates:
        try:
            ast.parse(code)
        except SyntaxError:
            continue
        if code.strip():
            return code
    if blocks:
        raise RejectedAnswer("its code block is not valid Python")
    raise RejectedAnswer("is prose, not Python code")


def split_answer(code: str) -> tuple[list[str], list[str], list[Generated]]:
    """(import lines, helper statements, test functions) of a generated test module."""
    tree = ast.parse(code)
    lines = code.splitlines()
    imports, support, tests = [], [], []
    for node in tree.body:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        segment = "\n".join(lines[first - 1:node.end_lineno])
        if isinstance(node, ast.Import | ast.ImportFrom):
            imports.append(segment)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and \
                node.name.startswith("test"):
            tests.append(Generated(node.name, segment + "\n", "llm"))
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a docstring
        else:
            support.append(segment + "\n")
    return imports, support, tests


def sast_problems(code: str) -> list[str] | None:
    """The risky-code rules' verdict on generated code (None: semgrep is not installed)."""
    import tempfile

    from scaffold.engines.sast import find_engine, scan

    try:
        find_engine()
    except MicrogateError:
        return None
    with tempfile.TemporaryDirectory(prefix="microgate-testgen-") as scratch:
        (Path(scratch) / "test_generated.py").write_text(code, encoding="utf-8")
        report = scan(Path(scratch), ["test_generated.py"])
    return [f"breaks rule {m.rule} (line {m.line})" for m in report.matches
            if m.severity == "error"]


@dataclass
class LLMGenerator:
    """Asks the configured endpoint for tests with microgate's own versioned prompt."""

    client: ChatClient
    prompt: Prompt
    sast_checked: bool = True

    @classmethod
    def configured(cls) -> LLMGenerator | None:
        from scaffold.generation.llm import configured_client

        client = configured_client()
        return cls(client, test_generator_prompt()) if client else None

    def ask(self, repo: Path, module: SourceModule, names: list[str],
            feedback: str = "", neighbours: str = ""
            ) -> tuple[list[str], list[str], list[Generated]]:
        source = (repo / module.path).read_text(encoding="utf-8", errors="replace")
        request = self.prompt.request({"module": module.module, "path": module.path,
                                       "source": source, "names": names,
                                       "feedback": feedback[-4000:],
                                       "neighbours": neighbours[:MAX_NEIGHBOURS]},
                                      seed=self.client.settings.seed)
        request = replace(request, model=self.client.settings.model)
        answer = self.client.complete(request)
        code = extract_code(answer)
        problems = validate(code, module.module)
        sast = sast_problems(code)
        if sast is None:
            self.sast_checked = False
        else:
            problems += sast
        if self.prompt.canary and self.prompt.canary in answer:
            problems.append("leaks the prompt's instructions")
        if problems:
            raise RejectedAnswer("; ".join(dict.fromkeys(problems)))
        return split_answer(code)


def test_generator_prompt() -> Prompt:
    from scaffold.engines.prompts import parse_prompt, read_registry
    from scaffold.resources import prompts_dir

    root = prompts_dir().parent
    entry = read_registry(root)["test-generator"]
    return parse_prompt(root, f"prompts/test-generator/v{entry.version}.md")


# Generation ------------------------------------------------------------------------------

Choice = Literal["xfail", "regenerate", "drop"]
FailureChooser = Callable[[str, str, bool], Choice]


def drop_failing(test: str, output: str, can_regenerate: bool) -> Choice:
    return "drop"


@dataclass
class GenerationReport:
    written: list[tuple[str, str]] = field(default_factory=list)  # (test file, test name)
    xfailed: list[tuple[str, str]] = field(default_factory=list)  # (test id, reason)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (name, why)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (test id, output)
    unrun: list[tuple[str, str]] = field(default_factory=list)  # (test file, test name)
    # (source module, the function or class tested, test id) of every test kept passing
    kept: list[tuple[str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    by_llm: int = 0


def _last_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"


def _installed(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # blocked, or its spec unreadable
        return False


def _hypothesis_installed() -> bool:
    return _installed("hypothesis")


def _app_declares(repo: Path, package: str) -> bool:
    """True when the app's own dev requirements name ``package``: the generated tests
    run in the app's pinned environment (its CI), not only where microgate runs."""
    pattern = re.compile(rf"^\s*{re.escape(package)}\s*([\[=<>~!;]|$)", re.IGNORECASE | re.M)
    for name in ("requirements-dev.in", "requirements-dev.txt", "pyproject.toml"):
        path = repo / name
        try:
            text = path.read_text(encoding="utf-8", errors="replace")[:1_000_000]
        except OSError:
            continue
        if name == "pyproject.toml":
            if re.search(rf"[\"']{re.escape(package)}([\[=<>~!;\s]|[\"'])", text,
                         re.IGNORECASE):
                return True
        elif pattern.search(text):
            return True
    return False


def _property_tests_note(repo: Path) -> str:
    """Why no property tests are written here, or "" when they are."""
    if not _hypothesis_installed():
        return ("hypothesis is not installed here, so no property tests were written (add "
                "hypothesis to requirements-dev.in and run 'microgate lock' for them)")
    if not _app_declares(repo, "hypothesis"):
        return ("hypothesis is not in the app's requirements-dev.in, so no property tests "
                "were written: the app's own test environment could not run them (add it "
                "there and run 'microgate lock' for them)")
    return ""


def _deterministic_plan(repo: Path, module: SourceModule, missing: list[PublicName],
                        test_file: str, report: GenerationReport,
                        sandboxed: bool, neighbours: str = "") -> ModulePlan:
    plan = plan_module(repo, module, missing, test_file)
    recorded = recorded_tests(repo, module, missing, sandboxed, neighbours)
    plan.tests += recorded
    if _property_tests_note(repo):
        # The tests run in the app's own environment (its CI): without hypothesis there,
        # property tests could only fail to import.
        plan.tests = [t for t in plan.tests if "@given(" not in t.source]
    have = {t.name for t in plan.tests if t.kind != "invariant"}
    plan.skipped = [m.name for m in missing if m.name not in have]
    report.skipped += [f"{module.path}: {name}" for name in plan.skipped]
    accepted = []
    for test in plan.tests:
        problems = validate(render_file(ModulePlan(module, test_file, [test]), ""),
                            module.module)
        if problems:
            report.rejected.append((test.name, "; ".join(problems)))
        else:
            accepted.append(test)
    plan.tests = accepted
    return plan


def neighbouring_tests(repo: Path, test_files: list[str]) -> str:
    """The module's existing tests: how its code is called, for the LLM to follow."""
    from scaffold.safefiles import SkippedFile, read_text

    texts = []
    for name in test_files:
        try:
            texts.append(read_text(repo, name, max_bytes=200_000))
        except (OSError, SkippedFile):
            continue
    return "\n\n".join(texts)[:MAX_NEIGHBOURS]


def _llm_plan(repo: Path, module: SourceModule, missing: list[PublicName], test_file: str,
              llm: LLMGenerator, report: GenerationReport, feedback: str = "",
              neighbours: str = "") -> ModulePlan:
    """Raises RejectedAnswer (the answer is unusable) or LLMError (no answer)."""
    names = [m.name for m in missing]
    imports, support, tests = llm.ask(repo, module, names, feedback, neighbours)
    if not tests:
        raise RejectedAnswer("has no test function")
    report.by_llm += 1
    return ModulePlan(module, test_file, tests, imports=imports, support=support)


def changed_names(repo: Path, since: str) -> dict[str, set[str]]:
    """The public functions and classes each source file adds or changes since ``since``."""
    from scaffold.gitops import changed_lines

    names: dict[str, set[str]] = {}
    for path, ranges in changed_lines(repo, since).items():
        try:
            tree = ast.parse((repo / path).read_bytes())
        except (OSError, SyntaxError, ValueError):
            continue
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            last = node.end_lineno or node.lineno
            if any(start <= last and end >= first for start, end in ranges):
                names.setdefault(path, set()).add(node.name)
    return names


def generate(repo: Path, paths: list[str] | None = None, *, llm: LLMGenerator | None = None,
             on_failure: FailureChooser = drop_failing,
             run_unsandboxed: bool = False,
             only: dict[str, set[str]] | None = None) -> GenerationReport:
    """Write tests for every untested public name in ``paths`` (default: all sources).

    With ``llm``, the endpoint writes them; when it is down, or its answer is rejected,
    the deterministic generator does. Generated tests are run before they are kept; for
    each failing one ``on_failure`` decides: keep it as xfail, regenerate (LLM only), or
    drop it.

    Tests run in the sandbox (scaffold/sandbox.py) where one works. Where none does, an
    LLM's tests are written for review and not run, unless ``run_unsandboxed``.
    """
    from scaffold import sandbox

    if not _installed("pytest"):
        raise MicrogateError(
            "pytest is not installed where microgate runs, so no generated test could be "
            "run: run microgate from the app's environment (pip install -r "
            "requirements-dev.txt there), or pip install pytest")
    report = GenerationReport()
    runner = _Runner(repo, sandbox.available(), run_unsandboxed)
    with runner.session:
        return _generate(repo, paths, llm, on_failure, only, report, runner)


def _generate(repo: Path, paths: list[str] | None, llm: LLMGenerator | None,
              on_failure: FailureChooser, only: dict[str, set[str]] | None,
              report: GenerationReport, runner: _Runner) -> GenerationReport:
    from scaffold.generation.llm import LLMError

    note = _property_tests_note(repo)
    if note:
        report.notes.append(note)
    if llm is not None and not runner.sandboxed:
        report.notes.append(
            "no sandbox (bubblewrap) works here, so the LLM's tests are written for review "
            "and not run" if not runner.run_unsandboxed else
            "no sandbox (bubblewrap) works here: the LLM's tests ran unisolated, as asked")

    coverage = analyse(repo)
    if paths and only is None and not any(m.path in paths for m in coverage.sources):
        raise MicrogateError(f"no source module among {', '.join(paths)}")
    for module, missing in coverage.untested():
        if paths and module.path not in paths:
            continue
        if only is not None:  # the names a change adds or touches, nothing else
            missing = [m for m in missing if m.name in only.get(module.path, set())]
            if not missing:
                continue
        importing = coverage.tests_importing(module.module)
        test_file = importing[0].path if importing else suggested_test_file(coverage.layout,
                                                                            module)
        plan: ModulePlan | None = None
        if llm is not None:
            try:
                plan = _llm_plan(repo, module, missing, test_file, llm, report,
                                 neighbours=neighbouring_tests(
                                     repo, [t.path for t in importing]))
            except LLMError as exc:
                report.notes.append(f"{exc.message}; the deterministic generator wrote the "
                                    "tests instead")
                llm = None
            except RejectedAnswer as exc:
                report.rejected.append((module.path, f"the LLM's answer {exc}"))
        if plan is None:
            plan = _deterministic_plan(repo, module, missing, test_file, report,
                                       runner.sandboxed, neighbouring_tests(
                                           repo, [t.path for t in importing]))
        try:
            _write_and_run(repo, plan, llm if plan.tests and plan.tests[0].kind == "llm"
                           else None, missing, on_failure, report, runner)
        except KeyboardInterrupt:
            finished = sorted({file for file, _ in report.written + report.unrun})
            raise Cancelled(
                "cancelled; the test file being checked is back as it was, and "
                + (f"the finished ones are kept: {', '.join(finished)}" if finished
                   else "nothing was written")) from None
    # A name whose only tests were speculative (an invariant) is untested only if none held.
    tested = {f"{module}: {name}" for module, name, _ in report.kept}
    report.skipped = [name for name in report.skipped if name not in tested]
    if llm is not None and not llm.sast_checked:
        report.notes.append("semgrep is not installed here, so the LLM's code was checked by "
                            "microgate's AST rules only (pip install 'microgate[sast]')")
    return report


MAX_REGENERATIONS = 2
MAX_VERIFICATIONS = 4
MAX_NEIGHBOURS = 4000


class _Runner:
    """Runs a repo's test files, each run forked from one warm process (a session)."""

    def __init__(self, repo: Path, sandboxed: bool, run_unsandboxed: bool) -> None:
        from scaffold.generation.testserver import TestSession

        self.sandboxed = sandboxed
        self.run_unsandboxed = run_unsandboxed
        self.session = TestSession(repo, sandboxed=sandboxed)

    def may_run(self, plan: ModulePlan) -> bool:
        """microgate's own tests always run; an LLM's only isolated, or when asked."""
        by_llm = any(test.kind == "llm" for test in plan.tests)
        return self.sandboxed or not by_llm or self.run_unsandboxed

    def run(self, repo: Path, test_file: str) -> TestRun:
        return run_tests(repo, test_file, sandboxed=self.sandboxed, session=self.session)


def _write_and_run(repo: Path, plan: ModulePlan, llm: LLMGenerator | None,
                   missing: list[PublicName], on_failure: FailureChooser,
                   report: GenerationReport, runner: _Runner) -> None:
    """Write the module's candidate tests, run them and keep those that pass. Stopped on
    the way (Ctrl-C), the test file is put back as it was: no unchecked test stays."""
    from scaffold.safefiles import resolve_inside

    if not plan.tests:
        return
    test_file = plan.test_file
    target = repo / test_file
    if resolve_inside(repo, test_file) is None or target.is_symlink():
        report.rejected.append((plan.module.path, f"its test file {test_file} is outside the "
                                "repo or a link; nothing was written"))
        return
    before = target.read_text(encoding="utf-8") if target.is_file() else None
    folder_was_there = target.parent.is_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        _write_run_and_keep(repo, plan, llm, missing, on_failure, report, runner, target,
                            before)
    except BaseException:
        if before is not None:
            target.write_text(before, encoding="utf-8")
        else:
            target.unlink(missing_ok=True)
            if not folder_was_there and not any(target.parent.iterdir()):
                target.parent.rmdir()
        raise


def _write_run_and_keep(repo: Path, plan: ModulePlan, llm: LLMGenerator | None,
                        missing: list[PublicName], on_failure: FailureChooser,
                        report: GenerationReport, runner: _Runner, target: Path,
                        before: str | None) -> None:
    from scaffold.generation.llm import LLMError

    test_file = plan.test_file
    if not runner.may_run(plan):
        target.write_text(render_file(plan, before or ""), encoding="utf-8")
        report.unrun += [(test_file, _test_name(t)) for t in plan.tests]
        return
    regenerations = 0
    settled: list[Generated] = []  # passing or kept as xfail
    pending = list(plan.tests)
    while pending:
        plan.tests = settled + pending
        target.write_text(render_file(plan, before or ""), encoding="utf-8")
        run = runner.run(repo, test_file)
        if run.passed:
            settled += pending
            break
        names = {_test_name(t) for t in pending}
        failing = {name for name in names if run.failed(name)}
        if not failing:  # the file itself is broken (an import error, say): nothing is kept
            why = run.results.get("<file>", {}).get("message") or _last_line(run.output)
            report.failed += [(f"{test_file}::{n}", f"the test file failed to load: {why}")
                              for n in sorted(names)]
            pending = []
            break
        settled += [t for t in pending if _test_name(t) not in failing]
        regenerate = False
        feedback = []
        for test in [t for t in pending if _test_name(t) in failing]:
            if test.kind == "invariant":
                continue  # a property this code does not have: nothing to report
            name = _test_name(test)
            test_id = f"{test_file}::{name}"
            explanation = run.explanation(name)
            feedback.append(f"{test_id} failed:\n{run.results[name].get('detail', '')}")
            can_regenerate = llm is not None and regenerations < MAX_REGENERATIONS
            choice = on_failure(test_id, explanation, can_regenerate)
            if choice == "xfail":
                reason = f"generated test failed: {run.reason(name)}"
                settled.append(replace(test, xfail_reason=reason))
                report.xfailed.append((test_id, reason))
            elif choice == "regenerate" and can_regenerate:
                regenerate = True
            else:
                report.failed.append((test_id, explanation))
        pending = []
        if regenerate and llm is not None:
            regenerations += 1
            try:
                again = _llm_plan(repo, plan.module, missing, test_file, llm, report,
                                  feedback="\n\n".join(feedback)[-4000:])
            except (LLMError, RejectedAnswer) as exc:
                why = exc.message if isinstance(exc, LLMError) else f"the LLM's answer {exc}"
                report.rejected.append((plan.module.path, why))
            else:
                kept = {_test_name(t) for t in settled}
                pending = [t for t in again.tests if _test_name(t) not in kept]
                plan.imports = list(dict.fromkeys(plan.imports + again.imports))
                plan.support = list(dict.fromkeys(plan.support + again.support))
    # The kept tests, run together once more; a test that failed only now (one that
    # never ran before, because an earlier one ended the run) is dropped and the rest
    # run again.
    for _ in range(MAX_VERIFICATIONS):
        plan.tests = settled
        if not settled:
            break
        target.write_text(render_file(plan, before or ""), encoding="utf-8")
        run = runner.run(repo, test_file)
        if run.passed:
            report.written += [(test_file, _test_name(t)) for t in settled
                               if t.xfail_reason is None]
            report.kept += [(plan.module.path, t.name, f"{test_file}::{_test_name(t)}")
                            for t in settled if t.xfail_reason is None]
            return
        failed_now = [t for t in settled if run.failed(_test_name(t))]
        report.failed += [(f"{test_file}::{_test_name(t)}", run.explanation(_test_name(t)))
                          for t in failed_now if t.kind != "invariant"]
        if not failed_now:
            report.failed += [(f"{test_file}::{_test_name(t)}",
                               f"the file failed with it: {_last_line(run.output)}")
                              for t in settled]
            break
        settled = [t for t in settled if t not in failed_now]
    report.xfailed = [x for x in report.xfailed if not x[0].startswith(f"{test_file}::")]
    if before is None:
        target.unlink()
    else:
        target.write_text(before, encoding="utf-8")
