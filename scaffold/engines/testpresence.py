"""Which public functions and classes have a real test: static analysis, no test is run.

A source module is covered when some test module imports it; a public name is covered
when a test that *asserts something* refers to it. A test asserts something when it has
an ``assert`` on a non-constant, a ``pytest.raises``/``pytest.warns`` block or call, or a
unittest ``self.assert*`` call. ``assert True``, a bare ``pass``, a test that only skips,
or a test file that never imports the module do not count.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

from scaffold.errors import MicrogateError
from scaffold.records import FrozenRecord, Record

DEFAULT_TEST_DIRS = ("tests",)
DEFAULT_SOURCE_CANDIDATES = ("app", "src")
ASSERTING_CALLS = {"raises", "warns", "deprecated_call"}
MAX_SOURCE_BYTES = 2_000_000


# Records, not dataclasses: the hook imports this module (scaffold/records.py).
class Layout(FrozenRecord):
    """Where the app's code and its tests live (``[tool.microgate]`` in pyproject.toml)."""

    __slots__ = ("source", "tests")

    def __init__(self, source: tuple[str, ...], tests: tuple[str, ...]) -> None:
        self.source = source
        self.tests = tests


class PublicName(FrozenRecord):
    __slots__ = ("module", "name", "kind", "line")

    def __init__(self, module: str, name: str, kind: str, line: int) -> None:
        self.module = module
        self.name = name
        self.kind = kind  # "function" or "class"
        self.line = line


class SourceModule(Record):
    __slots__ = ("path", "module", "names")

    def __init__(self, path: str, module: str, names: list[PublicName]) -> None:
        self.path = path
        self.module = module
        self.names = names


class TestModule(Record):
    __slots__ = ("path", "imported_modules", "covered", "asserting_tests", "hollow_tests",
                 "hollow_reasons", "unchecked", "mocked")

    def __init__(self, path: str, imported_modules: set[str]) -> None:
        self.path = path
        self.imported_modules = imported_modules
        # qualified names ("app.core.build_greeting") referred to by asserting tests
        self.covered: set[str] = set()
        self.asserting_tests = 0
        self.hollow_tests: list[tuple[str, int]] = []
        # why each hollow test checks nothing, by its name
        self.hollow_reasons: dict[str, str] = {}
        # names referred to only by tests that check nothing, and names only mocked
        self.unchecked: set[str] = set()
        self.mocked: set[str] = set()


class Coverage(Record):
    __slots__ = ("layout", "sources", "tests", "problems")

    def __init__(self, layout: Layout, sources: list[SourceModule], tests: list[TestModule],
                 problems: list[tuple[str, int | None, str]]) -> None:
        self.layout = layout
        self.sources = sources
        self.tests = tests
        self.problems = problems

    def tests_importing(self, module: str) -> list[TestModule]:
        return [t for t in self.tests if module in t.imported_modules]

    def is_covered(self, name: PublicName) -> bool:
        qualified = f"{name.module}.{name.name}"
        return any(qualified in t.covered for t in self.tests)

    def why_untested(self, name: PublicName) -> str:
        """``never-called``, ``only-mocked`` or ``nothing-checked`` for an uncovered name
        whose module some test imports."""
        qualified = f"{name.module}.{name.name}"
        importing = self.tests_importing(name.module)
        if any(qualified in t.mocked for t in importing):
            return "only-mocked"
        if any(qualified in t.unchecked for t in importing):
            return "nothing-checked"
        return "never-called"

    def untested(self) -> Iterator[tuple[SourceModule, list[PublicName]]]:
        for source in self.sources:
            missing = [n for n in source.names if not self.is_covered(n)]
            if missing:
                yield source, missing


