"""Tests from what a definition is, beyond its doctest examples.

- An ``Enum``: every member is found again by its value and its name, and the members
  and values are the ones recorded today.
- A dataclass: an instance built from its fields' types (hypothesis' ``builds``) equals
  its copy; a pydantic model: it survives ``model_dump`` then ``model_validate``.
- Invariants worth asserting when they hold: a one-argument function from a type to the
  same type that is idempotent (``f(f(x)) == f(x)``), and a pair that round-trips
  (``loads(dumps(x)) == x``: dumps/loads, encode/decode, to_x/from_x...).
- Recorded answers: a typed function without side effects is called on a few chosen
  inputs (in the sandbox), and what it returns or raises today becomes assertions. These
  tests catch a changed constant, comparison or branch, which "returns a str" cannot.

Invariant tests are speculative: one that fails is dropped without a word.
"""

from __future__ import annotations

import ast
import builtins
import datetime
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENUM_BASES = {"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"}
ROUND_TRIPS = [("dumps", "loads"), ("dump", "load"), ("encode", "decode"),
               ("serialize", "deserialize"), ("serialise", "deserialise"),
               ("compress", "decompress"), ("encrypt", "decrypt"), ("quote", "unquote"),
               ("escape", "unescape"), ("pack", "unpack")]
# Values a recorded test calls a parameter of each type with: ordinary and edge cases.
SAMPLES: dict[str, list[Any]] = {
    # The first value of each is the ordinary one the other parameters are held at.
    "int": [7, 0, 1, -1, 42, 1000, 123456789, -5000],
    "float": [12.5, 0.0, 1.5, -2.25, 0.001, 1234.5678, 1e6, 123456789.123],
    "str": ["Hello, World", "", "a", "  spaced  ", "MiXeD Case 42", "ünïcödé", "a-b_c.d"],
    "bool": [True, False],
    "list[int]": [[3, 1, 2], [], [5, 5, 1], [-2, 0, 7, 7]],
    "list[str]": [["b", "a", "c"], [], ["x", "x"], ["Hello", "world"]],
    "bytes": [b"", b"abc", b"\x00\xff"],
    "None": [None],
    # Durations only: a recorded answer about a date would change as the calendar does.
    "timedelta": [datetime.timedelta(0), datetime.timedelta(seconds=1),
                  datetime.timedelta(minutes=5, seconds=30), datetime.timedelta(hours=3),
                  datetime.timedelta(days=1), datetime.timedelta(days=45),
                  datetime.timedelta(days=800), datetime.timedelta(seconds=-30)],
}
# A function whose answer depends on the clock or chance has no answer to record.
UNSTABLE = ("now(", "today(", "time(", "random", "uuid", "environ", "getenv")
MAX_CALLS = 24
MAX_REPR = 240
PROBE_TIMEOUT_SECONDS = 60.0
CALL_TIMEOUT_SECONDS = 2


def _decorator_names(node: ast.ClassDef) -> set[str]:
    names = set()
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute):
            names.add(target.attr)
        elif isinstance(target, ast.Name):
            names.add(target.id)
    return names


def _base_names(node: ast.ClassDef) -> set[str]:
    return {b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "")
            for b in node.bases}


def class_kind(node: ast.ClassDef) -> str | None:
    """"enum", "dataclass", "pydantic" or None."""
    if _base_names(node) & ENUM_BASES:
        return "enum"
    if "dataclass" in _decorator_names(node):
        return "dataclass"
    if "BaseModel" in _base_names(node):
        return "pydantic"
    return None


def class_tests(name: str, node: ast.ClassDef) -> list[tuple[str, str]]:
    """(kind, source) of the tests a class's shape allows."""
    kind = class_kind(node)
    if kind == "enum":
        return [("example", (
            f"def test_{name}_members_are_found_by_value_and_name():\n"
            f"    for member in {name}:\n"
            f"        assert {name}(member.value) is member\n"
            f"        assert {name}[member.name] is member\n"))]
    if kind == "dataclass":
        return [("invariant", (
            f"@given(st.builds({name}))\n"
            f"def test_{name}_equals_its_copy(value):\n"
            "    assert dataclasses.replace(value) == value\n"))]
    if kind == "pydantic":
        return [("invariant", (
            f"@given(st.builds({name}))\n"
            f"def test_{name}_survives_a_round_trip(value):\n"
            f"    assert {name}.model_validate(value.model_dump()) == value\n"))]
    return []


