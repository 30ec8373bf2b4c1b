"""``microgate doctor``: can this app's commits, updates and installs reach what they pin,
and is each of those pinned? Each line says what was found and, when it is a problem, how
to fix it. Every network probe has a short time limit: nothing hangs offline."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from scaffold import yamlio

PROBE_SECONDS = 10
FULL_SHA = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class Diagnosis:
    subject: str
    ok: bool
    found: str
    fix: str = ""

    def render(self) -> str:
        from scaffold.redact import redact

        mark = "ok " if self.ok else "FIX"
        text = f"{mark} {self.subject}: {self.found}"
        text += f"\n    fix: {self.fix}" if self.fix and not self.ok else ""
        # an address may carry credentials (https://user:token@host/...): never shown
        return redact(re.sub(r"(://)[^/@\s]+@", r"\1***@", text))


# The transports a pinned repository may use: never ext:: (it runs a command) or others.
SAFE_PROTOCOLS = ["-c", "protocol.allow=never", "-c", "protocol.https.allow=always",
                  "-c", "protocol.http.allow=always", "-c", "protocol.ssh.allow=always",
                  "-c", "protocol.git.allow=always", "-c", "protocol.file.allow=always"]


def _reachable_git(source: str, rev: str | None = None) -> tuple[bool, str]:
    """(reachable, why not) for a git repository, offline-safe. The values come from the
    app's files (a pull request may change them): nothing in them becomes an option."""
    if source.startswith("-") or (rev or "").startswith("-") or "\n" in source + (rev or ""):
        return False, "not a repository address"
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "/bin/false",
           "GIT_SSH_COMMAND": "ssh -o BatchMode=yes -o ConnectTimeout=5"}
    local = Path(source.removeprefix("file://")).expanduser()
    remote = re.match(r"^[a-z][a-z0-9+.-]*://", source) or \
        re.match(r"^[\w.-]+@[\w.-]+:", source)  # user@host:path, as ssh writes it
    if not remote or source.startswith("file://"):
        if not (local / ".git").exists() and not (local / "HEAD").is_file():
            return False, "not a git repository on this machine"
        if rev:
            try:
                found = subprocess.run(["git", *SAFE_PROTOCOLS, "-C", str(local), "cat-file",
                                        "-e", f"{rev}^{{commit}}"], capture_output=True,
                                       env=env, timeout=PROBE_SECONDS, check=False)
            except (OSError, subprocess.TimeoutExpired) as exc:
                return False, str(exc)
            if found.returncode != 0:
                return False, f"it has no {rev}"
        return True, ""
    try:
        result = subprocess.run(["git", *SAFE_PROTOCOLS, "ls-remote", "--exit-code", source],
                                capture_output=True,
                                text=True, env=env, timeout=PROBE_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        return False, f"no answer in {PROBE_SECONDS} s"
    except OSError as exc:
        return False, exc.strerror or str(exc)
    if result.returncode != 0:
        last = (result.stderr or "").strip().splitlines()
        return False, last[-1] if last else f"git ls-remote exit {result.returncode}"
    if rev and not FULL_SHA.match(rev) and not any(
            line.endswith((f"refs/tags/{rev}", f"refs/heads/{rev}"))
            for line in result.stdout.splitlines()):
        return False, f"it has no tag or branch {rev}"
    return True, ""


def _pinned(rev: str) -> bool:
    return bool(FULL_SHA.match(rev) or re.match(r"^v?\d+(\.\d+)*([-.+]\S*)?$", rev))


def check_hooks(repo: Path) -> Diagnosis:
    config = repo / ".pre-commit-config.yaml"
    try:
        document = yamlio.load(config.read_text(encoding="utf-8")) or {}
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        return Diagnosis("hooks", False, f"{config.name} unreadable ({type(exc).__name__})",
                         "restore it from the template with 'microgate update'")
    for entry in document.get("repos", []) if isinstance(document, dict) else []:
        hooks = entry.get("hooks", []) if isinstance(entry, dict) else []
        if not any(isinstance(h, dict) and str(h.get("id", "")).startswith("microgate-")
                   for h in hooks):
            continue
        source, rev = str(entry.get("repo", "")), str(entry.get("rev", ""))
        reachable, why = _reachable_git(source, rev)
        fix = ("set hooks.repo and hooks.rev in the platform's policies/platform.yaml (or "
               "MICROGATE_HOOKS_REPO and MICROGATE_HOOKS_REV) to a repository this machine "
               "reaches, then run 'microgate update --hooks-rev REV'")
        if not reachable:
            return Diagnosis("hooks", False, f"{source} at {rev}: not reachable ({why})", fix)
        if not _pinned(rev):
            return Diagnosis("hooks", False, f"{source} at {rev}: a branch, not a pinned "
                             "release or commit", "pin a tag or a commit with "
                             "'microgate update --hooks-rev REV'")
        where = "" if "://" in source or source.startswith("git@") else (
            " (a folder on this machine: for CI and other machines, the platform team sets "
            "hooks.repo in policies/platform.yaml to a repository they reach)")
        return Diagnosis("hooks", True, f"{source} at {rev}: reachable and pinned{where}")
    return Diagnosis("hooks", False, "no microgate hooks in .pre-commit-config.yaml",
                     "restore them from the template with 'microgate update'")


def check_template(repo: Path) -> Diagnosis:
    answers = repo / ".copier-answers.yml"
    try:
        data = yamlio.load(answers.read_text(encoding="utf-8")) or {}
    except (OSError, ValueError, UnicodeDecodeError):
        return Diagnosis("template", False, "no readable .copier-answers.yml",
                         "this app was not made from a copier template; it cannot be updated")
    source, commit = str(data.get("_src_path", "")), str(data.get("_commit") or "")
    if not commit:
        return Diagnosis("template", False, f"{source}: no release recorded",
                         "updates need a released template: see docs/platform.md")
    reachable, why = _reachable_git(source, commit)
    if not reachable:
        return Diagnosis("template", False, f"{source} at {commit}: not reachable ({why})",
                         "point _src_path in .copier-answers.yml at a git copy of the "
                         "template this machine reaches (the platform's template repository)")
    return Diagnosis("template", True, f"{source} at {commit}: reachable, updates can merge")


def check_packages(repo: Path) -> list[Diagnosis]:
    from scaffold.platform.platform_settings import platform_settings

    found = []
    locks = sorted(p.name for p in repo.glob("requirements*.txt"))
    if not locks:
        found.append(Diagnosis("dependencies", False, "no requirements*.txt lockfile",
                               "run 'microgate lock'"))
    for name in locks:
        text = (repo / name).read_text(encoding="utf-8", errors="replace")
        unpinned = [line.split("==")[0] for line in text.splitlines()
                    if line and not line.startswith((" ", "#", "-")) and "==" in line
                    and "--hash" not in line and "\\" not in line]
        if "--hash=sha256:" not in text or unpinned:
            found.append(Diagnosis(f"dependencies ({name})", False, "not pinned with hashes",
                                   "run 'microgate lock'"))
        elif re.search(r"^\s*--(index-url|extra-index-url|find-links)\b", text, re.M):
            found.append(Diagnosis(f"dependencies ({name})", False,
                                   "names a package source of its own",
                                   "run 'microgate lock' (it writes no index into lockfiles)"))
        else:
            found.append(Diagnosis(f"dependencies ({name})", True, "pinned with hashes"))
    index = platform_settings().package_index or os.environ.get("PIP_INDEX_URL", "")
    if index.startswith(("http://", "https://")):
        found.append(_probe_index(index))
    else:
        found.append(Diagnosis("package index", True, f"{index or 'pip configuration'} "
                               "(not probed: set package_index in policies/platform.yaml to "
                               "have it checked)"))
    return found


def _probe_index(index: str) -> Diagnosis:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(urllib.request.Request(  # noqa: S310 - http(s) only
                index.rstrip("/") + "/pip/", method="HEAD"), timeout=PROBE_SECONDS):
            return Diagnosis("package index", True, f"{index}: reachable")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Diagnosis("package index", False, f"{index}: not reachable ({reason})",
                         "set package_index in policies/platform.yaml to the index this "
                         "machine and CI reach")


def diagnose(repo: Path) -> list[Diagnosis]:
    return [check_hooks(repo), check_template(repo), *check_packages(repo)]
