"""The bundled template's releases, kept as a git repository on this machine, so that an
app made from microgate's own template can be updated like one made from a git template.

Each microgate ships one release of the bundled template (templates/microapp/RELEASE).
The first time a release is used it is committed to the store and tagged ``v<release>``;
the store keeps every release this machine has used, which is what ``copier update``
needs: the app's old release to diff from, and the new one to merge. A template changed
without a new release number is tagged ``v<release>+<digest>`` (a local version, newer).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scaffold.errors import MicrogateError
from scaffold.resources import bundled_template

RELEASE_FILE = "RELEASE"
GIT_IDENTITY = ["-c", "user.name=microgate", "-c", "user.email=microgate@localhost",
                "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"]


def data_store(variable: str, *parts: str) -> Path:
    """A store's folder: the one ``variable`` names, else under the user's data folder."""
    named = os.environ.get(variable)
    if named:
        return Path(named)
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"),
                                                           ".local", "share")
    return Path(base).joinpath("microgate", *parts)


def store_dir() -> Path:
    return data_store("MICROGATE_TEMPLATE_STORE", "templates", "microapp")


def bundled_release(source: Path | None = None) -> str:
    path = (source or bundled_template()) / RELEASE_FILE
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise MicrogateError(f"{path}: the template's release is unknown ({exc.strerror})"
                             ) from None


def store_git(store: Path, *args: str) -> str:
    try:
        result = subprocess.run(["git", *GIT_IDENTITY, *args], cwd=store, capture_output=True,
                                text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise MicrogateError(f"the template store {store}: git failed ({exc})") from None
    if result.returncode != 0:
        last = (result.stderr or result.stdout).strip().splitlines()
        raise MicrogateError(f"the template store {store}: git {args[0]} failed: "
                             f"{last[-1] if last else result.returncode}")
    return result.stdout


def _files(source: Path) -> list[Path]:
    return sorted(p for p in source.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


@contextmanager
def _locked(store: Path) -> Iterator[None]:
    import fcntl

    store.parent.mkdir(parents=True, exist_ok=True)
    with open(store.parent / f".{store.name}.lock", "w", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_release(source: Path | None = None, store: Path | None = None) -> tuple[Path, str]:
    """(the store, the tag of ``source``'s release in it), committing that release to the
    store first when it is not there yet. ``source`` defaults to the bundled template."""
    source = source or bundled_template()
    entries = [(path.relative_to(source).as_posix(), path) for path in _files(source)]
    store = store or store_dir()
    return store, snapshot(store, entries, bundled_release(source), "microapp template")


def entries_digest(entries: list[tuple[str, Path]]) -> str:
    digest = hashlib.sha256()
    for name, path in sorted(entries):
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def snapshot(store: Path, entries: list[tuple[str, Path]], release: str, label: str) -> str:
    """The tag of these files (store path, source file) in the git store ``store``:
    ``v<release>``, or ``v<release>+<digest>`` when other files already hold that number.
    Committed first when no tag holds exactly these files."""
    digest = entries_digest(entries)
    with _locked(store):
        if not (store / ".git" / "HEAD").is_file():
            _new_store(store)
        known = {line.split("\t")[0]: line.split("\t")[1]
                 for line in store_git(store, "tag", "--list", "--format=%(refname:short)\t"
                                  "%(contents:subject)").splitlines() if "\t" in line}
        for tag in (f"v{release}", f"v{release}+{digest[:8]}"):
            if known.get(tag, "").endswith(digest):
                return tag
        tag = f"v{release}" if f"v{release}" not in known else f"v{release}+{digest[:8]}"
        for path in store.iterdir():
            if path.name != ".git":
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        for name, path in entries:
            target = store / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        store_git(store, "add", "--all")
        store_git(store, "commit", "--quiet", "--allow-empty", "-m", f"{label} {release}")
        store_git(store, "tag", "-a", tag, "-m", f"release {release} {digest}")
        return tag


def _new_store(store: Path) -> None:
    """An empty git store, made aside and moved into place: a process killed half-way
    (a timeout, Ctrl-C) leaves no half-made repository that every later run trips on."""
    if store.exists():  # left half-made: it held no release
        shutil.rmtree(store)
    scratch = store.with_name(f".{store.name}.new")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    store_git(scratch, "init", "--quiet")
    os.replace(scratch, store)


def is_store(path: str | Path) -> bool:
    try:
        return Path(path).expanduser().resolve() == store_dir().resolve()
    except OSError:
        return False
