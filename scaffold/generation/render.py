"""Generate a micro app's repo from the copier template.

Everything is rendered, locked, committed and hooked up in a scratch folder beside the
target, and moved into place only when every step has worked: a failure or a Ctrl-C
midway leaves nothing half-written.
"""

from __future__ import annotations

import errno
import filecmp
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaffold import __version__
from scaffold.engines.licenseindex import IndexLookupError
from scaffold.engines.licenseindex import refresh as refresh_licenses
from scaffold.errors import MicrogateError, UnsafeTemplateError, UsageError
from scaffold.generation.lockfile import IndexUnreachable, lock
from scaffold.gitops import init_and_commit, install_pre_commit
from scaffold.manifest import Manifest
from scaffold.policy import TierPolicy, default_policy
from scaffold.resources import bundled_template

DEFAULT_HOOKS_REPO = "https://github.com/microgate-dev/microgate"
BACKUP_DIR = ".microgate-backup"


@dataclass
class NewOptions:
    """How to generate: where, from which template, and which steps to run."""

    dest: Path
    template: str | None = None
    vcs_ref: str | None = None
    trust: bool = False
    force: bool = False
    lock: bool = True
    git: bool = True
    commit: bool = True
    install_hooks: bool = True
    hooks_repo: str | None = None
    hooks_rev: str | None = None
    # Told each step as it starts (the wizard prints them: generation takes ~40 s).
    progress: Callable[[str], None] | None = None

    def step(self, text: str) -> None:
        if self.progress is not None:
            self.progress(text)


@dataclass
class NewResult:
    path: Path
    manifest: Manifest
    locked: bool
    replaced: list[str] = field(default_factory=list)
    backup_dir: Path | None = None
    notes: list[str] = field(default_factory=list)


def _is_url(source: str) -> bool:
    return "://" in source or source.startswith(("git@", "gh:", "gl:"))


def resolve_template(template: str | None) -> tuple[str, bool]:
    """Return the template source copier should use, and whether it is microgate's own
    (no --template: the platform's template in policies/platform.yaml, else the bundled)."""
    if template is None:
        from scaffold.platform.platform_settings import platform_settings

        template = platform_settings().template or None
    if template is None:
        return str(bundled_template()), True
    if _is_url(template):
        return template, False
    if template.startswith("file://"):
        template = template[len("file://"):]
    path = Path(template).expanduser().resolve()
    if not path.is_dir():
        raise UsageError(f"template not found: {template} is not a folder")
    if not any((path / name).is_file() for name in ("copier.yml", "copier.yaml")):
        raise UsageError(f"{template}: not a copier template (no copier.yml in it)")
    return str(path), path == bundled_template().resolve()


def installed_from_checkout() -> tuple[str, str] | None:
    """(folder, commit) when this microgate was installed from a git checkout
    (``pip install .`` or ``-e .``, which record it in direct_url.json, PEP 610).

    A fresh machine reaches that checkout where it may not reach the public hook
    repository, and its commit holds exactly the hooks of the microgate that runs.
    """
    import importlib.metadata
    import json
    import subprocess
    import urllib.parse

    try:
        text = importlib.metadata.distribution("microgate").read_text("direct_url.json")
        url = str(json.loads(text or "{}").get("url", ""))
    except (importlib.metadata.PackageNotFoundError, ValueError, AttributeError):
        return None
    if not url.startswith("file://"):
        return None
    folder = Path(urllib.parse.unquote(url[len("file://"):]))
    if not (folder / ".git").exists() or not (folder / ".pre-commit-hooks.yaml").is_file():
        return None
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (str(folder), commit) if commit else None


def microgate_requirement(repo: str, rev: str) -> str:
    """What CI gives pip to install microgate from the hooks' own repository and
    revision (a commit pins it as a hash would)."""
    if repo.startswith("git@") and ":" in repo:
        host, _, path = repo.partition(":")
        url = f"ssh://{host}/{path}"
    elif "://" in repo:
        url = repo
    else:
        url = Path(repo).expanduser().absolute().as_uri()
    return f"microgate @ git+{url}@{rev}"


def _installed_hook_store() -> tuple[str, str]:
    """The installed microgate's hook suite, committed to a git store on this machine."""
    from scaffold.platform.hookstore import ensure_hook_release

    store, commit = ensure_hook_release()
    return str(store), commit