# Types, from annotations --------------------------------------------------------------

def type_aliases(tree: ast.Module) -> dict[str, ast.expr]:
    """``NumberOrString: TypeAlias = float | str`` and the like, at the module's top
    level (also under ``if TYPE_CHECKING:``)."""
    aliases: dict[str, ast.expr] = {}
    statements = list(tree.body)
    for statement in tree.body:
        if isinstance(statement, ast.If):
            statements += statement.body
    for statement in statements:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name) \
                and statement.value is not None:
            aliases[statement.target.id] = statement.value
        elif isinstance(statement, ast.Assign) and len(statement.targets) == 1 and \
                isinstance(statement.targets[0], ast.Name) and \
                isinstance(statement.value, ast.BinOp | ast.Subscript | ast.Name):
            aliases[statement.targets[0].id] = statement.value
    return aliases


def type_names(annotation: ast.expr | None, aliases: dict[str, ast.expr] | None = None,
               depth: int = 0) -> list[str] | None:
    """The sample types an annotation allows (``float | str`` -> float, str), or None
    when it names something this module has no samples for."""
    if annotation is None or depth > 8:
        return None
    aliases = aliases or {}
    if isinstance(annotation, ast.Name) and annotation.id in aliases and \
            annotation.id not in SAMPLES:
        return type_names(aliases[annotation.id], aliases, depth + 1)
    if isinstance(annotation, ast.Attribute) and annotation.attr in ("timedelta", "date",
                                                                      "datetime"):
        return [annotation.attr]
    if isinstance(annotation, ast.Name) and annotation.id in ("timedelta", "date",
                                                             "datetime"):
        return [annotation.id]
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(annotation, ast.Constant) and annotation.value is None:
        return ["None"]
    if isinstance(annotation, ast.Name) and annotation.id in SAMPLES:
        return [annotation.id]
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        left = type_names(annotation.left, aliases, depth + 1)
        right = type_names(annotation.right, aliases, depth + 1)
        return left + right if left is not None and right is not None else None
    if isinstance(annotation, ast.Subscript):
        outer = annotation.value
        outer_name = outer.attr if isinstance(outer, ast.Attribute) else getattr(outer, "id", "")
        if outer_name in ("list", "List", "Sequence", "Iterable"):
            inner = type_names(annotation.slice, aliases, depth + 1)
            if inner in (["int"], ["str"]):
                return [f"list[{inner[0]}]"]
            return None
        if outer_name == "Optional":
            inner = type_names(annotation.slice, aliases, depth + 1)
            return inner + ["None"] if inner is not None else None
        if outer_name == "Union" and isinstance(annotation.slice, ast.Tuple):
            parts = [type_names(e, aliases, depth + 1) for e in annotation.slice.elts]
            return None if any(p is None for p in parts) else \
                [t for p in parts for t in p or []]
    return None


def _default_type(node: ast.expr) -> list[str] | None:
    if isinstance(node, ast.Constant):
        kind = "None" if node.value is None else type(node.value).__name__
        return [kind] if kind in SAMPLES else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
        return _default_type(node.operand)
    return None


@dataclass(frozen=True)
class Parameter:
    name: str
    types: list[str]
    required: bool
    keyword_only: bool


def example_types(name: str, function: ast.FunctionDef) -> dict[str | int, list[str]]:
    """The types of the literal arguments the docstring's examples call ``name`` with,
    by position and by keyword: how the function is meant to be called."""
    import doctest

    found: dict[str | int, list[str]] = {}
    docstring = ast.get_docstring(function) or ""
    try:
        examples = doctest.DocTestParser().get_examples(docstring)
    except ValueError:
        return found
    for example in examples:
        try:
            tree = ast.parse(example.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == name):
                continue
            keyed: list[tuple[str | int, ast.expr]] = [
                *enumerate(node.args), *((k.arg, k.value) for k in node.keywords if k.arg)]
            for key, value in keyed:
                try:
                    literal = ast.literal_eval(value)
                except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                    continue
                kind = "None" if literal is None else type(literal).__name__
                if kind in SAMPLES and kind not in found.setdefault(key, []):
                    found[key].append(kind)
    return found


