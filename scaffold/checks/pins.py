"""The pins check: what the app installs cannot change under it.

- each lockfile line (``requirements*.txt`` anywhere, ``requirements/*.txt``, and the
  files they include with ``-r``/``-c``) is ``name==version`` with at least one ``--hash``;
- each lockfile holds every top-level requirement of its ``.in`` file (following ``-r``
  includes), at a version the ``.in`` allows; includes never leave the repo;
- each Dockerfile ``FROM`` names an image by ``@sha256:`` digest;
- each GitHub Actions ``uses:`` names a full 40-character commit SHA, and each service or
  job container ``image:`` an ``@sha256:`` digest.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from scaffold.checks import CheckResult
from scaffold.findings import Finding, Severity

if TYPE_CHECKING:
    from packaging.markers import Marker

CHECK = "pins"
MAX_BYTES = 5_000_000
FROM_LINE = re.compile(r"^\s*FROM\s+(?P<rest>.+)$", re.IGNORECASE)
USES_LINE = re.compile(r"^\s*(?:-\s*)?uses\s*:\s*['\"]?(?P<ref>[^'\"\s#]+)")
FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
ADVICE = """\
Pinning makes every install the same, and a changed download is refused:
  - requirements*.txt: run `microgate lock` after editing requirements*.in;
  - Dockerfile: write FROM image:tag@sha256:<digest> (the digest of the image you tested);
  - GitHub Actions: write uses: owner/action@<40-character commit SHA> # v4."""


# Options that change where packages come from: a lockfile that carries them can send an
# install to another index, or over plain HTTP, whatever its hashes say about the names.
SOURCE_OPTIONS = {"-i", "--index-url", "--extra-index-url", "--trusted-host", "-f",
                  "--find-links", "--no-index"}
REQUIREMENT_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?"
                              r"(?:\s*==\s*([^\s;\\,]+))?")
HASH_OPTION = re.compile(r"--hash[=\s]+(?P<value>\S*)")
SHA256_HASH = re.compile(r"^sha256:[0-9a-f]{64}$")


def _read_text(repo: Path, name: str, findings: list[Finding]) -> str | None:
    from scaffold.safefiles import SkippedFile, read_text

    try:
        return read_text(repo, name, max_bytes=MAX_BYTES)
    except FileNotFoundError:
        return None
    except SkippedFile as exc:
        # Too large to be a lockfile: say so. Unreadable (not UTF-8, a pipe, a link out of
        # the repo): it cannot be checked, so it cannot pass.
        severity: Severity = "warning" if "limit" in exc.why else "error"
        findings.append(Finding(name, None, CHECK, "unreadable", exc.why, severity))
    return None


def logical_lines(text: str) -> list[tuple[int, str]]:
    """Join backslash continuations; drop comments and blank lines; keep the first line no."""
    joined: list[tuple[int, str]] = []
    buffer, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if not buffer:
            start = number
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        buffer += line
        if buffer.strip():
            joined.append((start, buffer.strip()))
        buffer = ""
    if buffer.strip():
        joined.append((start, buffer.strip()))
    return joined


