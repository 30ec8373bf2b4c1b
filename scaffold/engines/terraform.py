"""Terraform read with python-hcl2 (no terraform binary is needed)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from scaffold.engines.hclexpr import Unknown, template
from scaffold.errors import MicrogateError
from scaffold.records import Record
from scaffold.safefiles import is_regular_inside

TYPE_CHECKING = False  # typing costs a hook ~4 ms to import; mypy reads it as True
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any


# Plain classes, not dataclasses: the cost hook's start-up (see scaffold/findings.py).
class Resource(Record):
    """One resource (or data source) block of a file."""

    __slots__ = ("type", "name", "body", "path", "line")

    def __init__(self, type: str, name: str, body: dict[str, Any], path: Path,
                 line: int | None) -> None:
        self.type = type
        self.name = name
        self.body = body
        self.path = path
        self.line = line


# python-hcl2's parser is superlinear on large files (3.6 MB took minutes): Terraform
# that a person writes is far smaller.
MAX_TF_BYTES = 512_000
TERRAFORM_SUFFIXES = (".tf", ".tfvars")


def read_bytes(path: Path) -> bytes:
    """A Terraform file's bytes: a regular file in its own folder, within the size cap."""
    from scaffold.safefiles import SkippedFile
    from scaffold.safefiles import read_bytes as read_safely

    try:
        return read_safely(path.parent, path.name, max_bytes=MAX_TF_BYTES, display=str(path))
    except SkippedFile as exc:
        raise MicrogateError(str(exc)) from None
    except OSError as exc:
        raise MicrogateError(f"{path}: cannot read: {exc.strerror}") from None


def read_source(path: Path) -> str:
    return read_bytes(path).decode("utf-8", errors="replace")


def tf_files(folder: Path, pattern: str = "*.tf") -> tuple[list[Path], list[str]]:
    """The folder's files matching ``pattern`` that are safe to read, and a note for each
    one that is not (a link out of the folder, a pipe or device, too large)."""
    files: list[Path] = []
    notes: list[str] = []
    for path in sorted(folder.glob(pattern)):
        if not is_regular_inside(folder, path.name):
            if path.is_dir():
                continue
            notes.append(f"{path}: skipped (not a regular file inside its folder: links out "
                         "of the repo, pipes and devices are never read)")
        elif path.stat().st_size > MAX_TF_BYTES:
            notes.append(f"{path}: skipped (over the {MAX_TF_BYTES // 1000} kB limit for one "
                         "Terraform file)")
        else:
            files.append(path)
    return files, notes


@contextmanager
def scan_root(folder: Path) -> Iterator[tuple[Path, list[str]]]:
    """A folder a scanner that walks on its own (checkov) may be given for ``folder``.

    When every file below ``folder`` is a regular file, inside it and within the size
    cap, that is ``folder`` itself. Otherwise the safe Terraform files are copied, same
    layout, into a scratch folder, and each one left out gets a note: checkov follows
    links and opens pipes, and one link to /dev/zero would run it out of memory.
    """
    unsafe: list[str] = []
    for root, dirs, names in os.walk(folder):
        base = Path(root)
        for name in dirs:
            if (base / name).is_symlink():
                unsafe.append((base / name).relative_to(folder).as_posix())
        for name in names:
            relative = (base / name).relative_to(folder).as_posix()
            if not name.endswith(TERRAFORM_SUFFIXES + (".tf.json",)):
                if not (base / name).is_symlink() and (base / name).is_file():
                    continue
                unsafe.append(relative)
                continue
            if not is_regular_inside(folder, relative) or \
                    (base / name).stat().st_size > MAX_TF_BYTES:
                unsafe.append(relative)
    if not unsafe:
        yield folder, []
        return
    notes = [f"{folder / name}: skipped (a link, pipe, device or over {MAX_TF_BYTES // 1000} "
             "kB: only regular Terraform files inside the repo are scanned)"
             for name in sorted(unsafe)]
    with tempfile.TemporaryDirectory(prefix="microgate-tf-") as scratch:
        for root, dirs, names in os.walk(folder):
            base = Path(root)
            dirs[:] = [d for d in dirs if not (base / d).is_symlink()]
            for name in names:
                relative = (base / name).relative_to(folder).as_posix()
                if relative in unsafe or not name.endswith(TERRAFORM_SUFFIXES + (".tf.json",)):
                    continue
                target = Path(scratch) / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(base / name, target)
        yield Path(scratch), notes