def parameters(function: ast.FunctionDef, aliases: dict[str, ast.expr] | None = None
               ) -> list[Parameter] | None:
    """The parameters a recorded test can fill, or None when a required one has no
    type it has samples for (from its annotation, its default, or the docstring's
    examples)."""
    from_examples = example_types(function.name, function)
    args = function.args
    if args.posonlyargs:
        return None
    positional = args.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + \
        list(args.defaults)
    found = []
    for position, (arg, default) in enumerate([
            *zip(positional, defaults, strict=True),
            *zip(args.kwonlyargs, args.kw_defaults, strict=True)]):
        if arg.arg in ("self", "cls"):
            return None
        types = type_names(arg.annotation, aliases)
        shown = from_examples.get(position, []) + from_examples.get(arg.arg, [])
        if shown and (types is None or not set(shown) <= set(types)):
            types = list(dict.fromkeys(shown + (types or [])))
        if types is None and default is not None:
            types = _default_type(default)
        if types is None:
            if default is None:
                return None
            continue  # an optional parameter left at its default
        found.append(Parameter(arg.arg, [t for t in types if t != "None"] or ["None"],
                               default is None, arg in args.kwonlyargs))
    return found


def boundaries(function: ast.FunctionDef) -> list[int | float]:
    """The numbers the function's body compares with or computes from, and their
    neighbours: where an off-by-one or a flipped comparison shows."""
    found: list[int | float] = []
    for node in ast.walk(function):
        if not isinstance(node, ast.Constant) or isinstance(node.value, bool):
            continue
        if isinstance(node.value, int):
            found += [node.value, node.value - 1, node.value + 1]
        elif isinstance(node.value, float):
            found.append(node.value)
    return list(dict.fromkeys(found))[:12]


def neighbour_samples(test_sources: list[str]) -> dict[str, list[Any]]:
    """Literal arguments the module's existing tests call its functions with, by type:
    how this code is really called."""
    found: dict[str, list[Any]] = {}
    for source in test_sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for argument in [*node.args, *(k.value for k in node.keywords)]:
                try:
                    value = ast.literal_eval(argument)
                except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                    continue
                kind = type(value).__name__
                if kind in ("int", "float", "str", "bytes") and value not in found.get(kind, []):
                    found.setdefault(kind, []).append(value)
    return {kind: values[:6] for kind, values in found.items()}


def calls_for(params: list[Parameter], edges: list[int | float] | None = None,
              seen: dict[str, list[Any]] | None = None
              ) -> list[tuple[list[Any], dict[str, Any]]]:
    """A few calls: each required parameter through its samples (and the function's own
    boundary numbers) with the others at an ordinary value, then each optional one set
    beside them."""
    required = [p for p in params if p.required and not p.keyword_only]
    optional = [p for p in params if not p.required or p.keyword_only]
    if any(p.required and p.keyword_only for p in params):
        return []

    def pool(param: Parameter) -> list[Any]:
        values = [v for t in param.types for v in SAMPLES.get(t, [])[:1]]
        values += [v for t in param.types for v in (seen or {}).get(t, [])]
        values += [v for t in param.types for v in SAMPLES.get(t, [])[1:]]
        for edge in edges or []:
            if "float" in param.types:
                values.append(float(edge))
            elif "int" in param.types and isinstance(edge, int):
                values.append(edge)
        unique: list[Any] = []
        for value in values:
            if not any(value == kept and type(value) is type(kept) for kept in unique):
                unique.append(value)
        return unique

    pools = {p.name: pool(p) for p in params}
    if any(not pools[p.name] for p in params if p.required):
        return []
    params = [p for p in params if pools[p.name]]
    base = [pools[p.name][0] for p in required]
    calls: list[tuple[list[Any], dict[str, Any]]] = []
    if not required:
        calls.append(([], {}))
    for index, param in enumerate(required):
        for value in pools[param.name]:
            args = list(base)
            args[index] = value
            calls.append((args, {}))
    for param in optional:
        for value in pools[param.name][:3]:
            calls.append((list(base), {param.name: value}))
    unique = []
    for call in calls:
        if call not in unique:
            unique.append(call)
    if len(unique) > MAX_CALLS:  # keep the spread: every k-th call
        step = len(unique) / MAX_CALLS
        unique = [unique[int(i * step)] for i in range(MAX_CALLS)]
    return unique