def canonical_name(name: str) -> str:
    """PEP 503's normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


# ``name==version`` (with extras), the line of nearly every lockfile: read without
# importing packaging's parser (a third of the hook's start-up).
SIMPLE_PIN = re.compile(r"^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(?:\[[\w,\s.-]*\])?"
                        r"\s*==\s*([A-Za-z0-9][A-Za-z0-9.+!_-]*)$")


def locked_versions(text: str) -> dict[str, str]:
    pins = {}
    for _, line in logical_lines(text):
        spec = line.split(" --hash", 1)[0].strip()
        if spec.startswith("-"):
            continue
        simple = SIMPLE_PIN.match(spec)
        if simple:
            pins[canonical_name(simple.group(1))] = simple.group(2)
            continue
        from packaging.requirements import InvalidRequirement, Requirement

        try:
            requirement = Requirement(spec)
        except InvalidRequirement:
            continue
        specifiers = list(requirement.specifier)
        if len(specifiers) == 1 and specifiers[0].operator == "==":
            pins[canonical_name(requirement.name)] = specifiers[0].version
    return pins


INCLUDE_OPTIONS = {"-r", "--requirement", "-c", "--constraint"}


def included_files(name: str, text: str) -> list[tuple[int, str]]:
    """The files a requirements file includes (``-r``/``-c``), relative to the repo."""
    found = []
    for number, line in logical_lines(text):
        match = re.match(r"^(-r|--requirement|-c|--constraint)(?:[=\s]+|(?=[^-\s]))(\S+)", line)
        if match:
            target = match.group(2)
            found.append((number, target if Path(target).is_absolute()
                          else (Path(name).parent / target).as_posix()))
    return found


def check_lockfile(name: str, text: str) -> list[Finding]:
    findings = []
    for number, line in logical_lines(text):
        if line.startswith("-"):
            option = line.split()[0].split("=", 1)[0]
            if option in INCLUDE_OPTIONS or option[:2] in ("-r", "-c") and len(option) > 2:
                continue  # the included file is checked on its own (see run)
            if option in {"-e", "--editable"}:
                findings.append(Finding(name, number, CHECK, "unpinned",
                                        "an editable install cannot be pinned or hashed"))
            elif option in SOURCE_OPTIONS:
                findings.append(Finding(name, number, CHECK, "package-source",
                                        f"{option} changes where packages are downloaded "
                                        "from: remove it (the platform's index is set by "
                                        "pip's configuration, not by the lockfile)"))
            continue
        spec = line.split(" --hash", 1)[0].strip()
        simple = SIMPLE_PIN.match(spec)
        if simple:
            package = simple.group(1)
        else:
            from packaging.requirements import InvalidRequirement, Requirement

            try:
                requirement = Requirement(spec)
            except InvalidRequirement:
                findings.append(Finding(name, number, CHECK, "invalid",
                                        f"{spec!r} is not a valid requirement"))
                continue
            package = requirement.name
            specifiers = list(requirement.specifier)
            if requirement.url or len(specifiers) != 1 or specifiers[0].operator != "==":
                findings.append(Finding(name, number, CHECK, "unpinned",
                                        f"{package} is not pinned to one version "
                                        f"(write {package}==<version>)"))
        hashes = [m.group("value") for m in HASH_OPTION.finditer(line)]
        if not hashes:
            findings.append(Finding(name, number, CHECK, "no-hash",
                                    f"{package} has no --hash: a changed download "
                                    "would not be noticed"))
        elif not all(SHA256_HASH.match(value) for value in hashes):
            findings.append(Finding(name, number, CHECK, "bad-hash",
                                    f"{package} has a --hash that is not sha256: "
                                    "followed by 64 hex digits: run `microgate lock`"))
    return findings


SIMPLE_REQUIREMENT = re.compile(
    r"^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(?:\[[\w,\s.-]*\])?\s*"
    r"((?:(?:==|!=|<=|>=|~=|<|>)\s*[A-Za-z0-9.*+!_-]+\s*,?\s*)*)$")


class TopRequirement(NamedTuple):
    """A requirement of an ``.in`` file: its name, version ranges and environment marker."""

    name: str
    specifier: str  # PEP 440 version ranges, as packaging writes them ("" for any)
    marker: Marker | None


# packaging's specifiers cost a hook ~10 ms to import (their regexes compile on import):
# a requirements.in that did not change has its ranges read from the parse cache.

def _normalised_specifier(text: str) -> str | None:
    """Version ranges as packaging writes them; None when they are not valid."""
    from scaffold.parsecache import cached

    def parse() -> str | None:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            return str(SpecifierSet(text))
        except InvalidSpecifier:
            return None

    if not text.strip():
        return ""
    return cached("specifier", text.encode(), parse, code=(__file__,),
                  libraries=("packaging",))


def _allows(ranges: str, version: str) -> bool:
    """Whether ``version`` is within ``ranges`` (pre-releases too: the lockfile says)."""
    from scaffold.parsecache import cached

    def contains() -> bool:
        from packaging.specifiers import SpecifierSet

        return SpecifierSet(ranges).contains(version, prereleases=True)

    return cached("specifier-contains", f"{ranges}\0{version}".encode(), contains,
                  code=(__file__,), libraries=("packaging",))


def _top_level_requirements(
        repo: Path, name: str, seen: set[str]) -> list[tuple[int, str, TopRequirement | None]]:
    """Requirements of an ``.in`` file, following ``-r`` includes inside the repo (an
    include that leaves it comes back as None)."""
    from scaffold.safefiles import SkippedFile, read_text, resolve_inside

    if name in seen or len(seen) > 100:
        return []
    seen.add(name)
    if resolve_inside(repo, name) is None:
        return []
    try:
        text = read_text(repo, name, max_bytes=MAX_BYTES)
    except (OSError, SkippedFile):
        return []
    found: list[tuple[int, str, TopRequirement | None]] = []
    for number, line in logical_lines(text):
        if line.startswith(("-c", "--constraint")):
            target = re.sub(r"^(-c|--constraint)[=\s]*", "", line).strip()
            included = (Path(name).parent / target).as_posix()
            if Path(target).is_absolute() or resolve_inside(repo, included) is None:
                found.append((number, name, None))
            continue
        if line.startswith(("-r ", "--requirement ", "-r", "--requirement=")):
            target = re.sub(r"^(-r|--requirement)[=\s]*", "", line).strip()
            included = (Path(name).parent / target).as_posix()
            if Path(target).is_absolute() or resolve_inside(repo, included) is None:
                found.append((number, name, None))
                continue
            found += _top_level_requirements(repo, included, seen)
            continue
        if line.startswith("-"):
            continue
        simple = SIMPLE_REQUIREMENT.match(line)
        if simple:  # name and version ranges: packaging's specifiers, not its parser
            ranges = _normalised_specifier(simple.group(2) or "")
            if ranges is not None:
                found.append((number, name, TopRequirement(simple.group(1), ranges, None)))
            continue
        from packaging.requirements import InvalidRequirement, Requirement

        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        found.append((number, name, TopRequirement(requirement.name, str(requirement.specifier),
                                                   requirement.marker)))
    return found


def check_sync(repo: Path, source_name: str) -> list[Finding]:
    lock_name = source_name[:-3] + ".txt"
    lock_path = repo / lock_name
    if not lock_path.is_file():
        return [Finding(source_name, None, CHECK, "no-lockfile",
                        f"{lock_name} is missing: run `microgate lock` to pin {source_name}")]
    from scaffold.safefiles import SkippedFile, read_text

    try:
        pins = locked_versions(read_text(repo, lock_name, max_bytes=MAX_BYTES))
    except (OSError, SkippedFile):
        return []
    findings = []
    for number, origin, requirement in _top_level_requirements(repo, source_name, set()):
        if requirement is None:
            findings.append(Finding(origin, number, CHECK, "outside-repo",
                                    "this -r/-c include points outside the repo: it is not "
                                    "read; keep every requirements file inside the repo"))
            continue
        key = canonical_name(requirement.name)
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        if key not in pins:
            findings.append(Finding(origin, number, CHECK, "out-of-sync",
                                    f"{requirement.name} is not in {lock_name}: run "
                                    "`microgate lock`"))
        elif requirement.specifier and not _allows(requirement.specifier, pins[key]):
            findings.append(Finding(origin, number, CHECK, "out-of-sync",
                                    f"{lock_name} pins {requirement.name}=={pins[key]}, which "
                                    f"{origin} does not allow ({requirement.specifier}): run "
                                    "`microgate lock`"))
    return findings


def check_dockerfile(name: str, text: str) -> list[Finding]:
    findings = []
    stages: set[str] = set()
    for number, line in logical_lines(text):
        match = FROM_LINE.match(line)
        if not match:
            continue
        words = [w for w in match.group("rest").split() if not w.startswith("--")]
        if not words:
            continue
        image = words[0]
        if len(words) >= 3 and words[1].lower() == "as":
            stages.add(words[2].lower())
        if image.lower() == "scratch" or image.lower() in stages:
            continue
        if "$" in image:
            findings.append(Finding(name, number, CHECK, "unpinned-image",
                                    f"FROM {image} is decided at build time; name the image "
                                    "with its @sha256: digest"))
        elif not re.search(r"@sha256:[0-9a-f]{64}$", image):
            findings.append(Finding(name, number, CHECK, "unpinned-image",
                                    f"FROM {image} is not pinned: add @sha256:<digest>"))
    return findings


def check_toml_lockfile(name: str, text: str) -> list[Finding]:
    """uv.lock and pylock.toml: every package from an index has a version and hashes."""
    from scaffold.engines.deps.lockfiles import toml_lock_packages

    try:
        packages = toml_lock_packages(text)
    except ValueError as exc:
        return [Finding(name, None, CHECK, "invalid", f"not valid TOML: {exc}")]
    findings = []
    for package in packages:
        if package.vcs_commit or not package.from_index:
            continue  # a git source at a full commit; the project itself; a local folder
        if not package.version:
            findings.append(Finding(name, package.line, CHECK, "unpinned",
                                    f"{package.name} has no version in the lockfile"))
        elif package.hashes == 0:
            findings.append(Finding(name, package.line, CHECK, "no-hash",
                                    f"{package.name}=={package.version} has no artifact hash: "
                                    "a changed download would not be noticed (re-lock)"))
    return findings


def check_pyproject(repo: Path, name: str, text: str) -> list[Finding]:
    """``[project] dependencies`` are locked: by uv.lock or pylock.toml beside it (every
    dependency in it), or by a requirements lockfile."""
    from scaffold import tomlio
    from scaffold.engines.deps.lockfiles import LOCKFILE_PATTERN, toml_lock_packages

    try:
        project = tomlio.load(text).get("project") or {}
    except ValueError:  # tomllib's TOMLDecodeError
        return []  # the manifest and test-presence checks report a broken pyproject.toml
    dependencies = project.get("dependencies") if isinstance(project, dict) else None
    if not isinstance(dependencies, list) or not dependencies:
        return []
    folder = Path(name).parent
    locks = [path for path in (repo / folder / "uv.lock", *sorted((repo / folder).glob(
        "pylock*.toml"))) if path.is_file()]
    if not locks:
        from scaffold.gitops import repo_files

        if any(LOCKFILE_PATTERN.search(other) for other in repo_files(repo)):
            return []  # locked with requirements files (microgate lock)
        return [Finding(name, None, CHECK, "no-lockfile",
                        "[project] dependencies are not locked: run `uv lock`, `pip lock` "
                        "or `microgate lock`, and commit the lockfile")]
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        locked = {canonical_name(p.name) for p in toml_lock_packages(
            locks[0].read_text(encoding="utf-8"))}
    except (OSError, UnicodeDecodeError, ValueError):
        return []
    findings = []
    lock_name = (folder / locks[0].name).as_posix()
    lines = text.splitlines()
    for dependency in dependencies:
        try:
            requirement = Requirement(str(dependency))
        except InvalidRequirement:
            continue
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        if canonical_name(requirement.name) not in locked:
            number = next((i for i, line in enumerate(lines, 1)
                           if f'"{dependency}"' in line or f"'{dependency}'" in line), None)
            findings.append(Finding(name, number, CHECK, "out-of-sync",
                                    f"{requirement.name} is not in {lock_name}: re-lock"))
    return findings


IMAGE_LINE = re.compile(r"^\s*(?:-\s*)?(?P<key>image|container)\s*:\s*['\"]?"
                        r"(?P<image>[^'\"\s#]+)")


PIP_INSTALL = re.compile(r"\bpip3?\s+install\s+(?P<rest>.*)$")
PINNED_VCS = re.compile(r"^(?:[A-Za-z0-9._-]+\s*@\s*)?git\+\S+@[0-9a-f]{40}$")


def unpinned_pip_install(line: str) -> str | None:
    """The packages a ``pip install`` on this line takes from the index unpinned (None
    when it is pinned: ``--require-hashes``, or ``--no-deps`` with only local folders and
    git URLs at a full commit)."""
    import shlex

    match = PIP_INSTALL.search(line.split(" #", 1)[0])
    if not match:
        return None
    try:
        words = shlex.split(match.group("rest"))
    except ValueError:
        words = match.group("rest").split()
    words = [w for w in words if w not in ("&&", ";", "|", "\\")]
    if "--require-hashes" in words:
        return None
    targets = [w for w in words if not w.startswith("-")]
    local = [t for t in targets if t.startswith((".", "/")) or PINNED_VCS.match(t)]
    if "--no-deps" in words and targets and len(local) == len(targets):
        return None
    return " ".join(words)


def check_workflow(name: str, text: str) -> list[Finding]:
    findings = []
    for number, line in enumerate(text.splitlines(), start=1):
        unpinned = unpinned_pip_install(line)
        if unpinned is not None:
            findings.append(Finding(
                name, number, CHECK, "unpinned-install",
                f"pip install {unpinned}: installs whatever the index serves that day. "
                "Install from a lockfile with hashes (pip install --require-hashes -r "
                "ci-tools.txt; `microgate lock` makes requirements*.txt)"))
            continue
        image = IMAGE_LINE.match(line)
        if image and not image.group("image").startswith("$"):
            reference = image.group("image")
            if not re.search(r"@sha256:[0-9a-f]{64}$", reference):
                where = "a job's container" if image.group("key") == "container" else \
                    "a service or container image"
                findings.append(Finding(name, number, CHECK, "unpinned-image",
                                        f"{reference} ({where}) is not pinned: add "
                                        "@sha256:<digest>"))
            continue
        match = USES_LINE.match(line)
        if not match:
            continue
        ref = match.group("ref")
        if ref.startswith("./") or ref.startswith("docker://"):
            if ref.startswith("docker://") and "@sha256:" not in ref:
                findings.append(Finding(name, number, CHECK, "unpinned-action",
                                        f"{ref} is not pinned: add @sha256:<digest>"))
            continue
        action, _, version = ref.partition("@")
        if not FULL_SHA.match(version):
            findings.append(Finding(name, number, CHECK, "unpinned-action",
                                    f"{action}@{version or '(no version)'} is not pinned to a "
                                    "commit: use the full 40-character SHA, with the version "
                                    "in a comment"))
    return findings


def run(repo: Path, files: list[str] | None) -> CheckResult:
    from scaffold.checks import spec
    from scaffold.engines.deps.lockfiles import LOCKFILE_PATTERN, SOURCE_PATTERN, TOML_LOCKFILE
    from scaffold.gitops import repo_files
    from scaffold.safefiles import resolve_inside

    names = [n for n in (repo_files(repo) if files is None else files) if spec(CHECK).wants(n)]
    findings: list[Finding] = []
    sync_sources: set[str] = set()
    queue = list(names)
    seen: set[str] = set()
    while queue:
        name = queue.pop(0)
        if name in seen:
            continue
        seen.add(name)
        base = name.rsplit("/", 1)[-1]
        if SOURCE_PATTERN.search(name):
            sync_sources.add(name)
            continue
        text = _read_text(repo, name, findings)
        if text is None:
            continue
        if TOML_LOCKFILE.search(name):
            findings += check_toml_lockfile(name, text)
            continue
        if base == "pyproject.toml":
            findings += check_pyproject(repo, name, text)
            continue
        if LOCKFILE_PATTERN.search(name) or name.endswith(".txt"):
            findings += check_lockfile(name, text)
            for number, included in included_files(name, text):
                if Path(included).is_absolute() or resolve_inside(repo, included) is None:
                    findings.append(Finding(name, number, CHECK, "outside-repo",
                                            "this -r/-c include points outside the repo: it "
                                            "is not read; keep every requirements file "
                                            "inside the repo"))
                elif included.endswith(".txt") and (repo / included).is_file():
                    queue.append(included)  # a lockfile it includes is checked too
            source = name[:-4] + ".in"
            if (repo / source).is_file():
                sync_sources.add(source)
        elif "dockerfile" in base.lower():
            findings += check_dockerfile(name, text)
        else:
            findings += check_workflow(name, text)
    for source in sorted(sync_sources):
        findings += check_sync(repo, source)
    findings += check_names(repo, [n for n in names if _is_requirements(n)])
    return CheckResult(findings, [], ADVICE, len(names))


def _is_requirements(name: str) -> bool:
    from scaffold.engines.deps.lockfiles import LOCKFILE_PATTERN, SOURCE_PATTERN

    return bool(LOCKFILE_PATTERN.search(name) or SOURCE_PATTERN.search(name))


def check_names(repo: Path, names: list[str], today: dt.date | None = None) -> list[Finding]:
    """Names that should not be there: a look-alike of a popular package, and a release
    younger than the tier's cooldown (its upload date from .microgate/licenses.json)."""
    from scaffold.engines.deps.lockfiles import app_tier, approved_packages
    from scaffold.engines.deps.names import (
        closest_popular,
        cooldown_days,
        curated_set,
        upload_dates,
    )

    if not names:
        return []
    approved = approved_packages(repo)
    tier = app_tier(repo)
    curated = curated_set()
    uploaded = upload_dates(repo)
    cooldown = cooldown_days(tier)
    today = today or dt.date.today()
    findings: list[Finding] = []
    from scaffold.engines.deps.lockfiles import TOML_LOCKFILE, toml_lock_packages

    for name in names:
        text = _read_text(repo, name, [])
        if text is None:
            continue
        if TOML_LOCKFILE.search(name):
            try:
                entries = [(p.line, p.name, p.version) for p in toml_lock_packages(text)
                           if p.version and p.from_index]
            except ValueError:
                continue  # reported by check_toml_lockfile
        else:
            entries = []
            for number, line in logical_lines(text):
                match = REQUIREMENT_NAME.match(line)
                if match:
                    entries.append((number, match.group(1), match.group(2)))
        for number, raw_name, version in entries:
            package = canonical_name(raw_name)
            trusted = package in approved or package in curated.allowed.get(tier, {})
            lookalike = None if trusted else closest_popular(package)
            if lookalike:
                findings.append(Finding(name, number, CHECK, "look-alike",
                                        f"{package} is a letter or two away from the popular "
                                        f"package {lookalike}: did you mean {lookalike}? "
                                        "(names like this are registered by attackers; if "
                                        f"{package} is right, approve it in pyproject.toml)"))
            released = uploaded.get(f"{package}=={version}") if version else None
            if released is not None and (today - released).days < cooldown:
                age = (today - released).days
                findings.append(Finding(name, number, CHECK, "too-new",
                                        f"{package}=={version} was released {age} day"
                                        f"{'s' if age != 1 else ''} ago; tier {tier} waits "
                                        f"{cooldown} days before using a release (a "
                                        "hijacked release is usually caught by then): pin "
                                        "the previous one for now"))
    return findings