def pinned_hooks(hooks_repo: str | None = None, hooks_rev: str | None = None
                 ) -> tuple[str, str]:
    """(repository, revision) of the hook suite a new app pins: the arguments, else the
    environment, else the platform's settings, else the checkout this microgate was
    installed from, else its own hook store."""
    from scaffold.platform.platform_settings import platform_settings

    settings = platform_settings()
    repo = hooks_repo or os.environ.get("MICROGATE_HOOKS_REPO") or settings.hooks_repo or None
    rev = hooks_rev or os.environ.get("MICROGATE_HOOKS_REV") or settings.hooks_rev or None
    if rev is None and repo is None:
        repo, rev = installed_from_checkout() or _installed_hook_store()
    elif rev is None and repo is not None:
        # An app that pins this microgate's own source (`microgate update` reads the repo
        # from the app) keeps being pinned as `microgate new` pins it: at that source's
        # commit, not at a release tag the source may not have.
        from scaffold.platform.hookstore import store_dir

        checkout = installed_from_checkout()
        if checkout is not None and _same_folder(repo, checkout[0]):
            rev = checkout[1]
        elif _same_folder(repo, str(store_dir())):
            rev = _installed_hook_store()[1]
    return repo or DEFAULT_HOOKS_REPO, rev or f"v{__version__}"


def _same_folder(repo: str, folder: str) -> bool:
    if "://" in repo or repo.startswith("git@"):
        return False
    try:
        return Path(repo).expanduser().resolve() == Path(folder).resolve()
    except (OSError, RuntimeError):
        return False


def policy_values(
    tier: int,
    policy: TierPolicy,
    *,
    hooks_repo: str | None = None,
    hooks_rev: str | None = None,
) -> dict[str, Any]:
    """What the template renders beside the answers, from the platform's policies."""
    rule = policy.rule(tier)
    repo, rev = pinned_hooks(hooks_repo, hooks_rev)
    return {
        "tier_caps": {
            **rule.compute.model_dump(),
            "max_monthly_budget_usd": rule.max_monthly_budget_usd,
        },
        "all_tier_caps": {
            str(number): {**tier_rule.compute.model_dump(),
                          "max_monthly_budget_usd": tier_rule.max_monthly_budget_usd}
            for number, tier_rule in sorted(policy.tiers.items())
        },
        "hooks_repo": repo,
        "hooks_rev": rev,
        "microgate_requirement": microgate_requirement(repo, rev),
        "microgate_version": __version__,
    }


def template_data(
    manifest: Manifest,
    policy: TierPolicy,
    *,
    hooks_repo: str | None = None,
    hooks_rev: str | None = None,
) -> dict[str, Any]:
    """The answers copier renders with: the manifest plus values from the policies."""
    data = manifest.model_dump(mode="json", exclude={"schema_version", "template_version"})
    data["approver"] = data.get("approver") or ""
    if data.get("schedule") is None:
        data.pop("schedule", None)
    # An LLM connector's cost figures only where it has them (the answers stay as given).
    data["connectors"] = [{k: v for k, v in connector.items() if v is not None}
                          for connector in data.get("connectors") or []]
    data.update(policy_values(manifest.tier, policy, hooks_repo=hooks_repo, hooks_rev=hooks_rev))
    return data


# -- what an app was rendered with, beyond its answers -------------------------------------

RENDERED_WITH = ("# Also rendered with (microgate keeps them here: copier does not record the "
                 "platform's values, and renders the old release with them on update):")


def record_rendered_data(app: Path, data: dict[str, Any]) -> None:
    """Add to the answers file, after copier wrote it, the data it rendered with but does
    not record (the platform's values: tier caps, the hooks' pin; answers to questions it
    did not ask). On `microgate update` copier renders the app's old release from the
    answers file: without these it would use the template's defaults, take the app's real
    values for local edits and keep them, so a new hook pin would never land. They also
    tell an app that is already current (scaffold/platform/update.py). copier rewrites the file on
    every update and never merges it, so the record is always the last render's."""
    from scaffold import yamlio
    from scaffold.platform.update import ANSWERS_FILE

    path = app / ANSWERS_FILE
    try:
        text = path.read_text(encoding="utf-8").split(RENDERED_WITH, 1)[0]
        recorded = yamlio.load(text)
    except (OSError, ValueError, UnicodeDecodeError):
        return
    if not isinstance(recorded, dict):
        return
    unrecorded = {key: value for key, value in data.items() if key not in recorded}
    if text and not text.endswith("\n"):
        text += "\n"
    import yaml

    dumped = yaml.safe_dump(unrecorded, sort_keys=True, allow_unicode=True) if unrecorded \
        else ""
    path.write_text(f"{text}{RENDERED_WITH}\n{dumped}", encoding="utf-8")


