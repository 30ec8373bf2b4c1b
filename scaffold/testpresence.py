"""Which public functions and classes have a real test: static analysis, no test is run.

A source module is covered when some test module imports it; a public name is covered
when a test that *asserts something* refers to it. A test asserts something when it has
an ``assert`` on a non-constant, a ``pytest.raises``/``pytest.warns`` block or call, or a
unittest ``self.assert*`` call. ``assert True``, a bare ``pass``, a test that only skips,
or a test file that never imports the module do not count.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from scaffold.errors import MicrogateError

DEFAULT_TEST_DIRS = ("tests",)
DEFAULT_SOURCE_CANDIDATES = ("app", "src")
ASSERTING_CALLS = {"raises", "warns", "deprecated_call"}
MAX_SOURCE_BYTES = 2_000_000


@dataclass(frozen=True)
class Layout:
    """Where the app's code and its tests live (``[tool.microgate]`` in pyproject.toml)."""

    source: tuple[str, ...]
    tests: tuple[str, ...]


@dataclass(frozen=True)
class PublicName:
    module: str
    name: str
    kind: str  # "function" or "class"
    line: int


@dataclass
class SourceModule:
    path: str
    module: str
    names: list[PublicName]


@dataclass
class TestModule:
    path: str
    imported_modules: set[str] = field(default_factory=set)
    # qualified names ("app.core.build_greeting") referred to by asserting tests
    covered: set[str] = field(default_factory=set)
    asserting_tests: int = 0
    hollow_tests: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Coverage:
    layout: Layout
    sources: list[SourceModule]
    tests: list[TestModule]
    problems: list[tuple[str, int | None, str]] = field(default_factory=list)

    def tests_importing(self, module: str) -> list[TestModule]:
        return [t for t in self.tests if module in t.imported_modules]

    def is_covered(self, name: PublicName) -> bool:
        qualified = f"{name.module}.{name.name}"
        return any(qualified in t.covered for t in self.tests_importing(name.module))

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
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            raise MicrogateError("pyproject.toml is not UTF-8 text") from None
        except tomllib.TOMLDecodeError as exc:
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
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name.startswith("_"):
                continue
            kind = "class" if isinstance(node, ast.ClassDef) else "function"
            names.append(PublicName(module, node.name, kind, node.lineno))
    return names


def _is_constant(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return all(_is_constant(e) for e in node.elts)
    return isinstance(node, ast.UnaryOp) and _is_constant(node.operand)


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def asserts_something(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for node in ast.walk(function):
        if isinstance(node, ast.Assert) and not _is_constant(node.test):
            return True
        if isinstance(node, ast.Call):
            name = _call_name(node)
            if name in ASSERTING_CALLS:
                return True
            if (name.startswith("assert") and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "self"):
                return True
    return False


def _test_functions(tree: ast.Module) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.name.startswith("test"):
                yield node
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for item in node.body:
                if (isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                        and item.name.startswith("test")):
                    yield item


def _import_aliases(
    tree: ast.Module, public_by_module: dict[str, list[str]]
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
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if alias.name == "*":
                    if node.module in known_modules:
                        imported.add(node.module)
                        for public in public_by_module[node.module]:
                            aliases[public] = f"{node.module}.{public}"
                    continue
                local = alias.asname or alias.name
                full = f"{node.module}.{alias.name}"
                if full in known_modules:  # from app import core
                    imported.add(full)
                    aliases[local] = full
                else:
                    if node.module in known_modules:
                        imported.add(node.module)
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
    return found


def _python_files(repo: Path, folders: Iterable[str]) -> Iterator[Path]:
    for folder in folders:
        root = repo / folder
        if root.is_dir():
            for path in sorted(root.rglob("*.py")):
                if path.is_file() and not path.is_symlink():
                    yield path


def analyse(repo: Path, layout: Layout | None = None) -> Coverage:
    layout = layout or read_layout(repo)
    problems: list[tuple[str, int | None, str]] = []
    test_roots = {repo / t for t in layout.tests}
    sources: list[SourceModule] = []
    for root in layout.source:
        for path in _python_files(repo, [root]):
            if any(r in path.parents for r in test_roots):
                continue
            display = path.relative_to(repo).as_posix()
            tree = _parse(path, display, problems)
            if tree is None:
                continue
            module = module_name(repo, path, root)
            names = public_names(tree, module)
            if names or path.name != "__init__.py":
                sources.append(SourceModule(display, module, names))
    public_by_module = {s.module: [n.name for n in s.names] for s in sources}
    tests: list[TestModule] = []
    for path in _python_files(repo, layout.tests):
        if not (path.name.startswith("test_") or path.name.endswith("_test.py")):
            continue
        display = path.relative_to(repo).as_posix()
        tree = _parse(path, display, problems)
        if tree is None:
            continue
        aliases, imported = _import_aliases(tree, public_by_module)
        test = TestModule(display, imported)
        for function in _test_functions(tree):
            if asserts_something(function):
                test.asserting_tests += 1
                test.covered |= _references(function, aliases)
            else:
                test.hollow_tests.append((function.name, function.lineno))
        tests.append(test)
    return Coverage(layout, sources, tests, problems)


def suggested_test_file(layout: Layout, source: SourceModule) -> str:
    stem = source.module.rsplit(".", 1)[-1] or "app"
    folder = layout.tests[0] if layout.tests else "tests"
    return f"{folder}/test_{stem}.py"