def read_layout(repo: Path) -> Layout:
    pyproject = repo / "pyproject.toml"
    config: dict[str, object] = {}
    if pyproject.is_file():
        try:
            from scaffold import tomlio

            data = tomlio.load(pyproject.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            raise MicrogateError("pyproject.toml is not UTF-8 text") from None
        except ValueError as exc:  # tomllib's TOMLDecodeError
            raise MicrogateError(f"pyproject.toml is not valid TOML: {exc}") from None
        tool = data.get("tool", {})
        config = tool.get("microgate", {}) if isinstance(tool, dict) else {}
        if not isinstance(config, dict):
            raise MicrogateError("pyproject.toml: [tool.microgate] must be a table")

    def folders(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = config.get(key, default)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise MicrogateError(
                f"pyproject.toml: [tool.microgate] {key} must be a list of folder names"
            )
        return tuple(v.strip("/") for v in value)

    source_default = tuple(d for d in DEFAULT_SOURCE_CANDIDATES if (repo / d).is_dir())[:1]
    return Layout(folders("source", source_default), folders("tests", DEFAULT_TEST_DIRS))


def module_name(repo: Path, path: Path, source_root: str) -> str:
    """``app/core.py`` -> ``app.core``; ``src/pkg/mod.py`` (src layout) -> ``pkg.mod``."""
    root = repo / source_root
    base = repo if (root / "__init__.py").is_file() else root
    parts = list(path.relative_to(base).with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _parse(path: Path, display: str, problems: list[tuple[str, int | None, str]]
           ) -> ast.Module | None:
    from scaffold.safefiles import SkippedFile, read_bytes

    try:
        data = read_bytes(path.parent, path.name, max_bytes=MAX_SOURCE_BYTES, display=display)
        if b"\0" in data:
            problems.append((display, None, "is a binary file, not Python source"))
            return None
        return ast.parse(data, filename=display)
    except SkippedFile as exc:
        problems.append((display, None, f"skipped: {exc.why}"))
    except SyntaxError as exc:
        problems.append((display, exc.lineno, f"cannot be parsed: {exc.msg}"))
    except (RecursionError, MemoryError):
        problems.append((display, None, "cannot be parsed: nested too deeply"))
    except (OSError, ValueError) as exc:
        problems.append((display, None, f"cannot be read: {exc}"))
    return None


def public_names(tree: ast.Module, module: str) -> list[PublicName]:
    names = []
    listed = _all_names(tree)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name.startswith("_") or listed is not None and node.name not in listed:
                continue
            if isinstance(node, ast.ClassDef) and any(
                    (_dotted(base.value if isinstance(base, ast.Subscript) else base)
                     or "").rsplit(".", 1)[-1] in TYPE_ONLY_BASES for base in node.bases):
                continue  # a type for checkers (Protocol, TypedDict): no behaviour to test
            kind = "class" if isinstance(node, ast.ClassDef) else "function"
            names.append(PublicName(module, node.name, kind, node.lineno))
    return names


TYPE_ONLY_BASES = {"Protocol", "TypedDict"}


def _is_constant(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return all(_is_constant(e) for e in node.elts)
    return isinstance(node, ast.UnaryOp) and _is_constant(node.operand)


def _is_tautology(node: ast.expr) -> bool:
    """``1 == 1``, ``x == x``, ``"a" in "abc"``: true whatever the code under test does."""
    if _is_constant(node):
        return True
    if isinstance(node, ast.Compare):
        operands = [node.left, *node.comparators]
        if all(_is_constant(o) for o in operands):
            return True
        dumps = {ast.dump(o) for o in operands}
        return len(dumps) == 1 and not any(isinstance(o, ast.Call) for o in operands)
    if isinstance(node, ast.BoolOp):
        return all(_is_tautology(v) for v in node.values)
    return False


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _self_assert(node: ast.Call) -> bool:
    name = _call_name(node)
    return (name.startswith("assert") and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "self")


def hollow_reason(function: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """Why a test checks nothing, or None when it checks something."""
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        dotted = _dotted(target) or ""
        if dotted.endswith(("mark.skip", "unittest.skip")) or dotted == "skip":
            return "only skips"
    tautologies = 0
    for node in ast.walk(function):
        if isinstance(node, ast.Assert):
            if _is_tautology(node.test):
                tautologies += 1
                continue
            return None
        if isinstance(node, ast.Call):
            name = _call_name(node)
            if name in ASSERTING_CALLS:
                return None
            if _self_assert(node):
                arguments = [*node.args, *(k.value for k in node.keywords)]
                if name in ("assertTrue", "assertFalse", "assertIsNotNone", "assertIsNone") \
                        and arguments and _is_constant(arguments[0]):
                    tautologies += 1
                    continue
                if len(arguments) >= 2 and (all(_is_constant(a) for a in arguments[:2]) or
                                            ast.dump(arguments[0]) == ast.dump(arguments[1])):
                    tautologies += 1
                    continue
                return None
            if name.startswith("assert_") or name in ("assert_called", "assert_any_call"):
                return None  # a mock's assertion: checked below against what is patched
    body = [n for n in function.body if not (isinstance(n, ast.Expr)
                                             and isinstance(n.value, ast.Constant))]
    if body and all(isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)
                    and _call_name(n.value) in ("skip", "skipTest") for n in body):
        return "only skips"
    if tautologies:
        return "only asserts what is always true (like assert 1 == 1)"
    return "asserts nothing"


def asserts_something(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return hollow_reason(function) is None


def _resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, target] if target else base)


def _import_aliases(
    tree: ast.Module, public_by_module: dict[str, list[str]], module: str = "",
    is_package: bool = False,
) -> tuple[dict[str, str], set[str]]:
    """Map local names to what they stand for; and the source modules imported."""
    known_modules = set(public_by_module)
    aliases: dict[str, str] = {}
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known_modules:
                    imported.add(alias.name)
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    aliases.setdefault(top, top)
        elif isinstance(node, ast.ImportFrom):
            origin = node.module or ""
            if node.level:
                if not module:
                    continue
                origin = _resolve_relative(module, is_package, node.level, node.module)
            for alias in node.names:
                if alias.name == "*":
                    if origin in known_modules:
                        imported.add(origin)
                        for public in public_by_module[origin]:
                            aliases[public] = f"{origin}.{public}"
                    continue
                local = alias.asname or alias.name
                full = f"{origin}.{alias.name}"
                if full in known_modules:  # from app import core
                    imported.add(full)
                    aliases[local] = full
                else:
                    if origin in known_modules:
                        imported.add(origin)
                    aliases[local] = full
    return aliases, imported


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _references(function: ast.AST, aliases: dict[str, str]) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Name | ast.Attribute):
            dotted = _dotted(node)
            if not dotted:
                continue
            head, _, rest = dotted.partition(".")
            if head in aliases:
                found.add(aliases[head] + (f".{rest}" if rest else ""))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and node.value.count(".") >= 1 and " " not in node.value:
            found.add(node.value)  # patch("app.gateway.charge") and friends
    return found


def _names_used(function: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(function) if isinstance(node, ast.Name)}


def _patched(function: ast.AST, aliases: dict[str, str]) -> set[str]:
    """What a test replaces with a mock: patch("a.b.f"), patch.object(mod, "f"),
    monkeypatch.setattr(mod, "f", ...) or monkeypatch.setattr("a.b.f", ...)."""
    found: set[str] = set()
    for node in ast.walk(function):
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node)
        dotted = _dotted(node.func) or ""
        arguments = node.args
        if name == "patch" and arguments and isinstance(arguments[0], ast.Constant) \
                and isinstance(arguments[0].value, str):
            found.add(arguments[0].value)
        elif (name == "object" and dotted.endswith("patch.object")) or (
                name == "setattr" and "monkeypatch" in dotted):
            if len(arguments) >= 2 and isinstance(arguments[1], ast.Constant) and isinstance(
                    arguments[1].value, str):
                target = _dotted(arguments[0])
                if target:
                    head, _, rest = target.partition(".")
                    base = aliases.get(head, head) + (f".{rest}" if rest else "")
                    found.add(f"{base}.{arguments[1].value}")
            elif arguments and isinstance(arguments[0], ast.Constant) and isinstance(
                    arguments[0].value, str):
                found.add(arguments[0].value)
    return found


def _python_files(repo: Path, folders: Iterable[str]) -> Iterator[Path]:
    for folder in folders:
        root = repo / folder
        if root.is_dir():
            for path in sorted(root.rglob("*.py")):
                if path.is_file() and not path.is_symlink():
                    yield path


def _is_test_file(path: Path) -> bool:
    return path.name.startswith("test_") or path.name.endswith("_test.py") or path.name in (
        "test.py", "tests.py")


def _exports(tree: ast.Module, module: str, is_package: bool) -> dict[str, str]:
    """Names a module re-exports from another (``from .number import ordinal``)."""
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            origin = node.module or ""
            if node.level:
                origin = _resolve_relative(module, is_package, node.level, node.module)
            for alias in node.names:
                if alias.name != "*":
                    found[alias.asname or alias.name] = f"{origin}.{alias.name}"
                else:
                    found[f"*{origin}"] = origin
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
                node.targets[0], ast.Name) and isinstance(node.value, ast.Name | ast.Attribute):
            dotted = _dotted(node.value)
            if dotted and "." in dotted:
                found[node.targets[0].id] = dotted
    return found


