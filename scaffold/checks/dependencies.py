"""The dependencies check: every pinned package is in the platform's curated set (or
approved in the repo), and every import in the code is provided by a pinned package."""

from __future__ import annotations

from pathlib import Path

from scaffold.checks import CheckResult
from scaffold.findings import Finding

CHECK = "dependencies"
ADVICE = """\
A package outside the platform's curated set (policies/dependencies.yaml) needs the
platform team's approval; record it in pyproject.toml:
    [tool.microgate.dependencies]
    approved = ["package-name"]
An import that no pinned package provides: add the package to requirements.in and run
`microgate lock`, or remove the import (an LLM may have invented the package)."""


def run(repo: Path, files: list[str] | None) -> CheckResult:
    from scaffold.engines.deps.lockfiles import (
        Origins,
        app_tier,
        approved_packages,
        lockfiles,
        read_pinned,
    )
    from scaffold.engines.deps.names import curated_set, unprovided_imports

    every_lockfile = lockfiles(repo)
    pinned, notes = read_pinned(repo, every_lockfile)
    approved = approved_packages(repo)
    tier = app_tier(repo)
    curated = curated_set()
    findings: list[Finding] = []
    origins = Origins(repo)
    changed = None if files is None else set(files)
    for pin in sorted(pinned):
        if changed is not None and pin.lockfile not in changed and "pyproject.toml" \
                not in changed:
            continue
        verdict, reason = curated.verdict(pin.name, tier)
        if verdict == "denied" or (verdict == "not-allowed" and pin.name not in approved):
            where = origins.of(pin.lockfile, pin.name)
            came = f" ({where})" if where else ""
        if verdict == "denied":
            findings.append(Finding(pin.lockfile, pin.line, CHECK, "denied",
                                    f"{pin.name} may not be used: {reason}{came}; remove it "
                                    "or what needs it, then run `microgate lock`"))
        elif verdict == "not-allowed" and pin.name not in approved:
            findings.append(Finding(pin.lockfile, pin.line, CHECK, "not-curated",
                                    f"{pin.name} is not in the platform's curated set for "
                                    f"tier {tier}{came}: ask the platform team, then add it "
                                    "to [tool.microgate.dependencies] approved in "
                                    "pyproject.toml"))
    if not every_lockfile:
        return CheckResult(findings, notes, ADVICE, 0)
    sources = [name for name in (files if files is not None else _python_files(repo))
               if name.endswith(".py") and not _is_test(name)]
    distributions = {pin.name for pin in pinned}
    for item in unprovided_imports(repo, sources, distributions,
                                   also_local=_local_names(repo)):
        findings.append(Finding(item.path, item.line, CHECK, "unprovided-import",
                                f"imports {item.module}, which no pinned dependency "
                                "provides: add it to requirements.in and run `microgate "
                                "lock`, or remove the import"))
    return CheckResult(findings, notes, ADVICE, len(pinned) + len(sources))


def _is_test(name: str) -> bool:
    parts = Path(name).parts
    return "tests" in parts or "test" in parts or Path(name).name.startswith("test_") \
        or Path(name).name == "conftest.py"


def _python_files(repo: Path) -> list[str]:
    from scaffold.gitops import repo_files

    return [name for name in repo_files(repo) if name.endswith(".py")]


def _local_names(repo: Path) -> set[str]:
    """Top-level modules and packages of the repo, whichever file is being checked."""
    names = set()
    for base in (repo, repo / "src"):
        try:
            for child in base.iterdir():
                if child.suffix == ".py" or (child.is_dir() and
                                             (child / "__init__.py").is_file()):
                    names.add(child.stem)
        except OSError:
            continue
    return names
