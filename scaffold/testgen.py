"""Tests for untested public functions, written without an LLM: the deterministic generator.

From each function's signature, type hints and docstring examples:
- every doctest example becomes an assertion (or ``pytest.raises`` when it shows an error);
- a typed function with no side effects gets hypothesis property tests: it returns the
  annotated type, and the same input gives the same output;
- a class that needs no arguments gets a test that builds one.

Nothing is written that does not parse, asserts nothing, or imports more than the module
under test, pytest, hypothesis and harmless standard-library modules; then the new tests
are run, and a failing one is reported, not kept.
"""

from __future__ import annotations

import ast
import doctest
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from scaffold.errors import MicrogateError
from scaffold.testpresence import (
    PublicName,
    SourceModule,
    analyse,
    asserts_something,
    suggested_test_file,
)

ALLOWED_IMPORTS = {"__future__", "pytest", "hypothesis", "math", "datetime", "decimal", "fractions",
                   "re", "string", "collections", "itertools", "functools", "typing"}
FORBIDDEN_CALLS = {"open", "exec", "eval", "compile", "__import__", "input", "breakpoint"}
FORBIDDEN_MODULES = {"os", "sys", "subprocess", "socket", "shutil", "requests", "httpx",
                     "urllib", "pathlib", "pickle", "ctypes"}
SIDE_EFFECTS = {"open", "print", "input", "exec", "eval"} | FORBIDDEN_MODULES | {
    "random", "time", "logging", "boto3"}
STRATEGIES = {
    "int": "st.integers(min_value=-10**6, max_value=10**6)",
    "float": "st.floats(allow_nan=False, allow_infinity=False, width=32)",
    "str": "st.text(max_size=40)",
    "bool": "st.booleans()",
}


@dataclass
class Generated:
    name: str
    source: str
    kind: str  # "example", "property", "construct"


@dataclass
class ModulePlan:
    module: SourceModule
    test_file: str
    tests: list[Generated] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _docstring_examples(node: ast.AST) -> list[doctest.Example]:
    docstring = ast.get_docstring(node)  # type: ignore[arg-type]
    if not docstring:
        return []
    return doctest.DocTestParser().get_examples(docstring)


def _exception_name(want: str) -> str | None:
    last = want.strip().splitlines()[-1] if want.strip() else ""
    name = last.split(":", 1)[0].strip()
    return name if name.isidentifier() else None


def _example_tests(name: str, node: ast.AST) -> list[str]:
    lines = []
    for example in _docstring_examples(node):
        source = example.source.strip()
        if "\n" in source or name not in source:
            continue
        if example.exc_msg is not None:
            exception = _exception_name(example.exc_msg)
            if exception:
                lines.append(f"    with pytest.raises({exception}):\n        {source}")
            continue
        want = example.want.strip()
        if not want:
            continue
        try:
            ast.literal_eval(want)
            lines.append(f"    assert {source} == {want}")
        except (ValueError, SyntaxError):
            lines.append(f"    assert repr({source}) == {want!r}")
    return lines