def _all_names(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__"
                                                for t in node.targets):
            if isinstance(node.value, ast.List | ast.Tuple) and all(
                    isinstance(e, ast.Constant) and isinstance(e.value, str)
                    for e in node.value.elts):
                return [str(e.value) for e in node.value.elts]  # type: ignore[attr-defined]
    return None


def _test_classes(tree: ast.Module) -> dict[str, ast.ClassDef]:
    """The classes whose test methods pytest or unittest run: ``Test*`` classes, and
    ``unittest.TestCase`` subclasses of any name (through local base classes too)."""
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}

    def is_case(node: ast.ClassDef, seen: set[str]) -> bool:
        for base in node.bases:
            dotted = _dotted(base) or ""
            if dotted.endswith(("TestCase", "IsolatedAsyncioTestCase")):
                return True
            local = classes.get(dotted)
            if local is not None and local.name not in seen and is_case(local, seen | {
                    local.name}):
                return True
        return False

    return {name: node for name, node in classes.items()
            if (name.startswith("Test") and not node.decorator_list) or is_case(node, {name})}


def _class_chain(node: ast.ClassDef, classes: dict[str, ast.ClassDef]) -> list[ast.ClassDef]:
    """``node`` and its local base classes (mixins), nearest first."""
    chain, queue, seen = [], [node], set()
    while queue:
        current = queue.pop(0)
        if current.name in seen:
            continue
        seen.add(current.name)
        chain.append(current)
        queue += [classes[b] for b in (_dotted(base) or "" for base in current.bases)
                  if b in classes]
    return chain