def parse_file(path: Path) -> dict[str, Any]:
    """Parse one ``.tf`` file into plain Python values (strings without HCL quotes)."""
    return _parse_cached(path, read_bytes(path))


# Keyed by content, not mtime: `microgate update` rewrites every file, mostly unchanged,
# and parses the old ones while copier works.
@lru_cache(maxsize=256)
def _parse_cached(path: Path, data: bytes) -> dict[str, Any]:
    from scaffold.parsecache import cached

    # Between commits too: python-hcl2's parser costs a hook ~55 ms to import.
    return cached("terraform", data, lambda: _parse(path, data), code=(__file__,),
                  libraries=("hcl2", "lark"))


def _parse(path: Path, data: bytes) -> dict[str, Any]:
    import hcl2

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise MicrogateError(f"{path}: not UTF-8 text") from None
    try:
        parsed: dict[str, Any] = _loads(hcl2, text)
    except RecursionError:
        raise MicrogateError(f"{path}: not valid Terraform: nested too deeply") from None
    except Exception as exc:  # python-hcl2 raises lark's many error types
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        first = first[:200]
        raise MicrogateError(f"{path}: not valid Terraform: {first}") from None
    return parsed


START_LINE = "__start_line__"
END_LINE = "__end_line__"
LINE_KEYS = (START_LINE, END_LINE)
MAP_ATTRIBUTE = re.compile(r'^[ \t]*"?([A-Za-z0-9_-]+)"?[ \t]*=[ \t]*\{', re.MULTILINE)


def _loads(hcl2: Any, text: str) -> dict[str, Any]:
    """checkov's parser (bc-python-hcl2), its values in the shape python-hcl2 7 gives:
    an attribute is its value, a block a list of bodies, a body keeps the first and last
    line of a top-level block under ``__start_line__`` and ``__end_line__``.

    The fork wraps every attribute in a list, as it does blocks; a one-element list
    holding a map is a map attribute when the file writes that name as ``name = {``.
    """
    raw: dict[str, Any] = hcl2.loads(text)
    return _body(raw, set(MAP_ATTRIBUTE.findall(text)))


