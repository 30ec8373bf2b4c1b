"""Running checks: as one pre-commit hook, or all of them for ``microgate check``."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path

from scaffold.checks import CHECKS, CheckResult, CheckSpec, spec
from scaffold.errors import ToolMissing, error_handler
from scaffold.findings import exit_code, print_findings

CheckFunction = Callable[[Path, list[str] | None], CheckResult]


def check_function(check: CheckSpec) -> CheckFunction:
    module = importlib.import_module(check.module)
    run: CheckFunction = module.run
    return run


def run_check(check: CheckSpec, repo: Path, files: list[str] | None) -> CheckResult:
    """Run one check on ``files`` (paths relative to ``repo``; None: the whole repo)."""
    if files is not None:
        files = [name for name in files if check.wants(name)]
        if not files and not check.always_run:
            return CheckResult()
    return check_function(check)(repo, files)


def print_result(result: CheckResult) -> None:
    print_findings(result.findings)
    for note in result.notes:
        print(f"note: {note}")
    if result.advice and any(f.severity == "error" for f in result.findings):
        print()
        print(result.advice.rstrip())


def _plain_filenames(argv: Sequence[str] | None) -> list[str] | None:
    """The file names pre-commit passes, read without argparse (with its help formatter,
    gettext and locale it costs a hook ~5 ms a commit); None when an option is given."""
    import sys

    words = list(sys.argv[1:] if argv is None else argv)
    if any(word.startswith("-") for word in words):
        return None
    return words


def _hook_arguments(argv: Sequence[str] | None, prog: str, description: str,
                    with_skip: bool = False) -> tuple[list[str] | None, list[str]]:
    """(the files to check, None for the whole repo; the checks to leave out)."""
    given = _plain_filenames(argv)
    if given is not None:
        return [Path(f).as_posix() for f in given], []
    import argparse  # an option: argparse checks and explains it

    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("filenames", nargs="*", help="files to check (from pre-commit)")
    parser.add_argument("--all-files", action="store_true", help="check the whole repo")
    if with_skip:
        parser.add_argument("--skip", action="append", default=[], metavar="CHECK",
                            help="leave this check out (repeatable)")
    args = parser.parse_args(argv)
    files = None if args.all_files else [Path(f).as_posix() for f in args.filenames]
    return files, list(getattr(args, "skip", []))


def hook_main(name: str, argv: Sequence[str] | None) -> int:
    """The body of every ``hooks/<name>.py``: check the files pre-commit passes."""

    def run() -> int:
        check = spec(name)
        files, _ = _hook_arguments(argv, check.hook_id, check.title)
        repo = Path.cwd()
        result = run_check(check, repo, files)
        print_result(result)
        return exit_code(result.findings)

    return error_handler(run)


# The checks that need no scanner of their own environment (checkov, semgrep): one
# process can run them all, for the price of one Python start-up.
SUITE = ("secrets", "manifest", "test-presence", "pins", "licenses", "cost", "prompts",
         "vulns", "dependencies")


def suite_main(argv: Sequence[str] | None) -> int:
    """``microgate-suite``: the fast checks in one process, each on the files its own hook
    would be given; the same findings, ids and messages as the separate hooks."""

    def run() -> int:
        files, skip = _hook_arguments(argv, "microgate-suite",
                                      "the fast checks in one process", with_skip=True)
        repo = Path.cwd()
        failed = False
        for name in SUITE:
            if name in skip:
                continue
            result = run_check(spec(name), repo, files)
            if result.findings or result.notes:
                print_result(result)
            failed = failed or exit_code(result.findings) != 0
        return 1 if failed else 0

    return error_handler(run)


def run_all(repo: Path, files: list[str] | None,
            only: Sequence[str] = ()) -> dict[str, CheckResult]:
    """Every check (or those in ``only``); one whose scanner is missing here is reported
    as not run, with the reason, and the others still run."""
    results = {}
    for check in CHECKS:
        if only and check.name not in only:
            continue
        try:
            results[check.name] = run_check(check, repo, files)
        except ToolMissing as exc:
            results[check.name] = CheckResult(not_run=exc.message)
    return results


__all__ = ["CHECKS", "hook_main", "run_all", "run_check"]