class _TestFunction(Record):
    __slots__ = ("node", "context")

    def __init__(self, node: ast.FunctionDef | ast.AsyncFunctionDef,
                 context: list[ast.AST]) -> None:
        self.node = node
        self.context = context  # class bodies, decorators: what the test also runs


def _test_functions_with_context(tree: ast.Module) -> Iterator[_TestFunction]:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                "test"):
            yield _TestFunction(node, list(node.decorator_list))
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    for cls in _test_classes(tree).values():
        chain = _class_chain(cls, classes)
        context: list[ast.AST] = []
        methods: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        for member in chain:
            for item in member.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    if item.name.startswith("test"):
                        methods.setdefault(item.name, item)
                    else:
                        context.append(item)  # setUp, fixtures, helpers
                else:
                    context.append(item)  # class attributes: Cache = LRUCache
        for method in methods.values():
            yield _TestFunction(method, context + list(method.decorator_list))


def _asserts_through_helpers(test: _TestFunction, reached: list[ast.AST]) -> bool:
    """A test that calls a helper (a function or a method of its class) that asserts."""
    called = {node.attr for node in ast.walk(test.node) if isinstance(node, ast.Attribute)
              and isinstance(node.value, ast.Name) and node.value.id == "self"}
    called |= _names_used(test.node)
    for node in reached:
        if node is test.node or not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if node.name in called and hollow_reason(node) is None:
            return True
    return False