# Recording ------------------------------------------------------------------------------

PROBE = '''
import builtins, datetime, importlib, json, signal, sys
sys.path[:0] = {roots!r}
module = importlib.import_module({module!r})
def stop(signum, frame):
    raise TimeoutError("probe call too slow")
signal.signal(signal.SIGALRM, stop)
answers = []
slow = set()
for kind, name, args, kwargs in {calls!r}:
    if name in slow:
        answers.append(["slow"])
        continue
    signal.alarm({seconds})
    try:
        target = getattr(module, name)
        if kind == "enum":
            value = [(member.name, member.value) for member in target]
        else:
            value = target(*args, **kwargs)
        answers.append(["ok", repr(value)])
    except TimeoutError:
        slow.add(name)
        answers.append(["slow"])
    except Exception as exc:
        kind_name = type(exc).__name__
        where = ("builtins" if getattr(builtins, kind_name, None) is type(exc) else
                 "module" if getattr(module, kind_name, None) is type(exc) else "other")
        answers.append(["raise", kind_name, where])
    finally:
        signal.alarm(0)
print({marker!r} + json.dumps(answers))
'''


@dataclass(frozen=True)
class Probe:
    kind: str  # "call" or "enum"
    name: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()


def record(repo: Path, module: str, probes: list[Probe], roots: list[str],
           sandboxed: bool) -> list[list[Any] | None]:
    """What each probe gives, run twice (an answer that differs is dropped as
    nondeterministic); None for a probe with no stable answer."""
    from scaffold import sandbox

    if not probes:
        return []
    marker = f"microgate-probe-{os.getpid()}-{id(probes)}:"
    script = PROBE.format(roots=roots, module=module, seconds=CALL_TIMEOUT_SECONDS,
                          marker=marker, calls=[
                              (p.kind, p.name, list(p.args), dict(p.kwargs)) for p in probes])
    runs = []
    for _ in range(2):
        # The script goes on the command line: the sandbox has a /tmp of its own.
        result = sandbox.run([sys.executable, "-I", "-c", script], repo,
                             timeout=PROBE_TIMEOUT_SECONDS,
                             env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1",
                                  "PYTHONHASHSEED": "0"},
                             sandboxed=sandboxed)
        line = next((line for line in result.output.splitlines()
                     if line.startswith(marker)), None)
        if line is None:
            return [None] * len(probes)
        try:
            answers = json.loads(line[len(marker):])
        except ValueError:
            return [None] * len(probes)
        if not isinstance(answers, list) or len(answers) != len(probes):
            return [None] * len(probes)
        runs.append(answers)
    return [first if first == second and first and first[0] in ("ok", "raise") else None
            for first, second in zip(runs[0], runs[1], strict=True)]


def _literal(text: str) -> bool:
    if len(text) > MAX_REPR:
        return False
    try:
        ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return True


def _call_source(name: str, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]) -> str:
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs]
    return f"{name}({', '.join(parts)})"


