"""`microgate update`: bring a micro app's repo to a newer template release with copier.

Manifest-first: the answers copier renders the new release with come from microapp.yaml
(the source of truth), plus the platform's current values (tier caps, hook suite rev),
so a change of intent in the manifest reaches every generated file too.

copier refuses a dirty tree and has no preview for updates, and on a clash it leaves
inline conflict markers while still exiting 0. This module checks the tree first, runs
the same update in a throwaway clone for ``--dry-run``, and reads git's state afterwards
to say plainly what changed and what is in conflict.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from scaffold import yamlio
from scaffold.checks import CheckSpec
from scaffold.errors import (
    EXIT_CONFLICTS,
    Cancelled,
    MicrogateError,
    UnsafeTemplateError,
    UsageError,
)
from scaffold.findings import Finding
from scaffold.gitops import git

ANSWERS_FILE = ".copier-answers.yml"
MANIFEST = "microapp.yaml"
# Checks cheap enough to run before and after every update (no scanners).
POLICY_CHECKS = ("manifest", "test-presence", "pins", "cost", "prompts")
CONFLICT_MARKER = b"<<<<<<< "

Status = Literal["updated", "current", "conflicts", "failed"]


@dataclass
class UpdateOptions:
    vcs_ref: str | None = None
    trust: bool = False
    dry_run: bool = False
    check: bool = True
    commit: bool = False
    hooks_repo: str | None = None
    hooks_rev: str | None = None


@dataclass
class UpdateReport:
    repo: str
    name: str
    from_version: str
    to_version: str = ""
    status: Status = "current"
    updated: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    new_failures: list[Finding] = field(default_factory=list)
    diff_stat: str = ""
    reason: str = ""
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "repo": self.repo, "name": self.name, "status": self.status,
            "from_version": self.from_version, "to_version": self.to_version,
            "updated": self.updated, "added": self.added, "deleted": self.deleted,
            "conflicts": self.conflicts, "reason": self.reason, "dry_run": self.dry_run,
            "new_failures": [f.render() for f in self.new_failures],
        }

    def explain(self) -> str:
        verb = "would be" if self.dry_run else "were"
        lines = [f"{self.name}: template {self.from_version} -> {self.to_version or '?'}"
                 + (" (dry run: nothing was changed)" if self.dry_run else "")]
        if self.status == "current":
            lines.append("Already current: nothing to update.")
        for title, names in ((f"Files that {verb} updated", self.updated),
                             (f"Files that {verb} added", self.added),
                             (f"Files that {verb} deleted", self.deleted)):
            if names:
                lines.append(f"{title}:")
                lines += [f"  {name}" for name in names]
        if self.conflicts:
            lines.append(f"Files in conflict ({len(self.conflicts)}): your change and the "
                         "template's touch the same lines:")
            lines += [f"  {name}" for name in self.conflicts]
            if not self.dry_run:
                lines.append("To resolve: open each file, keep the right lines between the "
                             "<<<<<<< / ======= / >>>>>>> markers and delete the markers, then "
                             "'git add <file>' and commit.")
        if self.new_failures:
            lines.append("Checks that fail now but did not before (the new release's "
                         "policies):")
            lines += [f"  {finding.render()}" for finding in self.new_failures]
        if self.diff_stat and self.dry_run:
            lines += ["", self.diff_stat.rstrip()]
        if self.status in ("updated", "conflicts") and not self.dry_run:
            lines.append("Review with 'git diff', run the tests, then commit.")
        return "\n".join(lines)


def read_answers(repo: Path) -> dict[str, Any]:
    path = repo / ANSWERS_FILE
    if not path.is_file():
        raise UsageError(f"{repo}: no {ANSWERS_FILE}: this repo was not made from a copier "
                         "template, so there is nothing to update from")
    try:
        answers = yamlio.load(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: unreadable ({exc})") from None
    if not isinstance(answers, dict) or not answers.get("_src_path"):
        raise UsageError(f"{path}: no _src_path: the template this repo came from is unknown")
    return answers


def bring_bundled_release(answers: dict[str, Any]) -> None:
    """An app made from microgate's bundled template updates from this machine's store of
    its releases, to which this microgate's release is added first."""
    from scaffold.generation.templatestore import ensure_release, is_store, store_dir
    from scaffold.resources import bundled_template

    source = str(answers["_src_path"])
    if is_store(source):
        ensure_release()
        return
    if not answers.get("_commit") and Path(source).expanduser().resolve() == \
            bundled_template().resolve():
        raise UsageError(
            "this app was made from microgate's bundled template before its releases were "
            f"kept, so there is no old release to merge from: set _src_path in "
            f"{ANSWERS_FILE} to {store_dir()} and _commit to the release it was made from "
            "(template_version in microapp.yaml, like v1.0.0), then run the update again")
    if source.rstrip("/").endswith("microgate/templates/microapp") and \
            not Path(source).exists():
        raise UsageError(
            f"this app was made on another machine from its store of microgate's template "
            f"releases ({source}): run 'microgate update' where it was made, or set "
            f"_src_path in {ANSWERS_FILE} to a git copy of the template")


