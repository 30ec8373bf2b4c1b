"""The few git operations microgate needs, through the real git binary."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scaffold.errors import MicrogateError

GIT_TIMEOUT_SECONDS = 60


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    try:
        result = subprocess.run(
            ["git", *args],
            cwd=repo,
            capture_output=True,
            text=True,
            errors="surrogateescape",  # file names need not be UTF-8
            timeout=GIT_TIMEOUT_SECONDS,
            env=env,
            check=False,
        )
    except FileNotFoundError:
        raise MicrogateError("git is not installed; install git, or pass --no-git") from None
    except subprocess.TimeoutExpired:
        raise MicrogateError(f"git {args[0]} did not finish in {GIT_TIMEOUT_SECONDS} s") from None
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise MicrogateError(f"git {args[0]} failed: {detail[-1] if detail else 'no output'}")
    return result.stdout


def _identity_env(fallback_email: str) -> dict[str, str]:
    """Commit as the configured user; as the app's owner when git knows nobody."""
    env = dict(os.environ)
    probe = subprocess.run(
        ["git", "config", "--get", "user.email"], capture_output=True, text=True, check=False,
        timeout=GIT_TIMEOUT_SECONDS,
    )
    if not probe.stdout.strip() and "GIT_AUTHOR_EMAIL" not in env:
        env.update(
            GIT_AUTHOR_NAME=fallback_email.split("@")[0],
            GIT_AUTHOR_EMAIL=fallback_email,
            GIT_COMMITTER_NAME=fallback_email.split("@")[0],
            GIT_COMMITTER_EMAIL=fallback_email,
        )
    return env


def init_and_commit(repo: Path, message: str, *, owner_email: str, commit: bool) -> None:
    git(repo, "init", "--quiet", "--initial-branch=main")
    if commit:
        git(repo, "add", "--all")
        git(
            repo,
            "commit",
            "--quiet",
            "--no-verify",
            "--no-gpg-sign",
            "-m",
            message,
            env=_identity_env(owner_email),
        )


def install_pre_commit(repo: Path) -> None:
    from scaffold.extras import require_wizard

    require_wizard("pre_commit")
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "install", "--overwrite"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=GIT_TIMEOUT_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise MicrogateError(
            f"pre-commit install failed: {detail[-1] if detail else 'no output'}"
        )


def repo_files(repo: Path) -> list[str]:
    """Every file of the repo: tracked, and untracked unless ignored; a plain folder's all."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=repo, capture_output=True, timeout=GIT_TIMEOUT_SECONDS, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        listed = None
    if listed is not None and listed.returncode == 0:
        names = sorted({n for n in listed.stdout.decode("utf-8", "surrogateescape").split("\0")
                        if n})
        return [n for n in names if (repo / n).exists() or (repo / n).is_symlink()]
    found = []
    for path in sorted(repo.rglob("*")):
        if ".git" in path.relative_to(repo).parts:
            continue
        if path.is_file() or path.is_symlink():
            found.append(path.relative_to(repo).as_posix())
    return found


def staged_files(repo: Path) -> list[str]:
    probe = subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=repo,
                           capture_output=True, text=True, check=False,
                           timeout=GIT_TIMEOUT_SECONDS)
    if probe.returncode != 0:
        raise MicrogateError(
            f"{repo} is not a git repo, so nothing is staged: pass --all-files, or name "
            "the files to check"
        )
    out = git(repo, "diff", "--cached", "--name-only", "--diff-filter=ACMR", "-z")
    return [n for n in out.split("\0") if n]


@contextmanager
def staged_tree(repo: Path, names: list[str]) -> Iterator[Path]:
    """A folder whose files are what the next commit will hold.

    When the staged files are the same in the worktree (as under pre-commit, which
    stashes the rest), that is the repo itself. Otherwise git's index is written out to
    a scratch folder, so that a secret staged and then edited away in the worktree is
    still judged: the commit would carry it.
    """
    differing = git(repo, "diff", "--name-only", "-z", "--", *names).split("\0") if names \
        else []
    if not any(differing):
        yield repo
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="microgate-staged-") as scratch:
        git(repo, "checkout-index", "--all", "--force", f"--prefix={scratch}/")
        yield Path(scratch)


HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.MULTILINE)


def changed_lines(repo: Path, since: str) -> dict[str, list[tuple[int, int]]]:
    """The lines (first, last) of each Python file added or changed since ``since``
    (a branch, tag or commit; compared from where the two histories meet)."""
    if since.startswith("-"):
        raise MicrogateError(f"{since}: not a branch, tag or commit")
    diff = git(repo, "diff", "-U0", "--no-color", "--no-ext-diff", "--diff-filter=AM",
               f"{since}...HEAD", "--", "*.py")
    changed: dict[str, list[tuple[int, int]]] = {}
    for part in re.split(r"^diff --git ", diff, flags=re.MULTILINE)[1:]:
        target = re.search(r"^\+\+\+ b/(.+)$", part, re.MULTILINE)
        if target is None:
            continue
        for hunk in HUNK.finditer(part):
            start, count = int(hunk.group(1)), int(hunk.group(2) or "1")
            if count:
                changed.setdefault(target.group(1), []).append((start, start + count - 1))
    return changed

