"""Do a function's tests catch a small bug in it? Mutation testing, small and offline.

Each mutant is the module with one plausible slip in one function: a comparison flipped
(``<`` for ``<=``, ``==`` for ``!=``), a constant changed, ``and`` for ``or``, ``+`` for
``-``, a branch dropped, an early return taken, a ``not`` left out. The tests run on a
copy of the repo with each mutant in place; a mutant is killed when they fail. The
share killed is the measure that says a test is worth more than its count.
"""

from __future__ import annotations

import ast
import copy
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

MAX_MUTANTS = 24
COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
    ast.In: ast.NotIn, ast.NotIn: ast.In,
}
BINOP_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult, ast.Mod: ast.FloorDiv,
}
COPY_IGNORE = shutil.ignore_patterns(".git", ".venv", "venv", "__pycache__", "node_modules",
                                     ".tox", ".nox", ".mypy_cache", ".pytest_cache")


@dataclass(frozen=True)
class Mutant:
    function: str
    line: int
    description: str
    source: str  # the whole module with the one change


@dataclass
class MutationScore:
    killed: int = 0
    total: int = 0
    survivors: list[Mutant] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.killed / self.total if self.total else 0.0


def _target(tree: ast.Module, function: str) -> ast.AST | None:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and \
                node.name == function:
            return node
    return None


def _is_docstring(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    parent = parents.get(node)
    return isinstance(parent, ast.Expr) and isinstance(parents.get(parent), (
        ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module))


def _inside_raise(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """An error's message: rewording it is no bug a test should catch."""
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.Raise):
            return True
    return False


Change = tuple[str, Callable[[ast.AST], None]]


def _changes(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> Iterator[Change]:
    """The slips one node allows: (description, how to make it on a copy of the node)."""
    if isinstance(node, ast.Compare):
        for index, op in enumerate(node.ops):
            swap = COMPARE_SWAPS.get(type(op))
            if swap is not None:
                def flip(n: ast.AST, i: int = index, s: type[ast.cmpop] = swap) -> None:
                    n.ops[i] = s()  # type: ignore[attr-defined]
                yield (f"{type(op).__name__} -> {swap.__name__}", flip)
    elif isinstance(node, ast.BinOp):
        swap_op = BINOP_SWAPS.get(type(node.op))
        if swap_op is not None:
            def binop(n: ast.AST, s: type[ast.operator] = swap_op) -> None:
                n.op = s()  # type: ignore[attr-defined]
            yield (f"{type(node.op).__name__} -> {swap_op.__name__}", binop)
    elif isinstance(node, ast.BoolOp):
        other: type[ast.boolop] = ast.Or if isinstance(node.op, ast.And) else ast.And
        def boolop(n: ast.AST, s: type[ast.boolop] = other) -> None:
            n.op = s()  # type: ignore[attr-defined]
        yield (f"{type(node.op).__name__} -> {other.__name__}", boolop)
    elif isinstance(node, ast.Constant) and not _is_docstring(node, parents):
        value = node.value
        if isinstance(value, bool):
            def negate(n: ast.AST) -> None:
                n.value = not n.value  # type: ignore[attr-defined]
            yield (f"{value} -> {not value}", negate)
        elif isinstance(value, int):
            def bump(n: ast.AST) -> None:
                n.value = n.value + 1  # type: ignore[attr-defined]
            yield (f"{value} -> {value + 1}", bump)
        elif isinstance(value, float):
            def scale(n: ast.AST) -> None:
                n.value = n.value * 2 + 1  # type: ignore[attr-defined]
            yield (f"{value} -> {value * 2 + 1}", scale)
        elif isinstance(value, str) and value and not isinstance(
                parents.get(node), ast.JoinedStr) and not _inside_raise(node, parents):
            def extend(n: ast.AST) -> None:
                n.value = n.value + "XX"  # type: ignore[attr-defined]
            yield (f"{value[:20]!r} -> {value[:20] + 'XX'!r}", extend)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield ("not dropped", lambda n: None)  # replaced by its operand in _mutate
    elif isinstance(node, ast.If):
        yield ("branch dropped", lambda n: setattr(n, "test", ast.Constant(False)))
        if node.body and isinstance(node.body[-1], ast.Return):
            yield ("early return always taken",
                   lambda n: setattr(n, "test", ast.Constant(True)))


def mutants(source: str, function: str) -> list[Mutant]:
    """Up to MAX_MUTANTS mutants of ``function`` (a module-level function or class),
    spread over its body."""
    tree = ast.parse(source)
    target = _target(tree, function)
    if target is None:
        return []
    parents = {child: parent for parent in ast.walk(target)
               for child in ast.iter_child_nodes(parent)}
    nodes = [node for node in ast.walk(target) if node is not target]
    wanted = [(index, description, change) for index, node in enumerate(nodes)
              for description, change in _changes(node, parents)]
    if len(wanted) > MAX_MUTANTS:
        step = len(wanted) / MAX_MUTANTS
        wanted = [wanted[int(i * step)] for i in range(MAX_MUTANTS)]
    found = []
    for index, description, change in wanted:
        mutated_tree = copy.deepcopy(tree)
        mutated_target = _target(mutated_tree, function)
        assert mutated_target is not None
        mutated_nodes = [n for n in ast.walk(mutated_target) if n is not mutated_target]
        node = mutated_nodes[index]
        if description == "not dropped":
            _replace(mutated_target, node, node.operand)  # type: ignore[attr-defined]
        else:
            change(node)
        try:
            text = ast.unparse(ast.fix_missing_locations(mutated_tree))
            compile(text, "<mutant>", "exec")
        except (SyntaxError, ValueError, RecursionError):
            continue
        found.append(Mutant(function, getattr(nodes[index], "lineno", 0), description, text))
    return found


def _replace(root: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for parent in ast.walk(root):
        for name, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, name, new)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new


def score(repo: Path, module_path: str, function: str, test_ids: list[str], *,
          sandboxed: bool) -> MutationScore | None:
    """How many of ``function``'s mutants the tests ``test_ids`` catch; None when the
    tests do not pass on the unchanged code (nothing to measure)."""
    from scaffold.generation.testgen import run_tests
    from scaffold.generation.testserver import TestSession

    source = (repo / module_path).read_text(encoding="utf-8")
    candidates = mutants(source, function)
    result = MutationScore()
    if not candidates or not test_ids:
        return result
    with tempfile.TemporaryDirectory(prefix="microgate-mutants-") as scratch:
        work = Path(scratch) / "repo"
        shutil.copytree(repo, work, ignore=COPY_IGNORE, symlinks=True)
        path = [str(work), str(work / "src")]
        test_file = test_ids[0].split("::", 1)[0]
        with TestSession(work, sandboxed=sandboxed, pythonpath=path) as session:
            if not run_tests(work, test_file, sandboxed=sandboxed, select=test_ids,
                             session=session).passed:
                return None
            target = work / module_path
            for mutant in candidates:
                target.write_text(mutant.source, encoding="utf-8")
                run = run_tests(work, test_file, sandboxed=sandboxed, select=test_ids,
                                stop_early=True, session=session)
                result.total += 1
                if run.passed:
                    result.survivors.append(mutant)
                else:
                    result.killed += 1
    return result