def _body(body: dict[str, Any], maps: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key in LINE_KEYS or not isinstance(value, list):
            out[key] = value
        elif len(value) == 1 and (not isinstance(value[0], dict) or key in maps):
            out[key] = value[0]
        else:
            out[key] = [_block(item, maps) if isinstance(item, dict) else item
                        for item in value]
    return out


def _block(block: dict[str, Any], maps: set[str]) -> dict[str, Any]:
    """A block's labels are levels whose values are maps; its body's values are lists."""
    if all(isinstance(value, list) or key in LINE_KEYS for key, value in block.items()):
        return _body(block, maps)
    return {key: _block(value, maps) if isinstance(value, dict) else value
            for key, value in block.items()}


def body_line(body: Any) -> int | None:
    """The first line of a top-level block, as the parser saw it."""
    line = body.get(START_LINE) if isinstance(body, dict) else None
    return line if isinstance(line, int) else None


def _block_line(text: str, kind: str, *labels: str) -> int | None:
    header = r"\s+".join([kind, *(f'"?{re.escape(label)}"?' for label in labels)])
    match = re.search(rf"^\s*{header}\s*{{", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


def resources(parsed: dict[str, Any], path: Path, text: str = "",
              kind: str = "resource") -> list[Resource]:
    """The resources (or with ``kind="data"``, data sources) of a parsed file, each with
    its first line (from the parser, else found in ``text``, else the file's first)."""
    found = []
    for block in parsed.get(kind, []):
        for type_name, by_name in block.items():
            if not isinstance(by_name, dict):
                continue
            for name, body in by_name.items():
                if not isinstance(body, dict):
                    continue
                line = body_line(body) or (
                    _block_line(text, kind, type_name, name) if text else None) or 1
                found.append(Resource(type_name, name, body, path, line))
    return found


def variables(parsed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for block in parsed.get("variable", []):
        if isinstance(block, dict):
            found.update(block)
    return found


# -- a root module and the local modules it calls --------------------------------------

MAX_MODULE_DEPTH = 8
REFERENCE = re.compile(r"^\$\{(var|local)\.([A-Za-z0-9_-]+)\}$")
EACH_REFERENCE = re.compile(r"^\$\{each\.(key|value)(?:\.([A-Za-z0-9_-]+))?\}$")
MODULE_META_ARGUMENTS = {"source", "version", "count", "for_each", "providers", "depends_on",
                         START_LINE, END_LINE}


class Setting(Record):
    """A value and where the user sets it (a variable's default, a tfvars line, the
    attribute itself)."""

    __slots__ = ("value", "path", "line")

    def __init__(self, value: Any, path: Path, line: int | None) -> None:
        self.value = value
        self.path = path
        self.line = line


class Module:
    """One instance of a Terraform module: the root folder, or a local module called
    from it (``address`` ``module.NAME``), with the values its variables take there."""

    def __init__(self, folder: Path, address: str, settings: dict[str, Setting],
                 locals: dict[str, Setting], count: float, resources: list[Resource],
                 children: list[Module], errors: list[tuple[Path, int | None, str]],
                 notes: list[str], each: tuple[Any, Any] | None = None,
                 boundary: Path | None = None) -> None:
        self.folder = folder
        self.address = address
        self.settings = settings
        self.locals = locals
        self.count = count
        self.resources = resources
        self.children = children
        self.errors = errors
        self.notes = notes
        # One instance of a for_each: (each.key, each.value)
        self.each = each
        # The repo: file() reads nothing outside it
        self.boundary = boundary

    def __repr__(self) -> str:
        return f"Module({self.address or 'root'} in {self.folder})"

    def with_each(self, each: tuple[Any, Any]) -> Module:
        """This module as one instance of a for_each."""
        return Module(self.folder, self.address, self.settings, self.locals, self.count,
                      self.resources, self.children, self.errors, self.notes, each,
                      self.boundary)

    def instances(self, resource: Resource) -> list[tuple[str, Module]] | None:
        """One (address suffix, scope) per instance of a resource whose ``for_each`` is
        a literal its attributes read through ``each``; None otherwise."""
        if "for_each" not in resource.body or "${each." not in str(resource.body):
            return None
        setting = self.resolve(_set_of_literals(resource.body["for_each"]), resource.path,
                               resource.line)
        if setting is None or not isinstance(setting.value, dict | list):
            return None
        items = setting.value.items() if isinstance(setting.value, dict) else \
            ((item, item) for item in setting.value)
        return [(f'["{key}"]', self.with_each((key, value)))
                for key, value in items if key not in LINE_KEYS]

    def walk(self) -> Iterator[Module]:
        yield self
        for child in self.children:
            yield from child.walk()

    def address_of(self, resource: Resource) -> str:
        own = f"{resource.type}.{resource.name}"
        return f"{self.address}.{own}" if self.address else own

    def resolve(self, value: Any, path: Path, line: int | None) -> Setting | None:
        """The literal a value comes to in this module, and where it is set; None when
        it depends on something only Terraform knows (a function, another resource)."""
        if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str) \
                and value[0].startswith("${"):
            value = value[0]
        if isinstance(value, str):
            each = EACH_REFERENCE.match(value.strip())
            if each and self.each is not None:
                found = self.each[0] if each.group(1) == "key" else self.each[1]
                if each.group(2):
                    found = found.get(each.group(2)) if isinstance(found, dict) else None
                return Setting(found, path, line) if found is not None and \
                    _is_literal(found) else None
            match = REFERENCE.match(value.strip())
            if match:
                scope = self.settings if match.group(1) == "var" else self.locals
                found = scope.get(match.group(2))
                if found is not None and _is_literal(found.value):
                    return found
            if "${" not in value:
                return Setting(value, path, line)
            try:
                evaluated = self.evaluate(value)
            except Unknown:
                return None
            return Setting(evaluated, path, line) if _is_literal(evaluated) else None
        return Setting(value, path, line) if _is_literal(value) else None

    def evaluate(self, value: Any, depth: int = 0) -> Any:
        """What Terraform makes of a value, as far as scaffold/engines/hclexpr.py knows (raises
        Unknown beyond that): lists and maps element by element."""
        if isinstance(value, dict):
            return {k: self.evaluate(v, depth) for k, v in value.items() if k not in LINE_KEYS}
        if isinstance(value, list):
            return [self.evaluate(item, depth) for item in value]
        if not isinstance(value, str):
            return value
        return template(value, self._lookup, self.folder, self.boundary or self.folder,
                        depth)

    def _lookup(self, root: str, name: str, depth: int) -> Any:
        if root == "each":
            if self.each is None:
                raise Unknown("each outside a for_each")
            return self.each[0] if name == "key" else self.each[1]
        scope = self.settings if root == "var" else self.locals
        if name not in scope:
            raise Unknown(f"{root}.{name} is not set")
        return self.evaluate(scope[name].value, depth)

    def number(self, body: dict[str, Any], key: str, resource: Resource
               ) -> tuple[float | None, Setting | None]:
        """(the attribute as a number, where it is set); (None, None) when it is absent,
        (None, setting-or-None) when it is not a number Terraform's files decide."""
        if key not in body:
            return None, None
        line = resource.line
        if resource.path.suffix == ".tf":  # not a plan's JSON
            try:
                line = _line_in_block(read_source(resource.path), body, key)
            except MicrogateError:
                pass
        setting = self.resolve(body[key], resource.path, line)
        if setting is None:
            return None, None
        try:
            return float(setting.value), setting
        except (TypeError, ValueError):
            return None, setting

    def multiplier(self, resource: Resource) -> tuple[float, str]:
        """How many instances ``count``/``for_each`` make (with a note when unknown)."""
        body = resource.body
        for key in ("count", "for_each"):
            if key not in body:
                continue
            setting = self.resolve(_set_of_literals(body[key]), resource.path, resource.line)
            value = setting.value if setting else None
            if key == "count":
                try:
                    return float(value), ""  # type: ignore[arg-type]
                except (TypeError, ValueError):
                    pass
            elif isinstance(value, list | dict):
                return float(len(value)), ""
            return 1.0, f"{self.address_of(resource)}: its {key} is decided when Terraform " \
                        "runs; counted once"
        return 1.0, ""


SET_OF_LITERALS = re.compile(r"^\$\{toset\(\[((?:\s*'[^'$]*'\s*,?)*)\]\)\}$")


def _set_of_literals(value: Any) -> Any:
    """``toset(["a", "b"])`` as the list it stands for (other expressions unchanged)."""
    match = SET_OF_LITERALS.match(value.strip()) if isinstance(value, str) else None
    if not match:
        return value
    return sorted(set(re.findall(r"'([^']*)'", match.group(1))))


def _is_literal(value: Any) -> bool:
    if isinstance(value, str):
        return "${" not in value
    if isinstance(value, list):
        return all(_is_literal(item) for item in value)
    if isinstance(value, dict):
        return all(_is_literal(item) for key, item in value.items() if key not in LINE_KEYS)
    return isinstance(value, int | float | bool) or value is None


def _tfvars_settings(folder: Path, notes: list[str]) -> dict[str, Setting]:
    found: dict[str, Setting] = {}
    candidates = sorted(folder.glob("*.auto.tfvars"))
    if (folder / "terraform.tfvars").exists():
        candidates.insert(0, folder / "terraform.tfvars")
    for path in candidates:
        if path not in tf_files(folder, path.name)[0]:
            continue
        try:
            parsed = parse_file(path)
            text = read_source(path)
        except MicrogateError as exc:
            notes.append(exc.message)
            continue
        for key, value in parsed.items():
            if key not in LINE_KEYS:
                found[key] = Setting(value, path, _attribute_line(text, key))
    return found


def _attribute_line(text: str, key: str) -> int | None:
    match = re.search(rf'^\s*"?{re.escape(key)}"?\s*=', text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


def load_module(folder: Path, *, boundary: Path | None = None) -> Module:
    """The root module in ``folder`` and every local module it calls (``source`` a path
    inside ``boundary``, default the folder itself), with variables resolved: a module
    call's arguments over the module's defaults; tfvars over the root's defaults."""
    notes: list[str] = []
    inputs = _tfvars_settings(folder, notes)
    module = _load(folder, "", inputs, 1.0, (boundary or folder).resolve(), 0,
                   frozenset())
    module.notes[:0] = notes
    return module


def _load(folder: Path, address: str, inputs: dict[str, Setting], count: float,
          boundary: Path, depth: int, seen: frozenset[Path]) -> Module:
    module = Module(folder, address, {}, {}, count, [], [], [], [], boundary=boundary)
    files, module.notes = tf_files(folder)
    calls: list[tuple[str, dict[str, Any], Path, str]] = []
    for tf in files:
        try:
            parsed = parse_file(tf)
            text = read_source(tf)
        except MicrogateError as exc:
            module.errors.append((tf, error_line(exc.message), exc.message))
            continue
        module.resources += resources(parsed, tf, text)
        for name, body in variables(parsed).items():
            if isinstance(body, dict) and "default" in body:
                module.settings[name] = Setting(body["default"], tf,
                                                _line_in_block(text, body, "default"))
        for block in parsed.get("locals", []):
            if isinstance(block, dict):
                line = body_line(block)
                for key, value in block.items():
                    if key not in LINE_KEYS:
                        module.locals[key] = Setting(value, tf, _attribute_line(text, key)
                                                     or line)
        for block in parsed.get("module", []):
            for name, body in (block.items() if isinstance(block, dict) else ()):
                if isinstance(body, dict):
                    calls.append((name, body, tf, text))
    module.settings.update(inputs)
    for name, body, tf, text in calls:
        line = body_line(body)
        source = body.get("source")
        if not isinstance(source, str) or not source.startswith(("./", "../")):
            continue
        target = (folder / source).resolve()
        if target in seen or depth >= MAX_MODULE_DEPTH or not target.is_dir() or \
                not target.is_relative_to(boundary):
            module.notes.append(f"{tf}:{line}: module {name} ({source}) is not followed "
                                "(outside the repo, a loop, or nested too deep)")
            continue
        child_inputs = {}
        for key, value in body.items():
            if key in MODULE_META_ARGUMENTS:
                continue
            setting = module.resolve(value, tf, _line_in_block(text, body, key))
            if setting is not None:
                child_inputs[key] = setting
        call = Resource("module", name, body, tf, line)
        times, note = module.multiplier(call)
        if note:
            module.notes.append(note)
        prefix = f"{address}.module.{name}" if address else f"module.{name}"
        module.children.append(_load(target, prefix, child_inputs, count * times,
                                     boundary, depth + 1, seen | {folder.resolve()}))
    return module


def _line_in_block(text: str, body: dict[str, Any], key: str) -> int | None:
    """The line of ``key = ...`` inside a top-level block (else the block's first)."""
    start, end = body_line(body), body.get(END_LINE)
    if start is None or not isinstance(end, int):
        return start
    lines = text.splitlines()[start - 1:end]
    for offset, line in enumerate(lines):
        if re.match(rf'\s*"?{re.escape(key)}"?\s*=', line):
            return start + offset
    return start


def error_line(message: str) -> int | None:
    """The line a parse error names, if any."""
    match = re.search(r"\bline (\d+)", message)
    return int(match.group(1)) if match else None


SKIPPED_FOLDERS = {".terraform", ".git", "node_modules", ".terragrunt-cache"}


def terraform_folders(top: Path) -> list[Path]:
    """Every folder under ``top`` (itself included) that holds ``.tf`` files; links to
    folders and tool caches (.terraform, .git) are not entered."""
    found = []
    for root, dirs, names in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_FOLDERS
                         and not (Path(root) / d).is_symlink())
        if any(name.endswith(".tf") for name in names):
            found.append(Path(root))
    return found


def local_module_sources(folder: Path, parsed: dict[str, Any]) -> set[Path]:
    """The folders a parsed file calls as local modules (``source = "./..."``)."""
    called = set()
    for block in parsed.get("module", []):
        for body in (block.values() if isinstance(block, dict) else ()):
            source = body.get("source") if isinstance(body, dict) else None
            if isinstance(source, str) and source.startswith(("./", "../")):
                called.add((folder / source).resolve())
    return called


def root_modules(folders: list[Path]) -> list[Path]:
    """The folders no other one of them calls as a module: what Terraform is run in."""
    called: set[Path] = set()
    for folder in folders:
        for tf in tf_files(folder)[0]:
            try:
                called |= local_module_sources(folder, parse_file(tf))
            except MicrogateError:
                continue
    return [folder for folder in folders if folder.resolve() not in called]