def _annotation_name(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _has_side_effects(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and node.id in SIDE_EFFECTS:
            return True
        if isinstance(node, ast.Global | ast.Nonlocal | ast.Yield | ast.YieldFrom | ast.Await):
            return True
    return False


def _property_tests(name: str, function: ast.FunctionDef) -> list[str]:
    args = function.args
    if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
        return []
    types = [_annotation_name(a.annotation) for a in args.args]
    returns = _annotation_name(function.returns)
    if not args.args or None in types or returns not in STRATEGIES:
        return []
    if any(t not in STRATEGIES for t in types) or _has_side_effects(function):
        return []
    params = [a.arg for a in args.args]
    typed = [t for t in types if t is not None]
    given = ", ".join(f"{p}={STRATEGIES[t]}" for p, t in zip(params, typed, strict=True))
    call = f"{name}({', '.join(params)})"
    signature = ", ".join(params)
    raised = sorted({exc for node in ast.walk(function) if isinstance(node, ast.Raise)
                     if (exc := _raised_name(node)) is not None})
    if raised:
        # The errors the function raises on purpose are answers too: skip those inputs.
        caught = raised[0] if len(raised) == 1 else f"({', '.join(raised)})"
        first = (f"    try:\n        result = {call}\n    except {caught}:\n"
                 "        assume(False)\n")
        return [
            f"@given({given})\ndef test_{name}_returns_{returns}({signature}):\n{first}"
            f"    assert isinstance(result, {returns})\n",
            f"@given({given})\ndef test_{name}_gives_the_same_answer_twice({signature}):\n"
            f"{first}    assert {call} == result\n",
        ]
    return [
        f"@given({given})\ndef test_{name}_returns_{returns}({signature}):\n"
        f"    assert isinstance({call}, {returns})\n",
        f"@given({given})\ndef test_{name}_gives_the_same_answer_twice({signature}):\n"
        f"    assert {call} == {call}\n",
    ]


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


def plan_module(repo: Path, module: SourceModule, missing: list[PublicName],
                test_file: str) -> ModulePlan:
    tree = ast.parse((repo / module.path).read_bytes())
    plan = ModulePlan(module, test_file)
    for public in missing:
        node = _node_for(tree, public)
        if node is None:
            continue
        examples = _example_tests(public.name, node)
        if examples:
            body = "\n".join(examples)
            plan.tests.append(Generated(public.name,
                                        f"def test_{public.name}_examples():\n{body}\n",
                                        "example"))
        if isinstance(node, ast.FunctionDef):
            for source in _property_tests(public.name, node):
                plan.tests.append(Generated(public.name, source, "property"))
        if isinstance(node, ast.ClassDef) and not examples:
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
    return plan


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
    tests = [n for n in tree.body if isinstance(n, ast.FunctionDef)
             and n.name.startswith("test")]
    if not tests:
        problems.append("has no test function")
    problems += [f"{t.name} asserts nothing" for t in tests if not asserts_something(t)]
    return problems


def render_file(plan: ModulePlan, existing: str) -> str:
    names = sorted({t.name for t in plan.tests})
    header = []
    if "import pytest" not in existing:
        header.append("import pytest")
    if any(t.kind == "property" for t in plan.tests) and "from hypothesis" not in existing:
        header.append("from hypothesis import assume, given\n"
                      "from hypothesis import strategies as st")
    header.append(f"from {plan.module.module} import {', '.join(names)}")
    body = "\n\n".join(t.source for t in plan.tests)
    marker = "# Written by `microgate tests generate`: review, then keep as your own."
    if existing.strip():
        return existing.rstrip() + "\n\n" + "\n".join(header) + "\n\n\n" + body
    return f"{marker}\n\n" + "\n".join(header) + "\n\n\n" + body


def _test_name(test: Generated) -> str:
    match = re.search(r"^def (\w+)\(", test.source, re.MULTILINE)
    return match.group(1) if match else test.name


def run_tests(repo: Path, test_file: str) -> tuple[bool, str]:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test_file],
        cwd=repo, capture_output=True, text=True, timeout=600, check=False)
    return result.returncode == 0, result.stdout + result.stderr


@dataclass
class GenerationReport:
    written: list[tuple[str, str]] = field(default_factory=list)  # (test file, test name)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (name, why)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (test file, output)


def generate(repo: Path, paths: list[str] | None = None) -> GenerationReport:
    """Write tests for every untested public name in ``paths`` (default: all sources)."""
    coverage = analyse(repo)
    report = GenerationReport()
    for module, missing in coverage.untested():
        if paths and module.path not in paths:
            continue
        importing = coverage.tests_importing(module.module)
        test_file = importing[0].path if importing else suggested_test_file(coverage.layout,
                                                                            module)
        plan = plan_module(repo, module, missing, test_file)
        report.skipped += [f"{module.path}: {name}" for name in plan.skipped]
        accepted = []
        for test in plan.tests:
            problems = validate(render_file(ModulePlan(module, test_file, [test]), ""),
                                module.module)
            if problems:
                report.rejected.append((test.name, "; ".join(problems)))
            else:
                accepted.append(test)
        if not accepted:
            continue
        target = repo / test_file
        before = target.read_text(encoding="utf-8") if target.is_file() else None
        target.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(2):  # run; drop what fails (reported); run what is left once more
            plan.tests = accepted
            target.write_text(render_file(plan, before or ""), encoding="utf-8")
            passed, output = run_tests(repo, test_file)
            if passed:
                break
            failing = set(re.findall(rf"FAILED {re.escape(test_file)}::(\w+)", output))
            kept = [t for t in accepted if _test_name(t) not in failing]
            for test in accepted:
                if _test_name(test) in failing:
                    report.failed.append((f"{test_file}::{_test_name(test)}", output[-3000:]))
            if not failing or not kept:
                accepted = []
                break
            accepted = kept
        if accepted and passed:
            report.written += [(test_file, _test_name(t)) for t in accepted]
        elif before is None:
            target.unlink()
        else:
            target.write_text(before, encoding="utf-8")
    if paths and not any(m.path in paths for m in coverage.sources):
        raise MicrogateError(f"no source module among {', '.join(paths)}")
    return report