def _status_lines(repo: Path) -> list[str]:
    output = git(repo, "status", "--porcelain", "--untracked-files=all")
    return [line for line in output.splitlines() if line.strip()]


def ensure_clean(repo: Path) -> None:
    if not (repo / ".git").exists():
        raise UsageError(f"{repo}: not a git repo; an update needs git to merge the template's "
                         "changes with yours")
    dirty = _status_lines(repo)
    if dirty:
        names = ", ".join(line[3:] for line in dirty[:5]) + (" ..." if len(dirty) > 5 else "")
        raise UsageError(f"{repo}: uncommitted changes ({names}): commit or stash them first, "
                         "so that the update's changes can be reviewed on their own")


def _hooks_repo(repo: Path) -> str | None:
    config = repo / ".pre-commit-config.yaml"
    try:
        document = yamlio.load(config.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    for entry in (document or {}).get("repos", []) if isinstance(document, dict) else []:
        hooks = entry.get("hooks", []) if isinstance(entry, dict) else []
        if any(isinstance(h, dict) and str(h.get("id", "")).startswith("microgate-")
               for h in hooks):
            return str(entry.get("repo"))
    return None


def update_data(repo: Path, options: UpdateOptions) -> dict[str, Any]:
    """The answers for the new release: the manifest, then the platform's values."""
    from scaffold.generation.render import template_data
    from scaffold.manifest import read_manifest
    from scaffold.policy import default_policy

    try:
        loaded = read_manifest(repo / "microapp.yaml")
    except MicrogateError as exc:
        raise UsageError(f"{repo}: fix microapp.yaml before updating "
                         f"({exc.message.removeprefix(str(repo / 'microapp.yaml') + ': ')})"
                         ) from None
    if loaded.manifest is None:
        first = loaded.problems[0].render("microapp.yaml") if loaded.problems else "invalid"
        raise UsageError(f"{repo}: fix microapp.yaml before updating ({first})")
    return template_data(loaded.manifest, default_policy(),
                         hooks_repo=options.hooks_repo or _hooks_repo(repo),
                         hooks_rev=options.hooks_rev)


def policy_findings(repo: Path, checks: list[str]) -> set[Finding]:
    from scaffold.checks import spec
    from scaffold.checks.runner import run_check

    findings: set[Finding] = set()
    for name in checks:
        result = run_check(spec(name), repo, None)
        findings |= {f for f in result.findings if f.severity == "error"}
    return findings


def findings_at_head(repo: Path, checks: list[str]) -> set[Finding]:
    """The same checks on the last commit, in a throwaway worktree."""
    with tempfile.TemporaryDirectory(prefix="microgate-before-") as scratch:
        worktree = Path(scratch) / "head"
        git(repo, "worktree", "add", "--detach", "--quiet", str(worktree), "HEAD")
        try:
            return policy_findings(worktree, checks)
        finally:
            git(repo, "worktree", "remove", "--force", str(worktree))


def run_copier_update(repo: Path, data: dict[str, Any], options: UpdateOptions) -> None:
    import copier
    from copier.errors import CopierError
    from copier.errors import UnsafeTemplateError as CopierUnsafe
    from jinja2 import TemplateError

    from scaffold.generation.filemode import file_mode_asked_once
    from scaffold.generation.jinjacompile import compiled_once
    from scaffold.generation.render import one_line

    try:
        with compiled_once(), file_mode_asked_once():
            copier.run_update(
                str(repo), data=data, defaults=True, overwrite=True, quiet=True,
                conflict="inline", vcs_ref=options.vcs_ref, unsafe=options.trust,
                skip_answered=True,
            )
    except CopierUnsafe:
        raise UnsafeTemplateError(
            "the new template release wants to run its own code (migrations or tasks); if "
            "you trust it, run again with --trust") from None
    except (CopierError, TemplateError) as exc:
        raise MicrogateError(f"the template could not be updated: {one_line(exc)}") from None
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines() \
            if isinstance(exc.stderr, bytes) else str(exc.stderr or "").strip().splitlines()
        raise MicrogateError(f"the template could not be updated: a command failed "
                             f"({detail[-1] if detail else exc})") from None
    except Exception as exc:
        from scaffold.generation.render import template_source_error

        raise template_source_error(str(data.get("_src_path") or "of this app"), exc
                                    ) from None


def _has_markers(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return any(line.startswith(CONFLICT_MARKER) for line in handle)
    except OSError:
        return False


def _collect(repo: Path, report: UpdateReport) -> None:
    for line in _status_lines(repo):
        code, name = line[:2], line[3:]
        if " -> " in name:
            name = name.split(" -> ", 1)[1]
        name = name.strip('"')
        if code in ("UU", "AA", "DU", "UD", "AU", "UA", "DD"):
            report.conflicts.append(name)
        elif code == "??" or "A" in code:
            report.added.append(name)
        elif "D" in code:
            report.deleted.append(name)
        else:
            report.updated.append(name)
    # copier leaves markers without an unmerged index entry in some cases: look too.
    for name in list(report.updated) + list(report.added):
        if _has_markers(repo / name):
            report.conflicts.append(name)
            (report.updated if name in report.updated else report.added).remove(name)
    report.conflicts.sort()


def _version(answers: dict[str, Any]) -> str:
    return str(answers.get("_commit") or "unknown")


def update(repo: Path, options: UpdateOptions | None = None) -> UpdateReport:
    from scaffold.extras import require_wizard

    require_wizard("copier")  # before anything is read or written
    options = options or UpdateOptions()
    repo = repo.resolve()
    answers = read_answers(repo)
    ensure_clean(repo)
    bring_bundled_release(answers)
    name = repo.name
    report = UpdateReport(str(repo), name, _version(answers), dry_run=options.dry_run)
    data = update_data(repo, options)
    report.name = str(data.get("name") or name)
    if already_current(repo, answers, data, options.vcs_ref):
        report.to_version = report.from_version
        return report  # status "current": nothing to render, check or commit
    if options.dry_run:
        with tempfile.TemporaryDirectory(prefix="microgate-update-") as scratch:
            clone = Path(scratch) / repo.name
            git(repo, "clone", "--quiet", "--no-hardlinks", str(repo), str(clone))
            _apply(clone, data, options, report)
            report.diff_stat = git(clone, "diff", "HEAD", "--stat") if report.updated or \
                report.deleted else ""
        report.repo = str(repo)
        return report
    try:
        _apply(repo, data, options, report)
    except KeyboardInterrupt:
        _restore(repo)
        raise Cancelled("cancelled; the app is back at its last commit (nothing changed)"
                        ) from None
    except MicrogateError as exc:
        _restore(repo)
        raise type(exc)(f"{exc.message}; the app is back at its last commit (nothing "
                        "changed)", exit_code=exc.exit_code) from None
    if options.commit and report.status == "updated":
        git(repo, "add", "--all")
        git(repo, "commit", "--quiet", "--no-verify", "-m",
            f"Update the template to {report.to_version} (microgate update)")
    return report


def already_current(repo: Path, answers: dict[str, Any], data: dict[str, Any],
                    vcs_ref: str | None) -> bool:
    """Whether copier would find nothing to bring: the release asked for is the commit the
    app was last rendered from, its recorded answers are the manifest's, and the platform's
    values (tier caps, the hooks' pin) are those it was rendered with (kept in the answers
    file: scaffold/generation/render.py, record_rendered_data). Rendering the same release with the
    same values gives the same files, so copier is not run (~1.7 s an app). Anything not
    known for sure (a template that is not a local git repo, no record of the values, an
    answer that differs) is not current here, and copier decides."""
    # Without microgate's record the platform's values are missing from the answers.
    if any(key not in answers or answers[key] != value for key, value in data.items()):
        return False
    return _same_release(str(answers["_src_path"]), answers.get("_commit"), vcs_ref)


def _same_release(source: str, commit: Any, vcs_ref: str | None) -> bool:
    """Whether ``vcs_ref`` (default: the latest release, as copier picks it) is the commit
    ``commit`` names in the local git template ``source``."""
    from scaffold.platform.export import latest_release

    template = Path(source).expanduser()
    if not isinstance(commit, str) or not commit or not (template / ".git").exists() \
            or vcs_ref in ("HEAD", ":current:"):
        return False
    try:
        target = vcs_ref or latest_release(template)
        if not target:
            return False  # copier takes HEAD, with uncommitted changes
        wanted = _commit_of(template, target)
        return wanted is not None and wanted == _commit_of(template, commit)
    except (MicrogateError, OSError):
        return False


def _commit_of(template: Path, ref: str) -> str | None:
    try:
        return git(template, "rev-parse", "--verify", "--quiet", "--end-of-options",
                   f"{ref}^{{commit}}").strip() or None
    except MicrogateError:
        return None


def _restore(repo: Path) -> None:
    """Undo a failed or interrupted update: the tree was clean before it (ensure_clean),
    so the last commit is exactly what was there."""
    git(repo, "reset", "--hard", "--quiet", "HEAD")
    git(repo, "clean", "-d", "--force", "--quiet")


def _apply(repo: Path, data: dict[str, Any], options: UpdateOptions,
           report: UpdateReport) -> None:
    from scaffold.checks import spec
    from scaffold.generation.render import record_rendered_data

    run_copier_update(repo, data, options)
    record_rendered_data(repo, data)
    report.to_version = _version(read_answers(repo))
    _collect(repo, report)
    changed = report.updated or report.added or report.deleted
    if report.conflicts:
        report.status = "conflicts"
    elif changed:
        report.status = "updated"
    else:
        report.status = "current"
    if options.check and changed:
        # Only the checks the changed files concern; the last commit is checked only when
        # something fails now, to tell new failures from old ones.
        names = report.updated + report.added + report.deleted + report.conflicts
        fields = _changed_manifest_fields(repo) if MANIFEST in names else set()
        checks = [name for name in POLICY_CHECKS
                  if any(_concerns(spec(name), n, fields) for n in names)]
        after = policy_findings(repo, checks)
        if after:
            report.new_failures = sorted(after - findings_at_head(repo, checks))


def _changed_manifest_fields(repo: Path) -> set[str]:
    """The top-level fields of microapp.yaml the update changed (all, when unreadable)."""
    everything = {"*"}
    try:
        before = yamlio.load(git(repo, "show", f"HEAD:{MANIFEST}"))
        after = yamlio.load((repo / MANIFEST).read_text(encoding="utf-8"))
    except (MicrogateError, OSError, ValueError, UnicodeDecodeError):
        return everything
    if not isinstance(before, dict) or not isinstance(after, dict):
        return everything
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}


def _concerns(check: CheckSpec, name: str, manifest_fields: set[str]) -> bool:
    if not check.wants(name):
        return False
    if name != MANIFEST or check.manifest_fields is None or "*" in manifest_fields:
        return True
    return bool(manifest_fields & set(check.manifest_fields))


def exit_code(report: UpdateReport) -> int:
    if report.conflicts:
        return EXIT_CONFLICTS
    return 1 if report.new_failures else 0