def recorded_test(name: str, probes: list[Probe], answers: list[list[Any] | None]
                  ) -> tuple[str, set[str]] | None:
    """The test asserting the recorded answers, and the exception names it imports from
    the module; None when nothing recorded can be asserted."""
    lines: list[str] = []
    raised: set[str] = set()
    seen_raise = set()
    for probe, answer in zip(probes, answers, strict=True):
        if answer is None:
            continue
        if probe.kind == "enum" and answer[0] == "ok" and _literal(answer[1]):
            lines.append(f"    assert [(member.name, member.value) for member in {name}] == "
                         f"{answer[1]}")
            continue
        call = _call_source(name, probe.args, probe.kwargs)
        if answer[0] == "ok" and _literal(answer[1]):
            value = ast.literal_eval(answer[1])
            if isinstance(value, float) and value != value:
                continue
            lines.append(f"    assert {call} == {answer[1]}")
        elif answer[0] == "raise" and answer[2] in ("builtins", "module") and \
                answer[1].isidentifier():
            exception = str(answer[1])
            if exception in ("RecursionError", "MemoryError", "TimeoutError") or \
                    (exception, call) in seen_raise:
                continue
            seen_raise.add((exception, call))
            if answer[2] == "module":
                raised.add(exception)
            elif not isinstance(getattr(builtins, exception, None), type):
                continue
            lines.append(f"    with pytest.raises({exception}):\n        {call}")
    if not lines:
        return None
    doc = (f'    """What {name} gives today for these inputs, recorded by microgate: a '
           'change here is a\n    change in behaviour; update the test only when it is meant."""')
    return (f"def test_{name}_recorded_answers():\n{doc}\n" + "\n".join(lines) + "\n",
            raised)


def probes_for(name: str, node: ast.AST, aliases: dict[str, ast.expr] | None = None,
               seen: dict[str, list[Any]] | None = None) -> list[Probe]:
    if isinstance(node, ast.ClassDef):
        return [Probe("enum", name)] if class_kind(node) == "enum" else []
    if not isinstance(node, ast.FunctionDef):
        return []
    body = node.body[1:] if ast.get_docstring(node) is not None else node.body
    if any(word in ast.unparse(statement) for statement in body for word in UNSTABLE):
        return []
    params = parameters(node, aliases)
    if params is None:
        return []
    return [Probe("call", name, tuple(args), tuple(sorted(kwargs.items())))
            for args, kwargs in calls_for(params, boundaries(node), seen)]


# Properties and invariants ------------------------------------------------------------

STRATEGY_FOR = {
    "int": "st.integers(min_value=-10**6, max_value=10**6)",
    "float": "st.floats(allow_nan=False, allow_infinity=False, width=32)",
    "str": "st.text(max_size=40)",
    "bool": "st.booleans()",
    "bytes": "st.binary(max_size=40)",
    "None": "st.none()",
    "timedelta": "st.timedeltas(min_value=datetime.timedelta(days=-3650), "
                 "max_value=datetime.timedelta(days=3650))",
    "date": "st.dates()",
    "datetime": "st.datetimes()",
    "list[int]": "st.lists(st.integers(min_value=-1000, max_value=1000), max_size=20)",
    "list[str]": "st.lists(st.text(max_size=10), max_size=20)",
}
PYTHON_TYPE = {"int": "int", "float": "float", "str": "str", "bool": "bool",
               "bytes": "bytes", "list[int]": "list", "list[str]": "list",
               "timedelta": "datetime.timedelta", "date": "datetime.date",
               "datetime": "datetime.datetime"}


def _strategy(types: list[str]) -> str | None:
    known = [STRATEGY_FOR[t] for t in dict.fromkeys(types) if t in STRATEGY_FOR]
    if len(known) != len(set(types)):
        return None
    return known[0] if len(known) == 1 else f"st.one_of({', '.join(known)})"


