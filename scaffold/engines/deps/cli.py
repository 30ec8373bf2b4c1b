"""``microgate vulns`` and ``microgate sbom``: the dependency commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_vulns(subparsers: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "vulns", help="known vulnerabilities of the pinned dependencies (OSV advisories)")
    actions = parser.add_subparsers(dest="vulns_action", required=True,
                                    parser_class=parser_class)
    refresh = actions.add_parser(
        "refresh", help="update .microgate/vulns.json from an advisory source",
        description="Read OSV advisories for PyPI and keep those about the pinned packages "
        "in .microgate/vulns.json, which every commit checks offline. The source: OSV's "
        "PyPI export (all.zip) by URL (the default) or as a file, a folder of OSV JSON "
        "records, or a checkout of the PyPA advisory database.")
    refresh.add_argument("path", nargs="?", default=".", type=Path, help="the app's folder")
    refresh.add_argument("--from", dest="source", metavar="DIR|ZIP|URL",
                         help="where the advisories come from (default: OSV's PyPI export; "
                         "or MICROGATE_VULNS_SOURCE)")
    refresh.add_argument("--offline", action="store_true",
                         help="do not ask the package index which fix releases were yanked")
    refresh.add_argument("--fail-on-new", action="store_true",
                         help="exit 1 when an advisory appeared that affects a pin (for CI)")
    refresh.set_defaults(func=_cmd_refresh)
    check = actions.add_parser("check", help="list the pins' known vulnerabilities")
    check.add_argument("path", nargs="?", default=".", type=Path, help="the app's folder")
    check.set_defaults(func=_cmd_check)


def _cmd_refresh(args: argparse.Namespace) -> int:
    from scaffold.cli import _folder
    from scaffold.engines.deps.advisories import CACHE_FILE, refresh
    from scaffold.engines.deps.lockfiles import lockfiles, read_pinned
    from scaffold.engines.deps.osv import by_package, vulnerabilities

    repo = _folder(args.path)
    pinned, _ = read_pinned(repo, lockfiles(repo))
    packages = {pin.name for pin in pinned}
    if not packages:
        from scaffold.errors import UsageError

        raise UsageError(f"{repo}: no pinned dependencies (requirements*.txt): run "
                         "'microgate lock' first")
    before, after, notes = refresh(repo, packages, args.source,
                                   check_index=not args.offline)

    def affecting(advisories: list[dict[str, Any]]) -> set[str]:
        grouped = by_package(advisories)
        return {flaw.id for pin in pinned
                for flaw in vulnerabilities(grouped.get(pin.name, []), pin.name, pin.version)}

    new = sorted(affecting(after.advisories) - affecting(before.advisories))
    print(f"Wrote {CACHE_FILE}: {len(after.advisories)} advisories about "
          f"{len(packages)} packages (from {after.source})")
    for note in notes:
        print(f"note: {note}")
    for flaw_id in new:
        print(f"new: {flaw_id} affects a pinned package")
    return 1 if args.fail_on_new and new else 0


def _cmd_check(args: argparse.Namespace) -> int:
    from scaffold.checks import spec
    from scaffold.checks.runner import print_result, run_check
    from scaffold.cli import _folder
    from scaffold.findings import exit_code

    result = run_check(spec("vulns"), _folder(args.path), None)
    print_result(result)
    if not result.findings:
        print("no known vulnerability above the tier's bar")
    return exit_code(result.findings)


def add_sbom(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sbom", help="write a CycloneDX SBOM of the pinned dependencies",
        description="CycloneDX 1.6 JSON: every pinned package with its license and its "
        "known vulnerabilities (accepted ones marked), from microgate's caches.")
    parser.add_argument("path", nargs="?", default=".", type=Path, help="the app's folder")
    parser.add_argument("--output", type=Path, help="write it here (default: print it)")
    parser.set_defaults(func=_cmd_sbom)


def _cmd_sbom(args: argparse.Namespace) -> int:
    from scaffold.cli import _folder, _write_report
    from scaffold.engines.deps.sbom import build_sbom

    repo = _folder(args.path).resolve()
    text = build_sbom(repo, app_name=repo.name)
    if args.output:
        from scaffold.errors import UsageError

        if not args.output.parent.is_dir():
            raise UsageError(f"{args.output}: no such folder {args.output.parent}")
        _write_report(args.output, text)
        print(f"Wrote {args.output}")
    else:
        sys.stdout.write(text)
    return 0