def _helpers(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """Module-level functions a test may use: fixtures and helpers."""
    return {node.name: node for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and not node.name.startswith("test")}


def _reachable(start: Iterable[ast.AST], helpers: dict[str, ast.AST], parameters: set[str],
               depth: int = 4) -> list[ast.AST]:
    """``start`` and the helpers and fixtures it uses, by name, a few levels deep."""
    seen: set[str] = set()
    found = list(start)
    frontier = list(start)
    for _ in range(depth):
        names: set[str] = set(parameters) if not seen else set()
        for node in frontier:
            names |= _names_used(node)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names |= {a.arg for a in node.args.args}
        frontier = [helpers[n] for n in names if n in helpers and n not in seen]
        seen |= {n for n in names if n in helpers}
        found += frontier
        if not frontier:
            break
    return found


def suggested_test_file(layout: Layout, source: SourceModule) -> str:
    stem = source.module.rsplit(".", 1)[-1] or "app"
    folder = layout.tests[0] if layout.tests else "tests"
    return f"{folder}/test_{stem}.py"


SKIPPED_FOLDERS = {"tests", "test", "testing", "docs", "doc", "examples", "example", "scripts",
                   "bench", "benchmarks", "build", "dist", "venv", ".venv", "node_modules"}


def _default_sources(repo: Path, layout: Layout) -> tuple[str, ...]:
    if layout.source:
        return layout.source
    # A flat layout: the top-level packages that are not tests, docs or tooling.
    return tuple(sorted(
        child.name for child in repo.iterdir()
        if child.is_dir() and (child / "__init__.py").is_file()
        and child.name not in SKIPPED_FOLDERS and not child.name.startswith(".")))


def analyse(repo: Path, layout: Layout | None = None) -> Coverage:
    layout = layout or read_layout(repo)
    sources_roots = _default_sources(repo, layout)
    layout = Layout(sources_roots, layout.tests)
    problems: list[tuple[str, int | None, str]] = []
    test_roots = {repo / t for t in layout.tests}
    sources: list[SourceModule] = []
    exports: dict[str, dict[str, str]] = {}
    source_trees: dict[str, tuple[ast.Module, bool]] = {}
    test_paths: list[Path] = []
    for root in layout.source:
        for path in _python_files(repo, [root]):
            if any(r in path.parents for r in test_roots):
                continue
            if _is_test_file(path) or path.name == "conftest.py":
                test_paths.append(path)  # tests beside the code
                continue
            display = path.relative_to(repo).as_posix()
            tree = _parse(path, display, problems)
            if tree is None:
                continue
            module = module_name(repo, path, root)
            exports[module] = _exports(tree, module, path.name == "__init__.py")
            source_trees[module] = (tree, path.name == "__init__.py")
            names = public_names(tree, module)
            if names or path.name != "__init__.py":
                sources.append(SourceModule(display, module, names))
    public_by_module = {s.module: [n.name for n in s.names] for s in sources}
    defined = {f"{s.module}.{n.name}" for s in sources for n in s.names}

    def resolve(qualified: str) -> str:
        """Follow re-exports: ``pkg.ordinal`` -> ``pkg.number.ordinal``."""
        for _ in range(10):
            if qualified in defined:
                return qualified
            module, _, name = qualified.rpartition(".")
            if not module:
                return qualified
            head, _, rest = name.partition(".")
            table = exports.get(module)
            if table is None:
                resolved_module = resolve(module)
                if resolved_module != module:
                    qualified = f"{resolved_module}.{name}"
                    continue
                return qualified
            target = table.get(name.split(".")[0])
            if target is None:
                star = next((origin for key, origin in table.items() if key.startswith("*")
                             and f"{origin}.{name.split('.')[0]}" in defined), None)
                if star is None:
                    return qualified
                target = f"{star}.{name.split('.')[0]}"
            qualified = target + (f".{name.partition('.')[2]}" if "." in name else "")
        return qualified

    def resolved(names: set[str]) -> set[str]:
        out = set()
        for name in names:
            full = resolve(name)
            out.add(full)
            # a method or attribute of a public class counts for the class
            parts = full.split(".")
            for cut in range(len(parts) - 1, 0, -1):
                prefix = ".".join(parts[:cut])
                if prefix in defined:
                    out.add(prefix)
                    break
        return out

    module_of = {f"{s.module}.{n.name}": s.module for s in sources for n in s.names}
    # What each definition of the code uses (calls, bases, defaults): a test that checks
    # Retrying also exercises the classes and helpers Retrying is built from.
    uses: dict[str, set[str]] = {}
    runs_at_import: dict[str, set[str]] = {}
    imports_of: dict[str, set[str]] = {}
    for module, (tree, is_package) in source_trees.items():
        source_aliases, _ = _import_aliases(tree, public_by_module, module, is_package)
        local = {node.name for node in tree.body
                 if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
        for name in local:
            source_aliases.setdefault(name, f"{module}.{name}")
        at_import: set[str] = set()
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef |
                              ast.Import | ast.ImportFrom):
                at_import |= resolved(_references(node, source_aliases))
        runs_at_import[module] = at_import
        imports_of[module] = {target for target in source_aliases.values()
                              if target in source_trees} | {
            target.rpartition(".")[0] for target in source_aliases.values()
            if target.rpartition(".")[0] in source_trees}
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                uses[f"{module}.{node.name}"] = (resolved(_references(node, source_aliases))
                                                 | at_import) - {f"{module}.{node.name}"}

    def imported_with(modules: set[str]) -> set[str]:
        """Modules that run when ``modules`` are imported: their packages, their imports."""
        found: set[str] = set()
        frontier = list(modules)
        while frontier:
            module = frontier.pop()
            if module in found or module not in source_trees:
                continue
            found.add(module)
            parts = module.split(".")
            frontier += [".".join(parts[:cut]) for cut in range(1, len(parts))]
            frontier += list(imports_of.get(module, ()))
        return found

    def exercised(direct: set[str], patched: frozenset[str] = frozenset()) -> set[str]:
        """``direct`` and what it runs, except what the test replaced with a mock."""
        modules = {module_of.get(name, name.rpartition(".")[0]) for name in direct}
        direct = set(direct).union(*(runs_at_import.get(m, set())
                                     for m in imported_with(modules)))
        found, frontier = set(direct) - patched, list(set(direct) - patched)
        while frontier:
            for used in uses.get(frontier.pop(), ()):
                if used not in found and used not in patched:
                    found.add(used)
                    frontier.append(used)
        return found

    test_paths += [p for p in _python_files(repo, layout.tests)
                   if _is_test_file(p) or p.name == "conftest.py"]
    # test files at the top of the repo (test.py, test_*.py), as small projects keep them
    test_paths += sorted(p for p in repo.glob("*.py") if p.is_file() and not p.is_symlink()
                         and (_is_test_file(p) or p.name == "conftest.py"))
    trees: dict[Path, ast.Module] = {}
    for path in test_paths:
        tree = _parse(path, path.relative_to(repo).as_posix(), problems)
        if tree is not None:
            trees[path] = tree
    # Fixtures and helpers of conftest.py files apply to the tests below them.
    conftest_helpers: dict[Path, dict[str, ast.FunctionDef | ast.AsyncFunctionDef]] = {
        path.parent: _helpers(tree) for path, tree in trees.items()
        if path.name == "conftest.py"}
    conftest_aliases: dict[Path, dict[str, str]] = {
        path.parent: _import_aliases(tree, public_by_module)[0]
        for path, tree in trees.items() if path.name == "conftest.py"}
    tests: list[TestModule] = []
    for path, tree in trees.items():
        if path.name == "conftest.py":
            continue
        display = path.relative_to(repo).as_posix()
        aliases, imported = _import_aliases(tree, public_by_module)
        helpers: dict[str, ast.AST] = {}
        for folder, found in conftest_helpers.items():
            if folder in path.parents:
                helpers.update(found)
                for local_name, target in conftest_aliases[folder].items():
                    aliases.setdefault(local_name, target)
        helpers.update(_helpers(tree))
        test = TestModule(display, set(imported))
        for function in _test_functions_with_context(tree):
            reached = _reachable([function.node, *function.context], helpers,
                                 {a.arg for a in function.node.args.args})
            references: set[str] = set()
            patched: set[str] = set()
            for reached_node in reached:
                references |= _references(reached_node, aliases)
                patched |= _patched(reached_node, aliases)
            references = resolved(references)
            patched = resolved(patched)
            test.imported_modules |= {module_of[r] for r in references if r in module_of}
            reason = hollow_reason(function.node)
            if reason == "asserts nothing" and _asserts_through_helpers(function, reached):
                reason = None
            if reason is None:
                test.asserting_tests += 1
                reached_names = exercised(references - patched, frozenset(patched))
                test.covered |= reached_names
                test.imported_modules |= {module_of[r] for r in reached_names if r in module_of}
                test.mocked |= patched & references
            else:
                test.hollow_tests.append((function.node.name, function.node.lineno))
                test.hollow_reasons[function.node.name] = reason
                test.unchecked |= references - patched
        tests.append(test)
    return Coverage(layout, sources, tests, problems)