def render(
    source: str,
    target: Path,
    data: dict[str, Any],
    *,
    vcs_ref: str | None,
    unsafe: bool,
) -> None:
    """Render the template into ``target`` (a folder that must not exist yet)."""
    from scaffold.extras import require_wizard

    require_wizard("copier")
    import copier
    from copier.errors import CopierError
    from copier.errors import UnsafeTemplateError as CopierUnsafe
    from jinja2 import TemplateError

    from scaffold.generation.filemode import file_mode_asked_once
    from scaffold.generation.jinjacompile import compiled_once

    try:
        with compiled_once(), file_mode_asked_once():
            copier.run_copy(
                source,
                target,
                data=data,
                vcs_ref=vcs_ref,
                defaults=True,
                overwrite=True,
                quiet=True,
                unsafe=unsafe,
                cleanup_on_error=True,
            )
    except CopierUnsafe:
        raise UnsafeTemplateError(
            f"the template {source} wants to run its own code (tasks or Jinja extensions); "
            "if you trust it, run again with --trust"
        ) from None
    except (CopierError, TemplateError) as exc:
        raise MicrogateError(f"the template could not be rendered: {one_line(exc)}") from None
    except Exception as exc:
        raise template_source_error(source, exc) from None


def one_line(exc: BaseException) -> str:
    """The last meaningful line of an error from copier, git or plumbum."""
    lines = [line.split("| ", 1)[-1].strip(" |") for line in str(exc).splitlines()]
    lines = [line for line in lines if line]
    useful = [line for line in lines if line.lower().startswith(("fatal:", "error:"))]
    return (useful or lines or [type(exc).__name__])[-1].rstrip(".")[:300]


def template_source_error(source: str, exc: Exception) -> MicrogateError:
    """A failure to fetch or read the template as one plain line, or the exception itself
    re-raised when it is a bug of ours."""
    from plumbum.commands.processes import ProcessExecutionError

    if isinstance(exc, ProcessExecutionError | ValueError | OSError):
        return MicrogateError(f"cannot get the template {source}: {one_line(exc)}; check the "
                              "address and the release (--vcs-ref)")
    raise exc


def check_cost_fits(repo: Path, manifest: Manifest, policy: TierPolicy) -> None:
    """Refuse an app whose own Terraform and declared LLM calls would cost more than its
    budget."""
    from scaffold.checks.cost import CostInputs, estimate_app
    from scaffold.engines.cost import LlmUse

    inputs = CostInputs(
        budget=manifest.monthly_budget_usd, traffic=manifest.traffic, region=manifest.region,
        tier=manifest.tier, acknowledged=set(manifest.acknowledged_unpriced),
        llm=[LlmUse(c.name, c.model, c.calls_per_month, c.input_tokens_per_call,
                    c.output_tokens_per_call) for c in manifest.connectors if c.kind == "llm"])
    estimates, _ = estimate_app(repo, inputs)
    total = sum(result.total for _, result in estimates)
    if total > manifest.monthly_budget_usd:
        cap = policy.rule(manifest.tier).max_monthly_budget_usd
        advice = (
            f"raise the budget (tier {manifest.tier} allows up to ${cap:g}) or expect "
            "less traffic" if total <= cap else
            f"that is over tier {manifest.tier}'s cap of ${cap:g} too: expect less "
            "traffic, or ask for a higher tier"
        )
        raise UsageError(
            f"as described, the app would cost about ${total:,.2f} a month, over its "
            f"budget of ${manifest.monthly_budget_usd:g}: {advice}"
        )


@contextmanager
def scratch_beside(dest: Path, purpose: str) -> Iterator[Path]:
    """A scratch folder on ``dest``'s file system (so the result moves into place with
    a rename), removed afterwards whatever happens."""
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f".microgate-{purpose}-", dir=dest.parent))
    except OSError as exc:
        raise MicrogateError(f"cannot write in {dest.parent}: {exc.strerror}") from None
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _merge_into(source: Path, dest: Path, backup_root: Path, replaced: list[str]) -> None:
    """Move ``source``'s tree into the existing ``dest``; back up what it replaces."""
    for entry in sorted(source.iterdir()):
        target = dest / entry.name
        # Never through a link: --force writes inside the destination and nowhere else.
        if entry.is_dir() and not entry.is_symlink() and target.is_dir() and \
                not target.is_symlink():
            _merge_into(entry, target, backup_root / entry.name, replaced)
            continue
        if target.exists() or target.is_symlink():
            if entry.is_file() and target.is_file() and filecmp.cmp(entry, target, False):
                continue
            backup_root.mkdir(parents=True, exist_ok=True)
            shutil.move(str(target), str(backup_root / entry.name))
            replaced.append(str(target))
        shutil.move(str(entry), str(target))