def property_tests(name: str, function: ast.FunctionDef, aliases: dict[str, ast.expr],
                   raised: list[str]) -> list[str]:
    """For a function whose required parameters and answer are typed: it answers with
    its annotated type, and the same inputs give the same answer."""
    args = function.args
    if args.vararg or args.posonlyargs:
        return []
    returns = type_names(function.returns, aliases)
    checks = [PYTHON_TYPE[t] for t in returns or [] if t in PYTHON_TYPE]
    if not returns or len(checks) != len([t for t in returns if t != "None"]):
        return []
    required = []
    defaults = len(args.args) - len(args.defaults)
    for index, arg in enumerate(args.args):
        if index >= defaults:
            break
        types = type_names(arg.annotation, aliases)
        strategy = _strategy(types) if types else None
        if strategy is None:
            return []
        required.append((arg.arg, strategy))
    if not required or any(d is None for d in args.kw_defaults):
        return []
    given = ", ".join(f"{param}={strategy}" for param, strategy in required)
    signature = ", ".join(param for param, _ in required)
    call = f"{name}({signature})"
    kinds = checks[0] if len(checks) == 1 else f"({', '.join(checks)})"
    accepts_none = "None" in returns
    is_kind = (f"result is None or isinstance(result, {kinds})" if accepts_none
               else f"isinstance(result, {kinds})")
    label = re.sub(r"\W+", "_", "_or_".join(t.lower() for t in returns)).strip("_")
    if raised:
        # The errors the function raises on purpose are answers too: skip those inputs.
        caught = raised[0] if len(raised) == 1 else f"({', '.join(raised)})"
        first = (f"    try:\n        result = {call}\n    except {caught}:\n"
                 "        assume(False)\n")
    else:
        first = f"    result = {call}\n"
    return [
        f"@given({given})\ndef test_{name}_returns_{label}({signature}):\n{first}"
        f"    assert {is_kind}\n",
        f"@given({given})\ndef test_{name}_gives_the_same_answer_twice({signature}):\n"
        f"{first}    assert {call} == result\n",
    ]


def _single_typed(function: ast.FunctionDef) -> str | None:
    """The type of a function's one required parameter when it returns the same type."""
    params = parameters(function)
    if not params:
        return None
    required = [p for p in params if p.required]
    returns = type_names(function.returns)
    if len(required) != 1 or len(required[0].types) != 1 or returns != required[0].types:
        return None
    kind = required[0].types[0]
    return kind if kind in STRATEGY_FOR else None


def invariant_tests(functions: dict[str, ast.FunctionDef], missing: set[str]
                    ) -> list[tuple[str, str]]:
    """(function name, source) of the idempotence, ordering and round-trip tests to
    try."""
    tests = []
    for name in sorted(missing & set(functions)):
        kind = _single_typed(functions[name])
        if kind is not None:
            tests.append((name, (
                f"@given(value={STRATEGY_FOR[kind]})\n"
                f"def test_{name}_is_idempotent(value):\n"
                f"    once = {name}(value)\n"
                f"    assert {name}(once) == once\n")))
        if kind in ("list[int]", "list[str]"):
            # Ordering: a function that sorts, or reorders without losing anything.
            tests.append((name, (
                f"@given(value={STRATEGY_FOR[kind]})\n"
                f"def test_{name}_answers_in_order(value):\n"
                f"    result = {name}(value)\n"
                f"    assert result == sorted(result)\n")))
            tests.append((name, (
                f"@given(value={STRATEGY_FOR[kind]})\n"
                f"def test_{name}_keeps_every_item(value):\n"
                f"    assert sorted({name}(value)) == sorted(value)\n")))
    for forward, backward in _round_trip_pairs(set(functions)):
        if forward not in missing and backward not in missing:
            continue
        params = parameters(functions[forward])
        if not params:
            continue
        required = [p for p in params if p.required]
        if len(required) != 1 or required[0].types[0] not in STRATEGY_FOR:
            continue
        strategy = STRATEGY_FOR[required[0].types[0]]
        tests.append((forward, (
            f"@given(value={strategy})\n"
            f"def test_{backward}_undoes_{forward}(value):\n"
            f"    assert {backward}({forward}(value)) == value\n")))
    return tests


def _round_trip_pairs(names: set[str]) -> list[tuple[str, str]]:
    pairs = []
    for forward, backward in ROUND_TRIPS:
        for name in sorted(names):
            if name.endswith(forward) and name[: -len(forward)] + backward in names:
                pairs.append((name, name[: -len(forward)] + backward))
    for name in sorted(names):
        if name.startswith("to_") and f"from_{name[3:]}" in names:
            pairs.append((name, f"from_{name[3:]}"))
    return pairs
