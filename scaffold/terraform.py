"""Terraform read with python-hcl2 (no terraform binary is needed)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from scaffold.errors import MicrogateError
from scaffold.safefiles import is_regular_inside


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    body: dict[str, Any]
    path: Path
    line: int | None


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
    header = r"\s+".join([kind, *(f'"{re.escape(label)}"' for label in labels)])
    match = re.search(rf"^\s*{header}\s*{{", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


def resources(parsed: dict[str, Any], path: Path, text: str = "") -> list[Resource]:
    """The resources of a parsed file; ``text`` (the source) gives their lines."""
    found = []
    for block in parsed.get("resource", []):
        for type_name, by_name in block.items():
            for name, body in by_name.items():
                line = body_line(body) or (
                    _block_line(text, "resource", type_name, name) if text else None)
                found.append(Resource(type_name, name, body, path, line))
    return found


def variables(parsed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for block in parsed.get("variable", []):
        found.update(block)
    return found