def _check_destination(dest: Path, force: bool) -> bool:
    """Return whether ``dest`` exists with content (allowed only with --force)."""
    if dest.exists() and not dest.is_dir():
        raise UsageError(f"{dest} is a file, not a folder; choose another place")
    occupied = dest.is_dir() and any(dest.iterdir())
    if occupied and not force:
        raise UsageError(
            f"{dest} is not empty; choose an empty folder, or pass --force to add the app "
            "there (files it would replace are backed up and listed)"
        )
    return occupied


def new(manifest: Manifest, options: NewOptions, policy: TierPolicy | None = None) -> NewResult:
    """Generate a micro app's repo for ``manifest`` at ``options.dest``.

    >>> from scaffold import new, NewOptions           # doctest: +SKIP
    >>> new(manifest, NewOptions(dest=Path("sales-report"), lock=False))  # doctest: +SKIP
    """
    policy = policy or default_policy()
    dest = options.dest.expanduser().absolute()
    occupied = _check_destination(dest, options.force)
    source, is_bundled = resolve_template(options.template)
    vcs_ref = options.vcs_ref
    if is_bundled and vcs_ref is None:
        # The bundled template as a release in a git store: the app can be updated later.
        from scaffold.generation.templatestore import ensure_release

        store, vcs_ref = ensure_release()
        source = str(store)
    if options.vcs_ref and not _is_url(source) and not (Path(source) / ".git").exists():
        raise UsageError(f"--vcs-ref {options.vcs_ref}: the template {source} is not a git "
                         "repo, so it has no releases to choose from")
    data = template_data(
        manifest, policy, hooks_repo=options.hooks_repo, hooks_rev=options.hooks_rev
    )
    with scratch_beside(dest, "new") as scratch_root:
        work = scratch_root / dest.name
        options.step("Writing the app's files from the template")
        render(source, work, data, vcs_ref=vcs_ref, unsafe=options.trust or is_bundled)
        record_rendered_data(work, data)
        if any(connector.kind == "llm" for connector in manifest.connectors):
            from scaffold.engines.prompts import add_connector_prompts

            options.step("Writing the LLM connector's prompt, pinned to its model")
            add_connector_prompts(work, manifest.connectors, manifest.purpose)
        check_cost_fits(work, manifest, policy)
        result = NewResult(path=dest, manifest=manifest, locked=False)
        if options.lock:
            try:
                options.step("Pinning its dependencies with hashes (about half a minute)")
                lock(work)
                options.step("Looking up its dependencies' licenses")
                refresh_licenses(work)
                result.locked = True
            except (IndexUnreachable, IndexLookupError) as exc:
                result.notes.append(
                    f"{exc.message}: the repo was made without pinned dependencies. "
                    f"When the index is reachable, run 'microgate lock' in {dest}."
                )
        joins_existing_repo = (dest / ".git").exists()
        if joins_existing_repo:
            result.notes.append(f"{dest} is already a git repo: commit the new files yourself.")
        elif options.git:
            options.step("Making the first commit")
            init_and_commit(
                work,
                f"Create {manifest.name} with microgate {__version__}",
                owner_email=manifest.owner,
                commit=options.commit,
            )
            if options.install_hooks:
                options.step("Installing the checks every commit runs")
                install_pre_commit(work)
        if occupied:
            backup_root = dest / BACKUP_DIR
            _merge_into(work, dest, backup_root, result.replaced)
            if result.replaced:
                result.backup_dir = backup_root
        else:
            _claim(work, dest)
        return result


def _claim(work: Path, dest: Path) -> None:
    """Move the finished repo into place in one step. rename() replaces only an empty
    folder, so when another run got there first this one fails and writes nothing."""
    try:
        os.rename(work, dest)
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
            raise UsageError(f"{dest} was filled by something else while the app was being "
                             "made; nothing was written: choose another folder") from None
        raise MicrogateError(f"cannot move the app into {dest}: {exc.strerror}") from None
