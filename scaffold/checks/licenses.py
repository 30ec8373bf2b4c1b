"""The licenses check: each pinned dependency's license is allowed by the policy."""

from __future__ import annotations

from pathlib import Path

from scaffold.checks import CheckResult
from scaffold.engines.licenses import (
    CACHE_FILE,
    LOCKFILE,
    evaluate,
    read_cache,
    read_pins,
    repo_license_policy,
)
from scaffold.errors import MicrogateError
from scaffold.findings import Finding

CHECK = "licenses"
ADVICE = f"""\
Licenses come from {CACHE_FILE}, made from the package index by
`microgate licenses refresh` (also run by `microgate lock`); commit it with the lockfile.
A denied license: replace the package. One that needs review: ask the platform team,
then record their approval in pyproject.toml:
    [tool.microgate.licenses]
    reviewed = ["package==version"]"""


def run(repo: Path, files: list[str] | None) -> CheckResult:
    from scaffold.engines.deps.lockfiles import Origins, lockfiles

    every_lockfile = lockfiles(repo)
    try:
        policy = repo_license_policy(repo)
        pins = [(lockfile, pin) for lockfile in every_lockfile
                for pin in read_pins(repo, lockfile)]
        cache = read_cache(repo)
    except MicrogateError as exc:
        return CheckResult([Finding(CACHE_FILE, None, CHECK, "config", exc.message)],
                           advice=ADVICE)
    if not pins:
        return CheckResult(notes=[f"no pinned dependencies in {LOCKFILE}" if not every_lockfile
                                  else f"no pinned dependencies in {', '.join(every_lockfile)}"])
    findings = []
    origins = Origins(repo)
    for lockfile, pin in pins:
        entry = cache.get(pin.key)
        if entry is None:
            findings.append(Finding(lockfile, pin.line, CHECK, "unknown",
                                    f"{pin.key} has no license on record: run "
                                    "`microgate licenses refresh`"))
            continue
        license_id = entry.get("license", "UNKNOWN")
        status = policy.unknown if license_id == "UNKNOWN" else evaluate(license_id, policy)
        if status == "allow" or (status == "review" and pin.key in policy.reviewed):
            continue
        described = "an unknown license" if license_id == "UNKNOWN" else license_id
        where = origins.of(lockfile, pin.name)
        came = f" ({where})" if where else ""
        if status == "deny":
            findings.append(Finding(lockfile, pin.line, CHECK, "denied",
                                    f"{pin.key} is under {described}, which the license "
                                    f"policy does not allow{came}: replace it, then run "
                                    "`microgate lock`"))
        else:
            findings.append(Finding(lockfile, pin.line, CHECK, "needs-review",
                                    f"{pin.key} is under {described}, which needs the "
                                    f"platform team's review before it is used{came}: ask "
                                    "them, then list it under [tool.microgate.licenses] "
                                    "reviewed in pyproject.toml, or replace it"))
    return CheckResult(findings, [], ADVICE, len({pin.key for _, pin in pins}))
