"""The vulns check: no pinned dependency has a known vulnerability above the tier's bar,
unless the risk is accepted, in writing, until a date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from scaffold.checks import CheckResult
from scaffold.findings import Finding, Severity

CHECK = "vulns"
ADVICE = """\
Upgrade each package to its fixed version with the command shown, then commit the
lockfile. If you cannot yet, accept the risk in .microgate/vulns-accepted.yaml:
    accepted:
      - id: GHSA-xxxx-xxxx-xxxx
        reason: not reachable from our code (we never call the affected function)
        who: you@example.com
        until: 2027-01-31
It fails again when 'until' has passed. Advisories come from .microgate/vulns.json;
`microgate vulns refresh` brings it up to date."""
LEVELS = ("unknown", "low", "medium", "high", "critical")


def _policy() -> dict[str, Any]:
    from scaffold.resources import load_policy

    data = load_policy("vulns.yaml")
    return data if isinstance(data, dict) else {}


def run(repo: Path, files: list[str] | None, today: dt.date | None = None) -> CheckResult:
    from scaffold.engines.deps.advisories import (
        ACCEPTED_FILE,
        CACHE_FILE,
        read_accepted,
        read_cache,
    )
    from scaffold.engines.deps.lockfiles import LOCKFILE_PATTERN, app_tier, lockfiles, read_pinned
    from scaffold.engines.deps.osv import by_package, vulnerabilities
    from scaffold.errors import MicrogateError

    today = today or dt.date.today()
    # A commit that changes lockfiles: those. One that changes the cache or the accepted
    # risks (or the whole repo): every lockfile.
    changed = [name for name in files or [] if LOCKFILE_PATTERN.search(name)]
    every = files is None or len(changed) < len(files)
    pinned, notes = read_pinned(repo, lockfiles(repo) if every else changed)
    if not pinned:
        return CheckResult(notes=notes)
    try:
        cache = read_cache(repo)
    except MicrogateError as exc:
        return CheckResult([Finding(CACHE_FILE, None, CHECK, "cache", exc.message)], notes,
                           ADVICE)
    policy = _policy()
    tier = app_tier(repo)
    bar = LEVELS.index(str(policy.get("block_at", {}).get(str(tier), "high")))
    unknown_as = str(policy.get("unknown_severity", "high"))
    longest = int(policy.get("max_acceptance_days", 90))
    accepted, problems = read_accepted(repo)
    findings = [Finding(ACCEPTED_FILE, line, CHECK, "acceptance", problem)
                for line, problem in problems]
    by_id = {}
    for entry in accepted:
        if entry.until > today + dt.timedelta(days=longest):
            findings.append(Finding(ACCEPTED_FILE, entry.line, CHECK, "acceptance",
                                    f"{entry.id}: until {entry.until} is more than "
                                    f"{longest} days away; accept a risk for {longest} days "
                                    "at most, then look again"))
            continue
        by_id[entry.id] = entry
    covered = set(cache.packages)
    unchecked = sorted({p.name for p in pinned if p.name not in covered})
    if unchecked and cache.packages:
        verb = "is" if len(unchecked) == 1 else "are"
        findings.append(Finding(CACHE_FILE, None, CHECK, "not-in-cache",
                                f"{', '.join(unchecked[:5])} {verb} not in the advisory "
                                "cache: run `microgate vulns refresh`", "warning"))
    elif not cache.packages:
        findings.append(Finding(CACHE_FILE, None, CHECK, "no-cache",
                                "no advisory cache, so no dependency was checked for known "
                                "vulnerabilities: run `microgate vulns refresh` and commit "
                                f"{CACHE_FILE}", "warning"))
    grouped = by_package(cache.advisories)
    for pin in sorted(pinned):
        for flaw in vulnerabilities(grouped.get(pin.name, []), pin.name, pin.version):
            level = flaw.severity if flaw.severity != "unknown" else unknown_as
            acceptance = next((by_id[i] for i in flaw.ids if i in by_id), None)
            also = f" ({', '.join(flaw.ids[1:4])})" if len(flaw.ids) > 1 else ""
            rated = f"{flaw.severity}" + (f", CVSS {flaw.score:g}" if flaw.score else "")
            fixed = cache.usable_fix(pin.name, flaw.fixed)
            pulled = f" ({flaw.fixed} was yanked)" if fixed != flaw.fixed else ""
            fix = (f"upgrade{pulled}: microgate lock --upgrade-package {pin.name}=={fixed}"
                   if fixed else "no fixed version yet: replace the package or accept "
                   "the risk")
            text = (f"{pin.name}=={pin.version} has {flaw.id}{also} [{rated}]: "
                    f"{flaw.summary}; {fix}")
            if acceptance is not None and acceptance.until >= today:
                notes.append(f"{pin.lockfile}:{pin.line}: {flaw.id} in {pin.name} accepted by "
                             f"{acceptance.who} until {acceptance.until}")
                continue
            if acceptance is not None:
                text += f" (its acceptance ran out on {acceptance.until})"
            severity: Severity = "error" if LEVELS.index(level) >= bar else "warning"
            findings.append(Finding(pin.lockfile, pin.line, CHECK, "vulnerable", text,
                                    severity))
    return CheckResult(findings, notes, ADVICE, len(pinned))


def accepted_count(repo: Path, today: dt.date | None = None) -> int:
    """How many accepted risks are in force (for `microgate risk`)."""
    from scaffold.engines.deps.advisories import read_accepted

    today = today or dt.date.today()
    return sum(a.until >= today for a in read_accepted(repo)[0])
