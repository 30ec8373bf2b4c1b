"""The hook suite of an installed microgate, kept as a git repository on this machine.

pre-commit installs hooks from a git repository at a pinned revision. A microgate
installed from a wheel has no checkout to pin, and the public repository may be out of
reach (or at another version): its own files (``scaffold/``, ``hooks/``, the data they
read, ``.pre-commit-hooks.yaml`` and a ``pyproject.toml`` that builds them) are committed
to a store once per version, and a generated app pins that store's commit. The hooks a
commit runs are then exactly those of the microgate that made the app.
"""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

from scaffold import __version__
from scaffold.errors import MicrogateError
from scaffold.generation.templatestore import data_store, snapshot, store_git
from scaffold.resources import data_dir, hook_manifest

DATA = ("templates", "policies", "prompts")


def store_dir() -> Path:
    return data_store("MICROGATE_HOOK_STORE", "hooks")


def _runtime_requirements() -> list[str]:
    """microgate's own requirements, extras left out (the scanners come with the hooks'
    additional_dependencies)."""
    try:
        requirements = importlib.metadata.requires("microgate") or []
    except importlib.metadata.PackageNotFoundError:
        raise MicrogateError("microgate's installation has no metadata: reinstall it"
                             ) from None
    return sorted(r for r in requirements if "extra ==" not in r.replace('"', "").replace(
        "'", ""))


def pyproject_text(version: str, requirements: list[str]) -> str:
    dependencies = "".join(f"    {json.dumps(r)},\n" for r in requirements)
    return (
        "# Written by microgate: its installed hook suite, for pre-commit to install.\n"
        "[build-system]\n"
        'requires = ["hatchling>=1.24"]\n'
        'build-backend = "hatchling.build"\n\n'
        "[project]\n"
        'name = "microgate"\n'
        f"version = {json.dumps(version)}\n"
        'requires-python = ">=3.11"\n'
        f"dependencies = [\n{dependencies}]\n\n"
        "[project.scripts]\n"
        'microgate = "scaffold.cli:entry"\n\n'
        "[tool.hatch.build.targets.wheel]\n"
        'packages = ["scaffold", "hooks"]\n'
    )


def _entries(scratch: Path) -> list[tuple[str, Path]]:
    import scaffold

    roots = {"scaffold": Path(scaffold.__file__).resolve().parent}
    try:
        import hooks

        roots["hooks"] = Path(str(hooks.__file__)).resolve().parent
    except (ImportError, TypeError):
        raise MicrogateError("microgate's hooks package is missing: reinstall microgate"
                             ) from None
    entries: list[tuple[str, Path]] = []
    for package, root in roots.items():
        for path in sorted(root.rglob("*")):
            parts = path.relative_to(root).parts
            if path.is_file() and "__pycache__" not in parts and parts[:1] != ("_data",):
                entries.append((f"{package}/{'/'.join(parts)}", path))
    for name in DATA:
        root = data_dir(name)
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                entries.append((f"scaffold/_data/{name}/{path.relative_to(root).as_posix()}",
                                path))
    entries.append((".pre-commit-hooks.yaml", hook_manifest()))
    pyproject = scratch / "pyproject.toml"
    pyproject.write_text(pyproject_text(__version__, _runtime_requirements()),
                         encoding="utf-8")
    entries.append(("pyproject.toml", pyproject))
    return entries


def ensure_hook_release(store: Path | None = None) -> tuple[Path, str]:
    """(the store, the commit holding this microgate's hook suite), committed first when
    the store does not have it yet."""
    import tempfile

    store = store or store_dir()
    with tempfile.TemporaryDirectory(prefix="microgate-hooks-") as scratch:
        tag = snapshot(store, _entries(Path(scratch)), __version__, "microgate hooks")
    return store, store_git(store, "rev-parse", f"{tag}^{{commit}}").strip()
