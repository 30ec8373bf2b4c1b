"""The ``microgate`` command: a thin layer of argparse over the library."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scaffold import __version__
from scaffold.errors import MicrogateError, UsageError, error_handler


class _Parser(argparse.ArgumentParser):
    """argparse, but a wrong argument is a one-line UsageError like every other."""

    def error(self, message: str) -> Any:
        command = " ".join(self.prog.split()[1:])
        raise UsageError(f"{message} (see 'microgate {command} --help')".replace("  ", " "))


def _add_folder_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".", type=Path, help="the app's folder")


def _folder(path: Path) -> Path:
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path}: is a file, not a folder")
    if not path.is_dir():
        raise UsageError(f"{path}: no such folder")
    return path


def _add_new(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "new",
        help="create a micro app's repo by answering a few questions",
        description="Ask about the app in plain language, then create its repo: manifest, "
        "app skeleton with tests, pinned dependencies, Terraform, CI and checks.",
    )
    parser.add_argument("dest", nargs="?", help="folder to create (default: ./<name>)")
    answers = parser.add_argument_group("answers without questions (for CI and scripts)")
    answers.add_argument("--data-file", type=Path, help="YAML file with the answers")
    answers.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", dest="set_pairs",
        help="one answer, e.g. --set tier=1 (repeatable; wins over --data-file)",
    )
    answers.add_argument(
        "--defaults", action="store_true", help="use defaults for every answer not given"
    )
    answers.add_argument(
        "--resume", action="store_true",
        help="continue the wizard where it stopped (Ctrl-C, or 'stop' at the review)")
    template = parser.add_argument_group("template")
    template.add_argument("--template", help="copier template (path or git URL)")
    template.add_argument("--vcs-ref", help="template release (git tag) to use")
    template.add_argument(
        "--trust", action="store_true",
        help="allow the template to run its own code (tasks, Jinja extensions)",
    )
    template.add_argument("--hooks-repo", help="git repo of the hook suite to pin")
    template.add_argument("--hooks-rev", help="revision of the hook suite to pin")
    steps = parser.add_argument_group("steps")
    steps.add_argument(
        "--force", action="store_true",
        help="write into a non-empty folder (replaced files are backed up and listed)",
    )
    steps.add_argument("--no-lock", action="store_true", help="do not pin dependencies now")
    steps.add_argument("--no-git", action="store_true", help="do not create a git repo")
    steps.add_argument("--no-commit", action="store_true", help="do not make a first commit")
    steps.add_argument(
        "--no-install-hooks", action="store_true", help="do not run 'pre-commit install'"
    )
    parser.set_defaults(func=_cmd_new)


def _gather_answers(args: argparse.Namespace) -> tuple[dict[str, Any], bool]:
    """Collect answers; return them and whether they came from a person (the wizard)."""
    from scaffold.generation.answers import (
        default_answers,
        missing_keys,
        parse_set_pairs,
        read_data_file,
    )
    from scaffold.policy import default_policy

    policy = default_policy()
    data: dict[str, Any] = {}
    if args.data_file:
        data.update(read_data_file(args.data_file))
    data.update(parse_set_pairs(args.set_pairs))
    if args.defaults:
        data = {**default_answers(policy), **data}
    if args.defaults or args.data_file:
        missing = missing_keys(data)
        if missing:
            raise UsageError(
                f"missing answers for {', '.join(missing)}: add them to the data file, "
                "pass --set KEY=VALUE, or add --defaults"
            )
        return data, False
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(
            "no terminal to ask the questions on; pass --defaults, or --data-file answers.yaml"
        )
    from scaffold.generation.wizard import Wizard, load_saved_answers

    answered = load_saved_answers() if args.resume else {}
    if answered:
        print(f"Continuing with the {len(answered)} answers you gave before "
              "(you can change any of them at the end).")
    return Wizard(policy, data, answered=answered).ask(), True


def _cmd_new(args: argparse.Namespace) -> int:
    from scaffold.extras import WIZARD_PACKAGES, require_wizard
    from scaffold.generation.answers import to_manifest
    from scaffold.generation.render import NewOptions, new
    from scaffold.policy import default_policy

    if args.resume and (args.defaults or args.data_file):
        raise UsageError("--resume continues the wizard: leave out --defaults and --data-file")
    require_wizard(*WIZARD_PACKAGES)
    answers, interactive = _gather_answers(args)
    source = str(args.data_file) if args.data_file and not interactive else "answers"
    if interactive:
        from scaffold.generation.wizard import Wizard

        def problem(candidate: dict[str, Any]) -> str | None:
            try:
                to_manifest(candidate, default_policy(), source="answers")
            except UsageError as exc:
                return exc.message
            return None

        name = answers.get("name") or "the app"
        where = str(Path(args.dest) if args.dest else Path.cwd() / str(name))
        answers = Wizard(default_policy(), {}).review(answers, where, problem)
    manifest = to_manifest(answers, default_policy(), source=source)
    dest = Path(args.dest) if args.dest else Path.cwd() / manifest.name
    options = NewOptions(
        dest=dest,
        template=args.template,
        vcs_ref=args.vcs_ref,
        trust=args.trust,
        force=args.force,
        lock=not args.no_lock,
        git=not args.no_git,
        commit=not args.no_commit,
        install_hooks=not args.no_install_hooks,
        hooks_repo=args.hooks_repo,
        hooks_rev=args.hooks_rev,
        progress=_progress if sys.stdout.isatty() else None,
    )
    result = new(manifest, options)
    if interactive:
        from scaffold.generation.wizard import forget_answers

        forget_answers()
    print(f"Created {manifest.name} in {result.path}")
    for replaced in result.replaced:
        print(f"  replaced {replaced} (the old file is in {result.backup_dir})")
    for note in result.notes:
        print(f"Note: {note}")
    if interactive:
        from scaffold.generation.wizard import Wizard

        if Wizard(default_policy(), {}).offer_tests():
            from scaffold.generation.testgen import LLMGenerator, generate

            generation = generate(result.path, llm=LLMGenerator.configured(),
                                  on_failure=_failure_chooser("ask"))
            _print_generation(generation, check=False)
            if generation.written or generation.xfailed:
                print("Review the new tests, then commit them.")
    print("Next: cd into it, run 'pytest', and commit; every commit runs the checks.")
    return 0


def _progress(step: str) -> None:
    print(f"  {step}...", flush=True)


def _add_update(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "update", help="bring the app to a newer template release (copier update)",
        description="Merge a newer release of the template into the app, keeping your own "
        "changes: the answers come from microapp.yaml. Needs a clean git tree. Exit codes: "
        "0 updated or already current, 1 new policy failures, 5 conflicts left to resolve.",
    )
    _add_folder_argument(parser)
    parser.add_argument("--vcs-ref", help="the template release (git tag) to go to "
                        "(default: the newest)")
    parser.add_argument("--dry-run", action="store_true",
                        help="show what would change and what would clash; change nothing")
    parser.add_argument("--trust", action="store_true",
                        help="allow the template's migrations and tasks to run")
    parser.add_argument("--commit", action="store_true",
                        help="commit the update when it merged without conflicts")
    parser.add_argument("--no-check", action="store_true",
                        help="skip running the policy checks before and after")
    parser.add_argument("--hooks-rev", help="revision of the hook suite to pin")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.set_defaults(func=_cmd_update)


def _cmd_update(args: argparse.Namespace) -> int:
    import json

    from scaffold.platform.update import UpdateOptions, exit_code, update

    options = UpdateOptions(vcs_ref=args.vcs_ref, trust=args.trust, dry_run=args.dry_run,
                            check=not args.no_check, commit=args.commit,
                            hooks_rev=args.hooks_rev)
    report = update(_folder(args.path), options)
    if args.format == "json":
        sys.stdout.write(json.dumps(report.as_dict(), indent=2) + "\n")
    else:
        print(report.explain())
    return exit_code(report)


def _add_lock(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "lock", help="pin the app's dependencies with hashes (requirements*.txt)"
    )
    _add_folder_argument(parser)
    parser.add_argument("--upgrade-package", action="append", default=[],
                        metavar="NAME[==VERSION]",
                        help="move this package to VERSION (default: the newest), keeping "
                        "the other pins (repeatable)")
    parser.set_defaults(func=_cmd_lock)


def _cmd_lock(args: argparse.Namespace) -> int:
    from scaffold.generation.lockfile import lock

    repo = _folder(args.path)
    result = lock(repo, upgrade=args.upgrade_package)
    for path in result.written:
        print(f"Pinned {path}" + (" (pip-compile's answer for the same requirements, index "
                                  "and cut-off day, kept from before)"
                                  if path in result.kept else ""))
    from scaffold.engines.licenseindex import refresh

    report = refresh(repo)
    print(f"Recorded the licenses of {len(report.looked_up) + len(report.kept)} packages in "
          ".microgate/licenses.json")
    return 0


def _add_check(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check", help="run every check of the hook suite (the same code as the hooks)",
        description="Run microgate's checks outside pre-commit, e.g. in CI.",
    )
    parser.add_argument("paths", nargs="*", help="files to check (default: the staged ones)")
    parser.add_argument("--all-files", action="store_true", help="check every file")
    parser.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    parser.add_argument("--output", type=Path, help="write the report here")
    parser.add_argument("--only", action="append", default=[], metavar="CHECK",
                        help="run only this check (repeatable)")
    parser.add_argument("--repo", type=Path, default=Path("."), help="the app's folder")
    parser.set_defaults(func=_cmd_check)


def _cmd_check(args: argparse.Namespace) -> int:
    from scaffold.checks import CHECKS
    from scaffold.checks.runner import run_all
    from scaffold.findings import exit_code
    from scaffold.gitops import staged_files, staged_tree
    from scaffold.redact import redact
    from scaffold.report import as_json, as_sarif, as_text

    repo = _folder(args.repo).resolve()
    known = {check.name for check in CHECKS}
    unknown = sorted(set(args.only) - known)
    if unknown:
        raise UsageError(f"unknown check {', '.join(unknown)} (checks: {', '.join(sorted(known))})")
    if args.output and not args.output.parent.is_dir():
        raise UsageError(f"{args.output}: no such folder {args.output.parent}; create it first")
    if args.output and args.output.is_dir():  # said before the checks run, not after
        raise UsageError(f"{args.output}: is a folder; name a file for the report")
    if args.all_files:
        results = run_all(repo, None, args.only)
    elif args.paths:
        results = run_all(repo, [Path(p).as_posix() for p in args.paths], args.only)
    else:
        staged = staged_files(repo)
        with staged_tree(repo, staged) as tree:
            results = run_all(tree, staged, args.only)
    _record_last_check(repo, results, all_files=args.all_files and not args.only)
    if args.format == "sarif":
        text = as_sarif(results, repo)
    else:
        text = {"text": as_text, "json": as_json}[args.format](results)
    if args.output:
        _write_report(args.output, redact(text))
    else:
        sys.stdout.write(text)
    not_run = [name for name, result in results.items() if result.not_run]
    if not_run:  # a gate that did not run every check has not passed
        print(f"microgate: not every check ran ({', '.join(not_run)}): see above",
              file=sys.stderr)
        return max(1, exit_code([f for r in results.values() for f in r.findings]))
    return exit_code([f for r in results.values() for f in r.findings])


def _write_report(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except IsADirectoryError:
        raise UsageError(f"{path}: is a folder; name a file for the report") from None
    except OSError as exc:
        raise MicrogateError(f"{path}: cannot write it: {exc.strerror}") from None


def _record_last_check(repo: Path, results: dict[str, Any], *, all_files: bool) -> None:
    """Keep the result of a whole-repo check in .git (untracked), for `fleet list`."""
    import datetime as dt
    import json

    from scaffold.platform.fleet import LAST_CHECK

    if not all_files or not (repo / ".git").is_dir():
        return
    findings = [f for r in results.values() for f in r.findings]
    errors = sum(f.severity == "error" for f in findings)
    record = {"result": "failed" if errors else "passed", "errors": errors,
              "warnings": sum(f.severity == "warning" for f in findings),
              "checked_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    try:
        (repo / LAST_CHECK).parent.mkdir(parents=True, exist_ok=True)
        (repo / LAST_CHECK).write_text(json.dumps(record) + "\n", encoding="utf-8")
    except OSError:
        pass  # a read-only clone: the record is a convenience


def _add_fleet(subparsers: Any) -> None:
    parser = subparsers.add_parser("fleet", help="for platform teams: every micro app at once")
    actions = parser.add_subparsers(dest="fleet_action", required=True, parser_class=_Parser)

    def repos_arguments(command: argparse.ArgumentParser) -> None:
        command.add_argument("paths", nargs="*", type=Path,
                             help="apps' folders, or folders holding them")
        command.add_argument("--from", dest="from_file", type=Path,
                             help="a file listing the apps' folders, one a line")

    listing = actions.add_parser("list", help="an inventory of the apps")
    repos_arguments(listing)
    listing.add_argument("--format", choices=["table", "json", "csv"], default="table")
    listing.set_defaults(func=_cmd_fleet_list)
    update = actions.add_parser("update", help="microgate update on every app, in parallel")
    repos_arguments(update)
    update.add_argument("--vcs-ref", help="the template release to go to (default: newest)")
    update.add_argument("--trust", action="store_true",
                        help="allow the template's migrations and tasks to run")
    update.add_argument("--commit", action="store_true",
                        help="commit each update that merged without conflicts")
    update.add_argument("--no-check", action="store_true",
                        help="skip the policy checks before and after each update")
    update.add_argument("--jobs", type=int, help="updates at once (default: one per CPU)")
    update.add_argument("--format", choices=["text", "json"], default="text")
    update.set_defaults(func=_cmd_fleet_update)
    report = actions.add_parser("report", help="one HTML page for managers")
    repos_arguments(report)
    report.add_argument("--html", type=Path, required=True, metavar="OUT",
                        help="the page to write")
    report.add_argument("--current", help="the current template release (default: the "
                        "newest one in the fleet)")
    report.set_defaults(func=_cmd_fleet_report)
    expired = actions.add_parser("expired", help="the apps past their expiry date")
    repos_arguments(expired)
    expired.add_argument("--within", type=int, default=0, metavar="DAYS",
                         help="also the apps expiring within DAYS")
    expired.add_argument("--format", choices=["table", "json", "csv"], default="table")
    expired.set_defaults(func=_cmd_fleet_expired)
    workflow = actions.add_parser(
        "workflow", help="a GitHub Actions workflow for the platform repo: fleet update as a "
        "matrix over repos.txt, a pull request per app, the report as an artifact")
    workflow.add_argument("--output", type=Path, help="write it here (default: print it)")
    workflow.set_defaults(func=_cmd_fleet_workflow)


def _fleet_rows(args: argparse.Namespace) -> Any:
    from scaffold.platform.fleet import discover, inventory

    return inventory(discover(args.paths, args.from_file))


def _print_rows(rows: Any, output_format: str) -> None:
    from scaffold.platform.fleet import as_csv, as_json, as_table

    sys.stdout.write({"table": as_table, "json": as_json, "csv": as_csv}[output_format](rows))


def _cmd_fleet_list(args: argparse.Namespace) -> int:
    _print_rows(_fleet_rows(args), args.format)
    return 0


def _cmd_fleet_expired(args: argparse.Namespace) -> int:
    from scaffold.platform.fleet import expired

    rows = expired(_fleet_rows(args), args.within)
    if rows or args.format != "table":
        _print_rows(rows, args.format)
    else:
        print("no app is past its expiry date")
    return 0


def _cmd_fleet_report(args: argparse.Namespace) -> int:
    from scaffold.platform.fleetreport import write_report

    rows = _fleet_rows(args)
    try:
        current = write_report(rows, args.html, args.current)
    except OSError as exc:
        raise UsageError(f"{args.html}: cannot write the report ({exc.strerror})") from None
    print(f"Wrote {args.html}: {len(rows)} apps, current template {current or 'unknown'}")
    return 0


def _cmd_fleet_workflow(args: argparse.Namespace) -> int:
    from scaffold.generation.render import microgate_requirement, pinned_hooks
    from scaffold.resources import bundled_template, templates_dir

    text = (templates_dir() / "platform" / "microgate-fleet.yml").read_text(encoding="utf-8")
    text = text.replace("__MICROGATE_REQUIREMENT__", microgate_requirement(*pinned_hooks()))
    tools = (bundled_template() / "template" / "ci-tools.txt").read_text(encoding="utf-8")
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        _write_report(args.output, text)
        _write_report(args.output.parent / "microgate-fleet-tools.txt", tools)
        print(f"Wrote {args.output} and microgate-fleet-tools.txt beside it; list the apps "
              "in repos.txt and add the FLEET_TOKEN secret")
    else:
        sys.stdout.write(text)
    return 0


def _cmd_fleet_update(args: argparse.Namespace) -> int:
    import json

    from scaffold.extras import require_wizard
    from scaffold.platform.fleet import discover, progress_bar, update_all

    require_wizard("copier")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be 1 or more")
    repos = discover(args.paths, args.from_file)
    options = {"vcs_ref": args.vcs_ref, "trust": args.trust, "commit": args.commit,
               "check": not args.no_check}
    fleet = update_all(repos, options, args.jobs, progress_bar)
    if args.format == "json":
        sys.stdout.write(json.dumps(fleet.results, indent=2) + "\n")
    else:
        print(fleet.summary())
    if fleet.stopped:
        from scaffold.errors import Cancelled

        raise Cancelled(f"cancelled: {fleet.untouched} of {fleet.total} apps were not "
                        "updated (never started, or rolled back to their last commit); "
                        "the summary above lists the others")
    if fleet.by_status("failed"):
        return 1
    from scaffold.errors import EXIT_CONFLICTS

    return EXIT_CONFLICTS if fleet.by_status("conflicts") else 0


def _add_template(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "template", help="for platform teams: the template in other scaffolders' formats")
    actions = parser.add_subparsers(dest="template_action", required=True, parser_class=_Parser)
    export = actions.add_parser(
        "export", help="write the copier template as a cookiecutter template, or as a "
        "Backstage Software Template")
    target = export.add_mutually_exclusive_group(required=True)
    target.add_argument("--cookiecutter", type=Path, metavar="DIR",
                        help="write a cookiecutter template into DIR (new or empty)")
    target.add_argument("--backstage", type=Path, metavar="DIR",
                        help="write template.yaml and its cookiecutter skeleton/ into DIR")
    export.add_argument("--template", help="the copier template: a git URL or folder "
                        "(default: microgate's own)")
    export.add_argument("--vcs-ref", help="the template release to export (default: newest)")
    export.add_argument("--owner", default="group:default/platform",
                        help="the Backstage template's owner (an entity reference)")
    export.add_argument("--hooks-repo", help="the hook suite the apps' pre-commit config uses")
    export.add_argument("--hooks-rev", help="the hook suite's release")
    export.add_argument("--trust", action="store_true",
                        help="export a template that loads Jinja extensions (they run code)")
    export.set_defaults(func=_cmd_template_export)


def _cmd_template_export(args: argparse.Namespace) -> int:
    from scaffold.extras import require_wizard
    from scaffold.platform.export import export_backstage, export_cookiecutter

    require_wizard("copier")  # its Jinja and pathspec
    common = {"template": args.template, "vcs_ref": args.vcs_ref, "trust": args.trust,
              "hooks_repo": args.hooks_repo, "hooks_rev": args.hooks_rev}
    if args.cookiecutter:
        result = export_cookiecutter(args.cookiecutter, **common)
        usage = f"cookiecutter {result.path}"
    else:
        result = export_backstage(args.backstage, owner=args.owner, **common)
        usage = f"register {result.path / 'template.yaml'} in Backstage's catalog"
    release = f" at {result.commit}" if result.commit else ""
    print(f"Wrote {result.path}: {result.files} files of the template{release} "
          f"({result.held} with conditional names). Use it: {usage}")
    for note in result.notes:
        print(f"note: {note}")
    return 0


def _add_cost(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "cost", help="estimate the app's monthly cloud and LLM cost (offline)",
        description="Estimate the app's monthly cost from its Terraform and the LLM "
        "connectors in microapp.yaml, with policies/pricing.yaml's prices. Exit 1 when "
        "it is over the budget, or incomplete for a tier 1 or 2 app.",
    )
    _add_folder_argument(parser)
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                        help="markdown: a table for a pull-request comment")
    parser.add_argument("--usage", type=Path, metavar="FILE",
                        help="known usage per resource, in infracost's usage-file format "
                        "(resource_usage: {ADDRESS: {monthly_requests: ...}}), over the "
                        "traffic's assumptions")
    parser.add_argument("--plan", type=Path, metavar="PLAN_JSON",
                        help="price a Terraform plan ('terraform show -json plan.tfplan') "
                        "instead of the .tf files: what the plan will create, as Terraform "
                        "computed it")
    parser.set_defaults(func=_cmd_cost)


def _cmd_cost(args: argparse.Namespace) -> int:
    import json

    from scaffold.checks.cost import estimate_app, read_inputs

    repo = _folder(args.path)
    try:
        inputs = read_inputs(repo)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        raise UsageError(f"{repo}: no readable microapp.yaml with a monthly_budget_usd") from None
    usage = _usage_file(args.usage) if args.usage else None
    plan = args.plan.expanduser().absolute() if args.plan else None
    try:
        estimates, unreadable = estimate_app(repo, inputs, usage, plan)
    except MicrogateError as exc:  # a plan that cannot be read is the caller's input
        raise UsageError(exc.message) from None
    if unreadable:
        raise UsageError(unreadable[0].message)
    total = sum(result.total for _, result in estimates)
    incomplete = sorted({t for _, result in estimates for t in result.unpriced_types()})
    blocking = [t for t in incomplete if t not in inputs.acknowledged] if inputs.tier >= 1 \
        else []
    over = total > inputs.budget

    def where(infra: Path) -> str:
        try:
            return infra.resolve().relative_to(repo.resolve()).as_posix() or "."
        except ValueError:
            return str(infra)

    if args.format == "json":
        print(json.dumps({
            "budget_monthly": inputs.budget, "total_monthly": round(total, 4),
            "within_budget": not over, "complete": not incomplete,
            "unpriced_types": incomplete, "blocking_unpriced_types": blocking,
            "estimates": [{"folder": where(infra), **result.as_dict()}
                          for infra, result in estimates],
        }, indent=2))
    elif args.format == "markdown":
        verdict = "over" if over else "within"
        print(f"### Estimated monthly cost: ${total:,.2f} ({verdict} the budget of "
              f"${inputs.budget:,.2f})\n")
        for infra, result in estimates:
            print(f"**{where(infra)}**\n\n{result.markdown()}\n")
    else:
        for infra, result in estimates:
            print(f"{where(infra)}:")
            print(result.table())
            for note in result.notes:
                print(f"note: {note}")
            print()
        state = "incomplete " if incomplete else ""
        print(f"Budget: ${inputs.budget:,.2f} a month; the {state}estimate, "
              f"${total:,.2f}, is {'OVER' if over else 'within'} it.")
        if blocking:
            print(f"Not priced, and not in acknowledged_unpriced: {', '.join(blocking)} "
                  "(a tier 1 or 2 app needs a complete estimate)")
    return 1 if over or blocking else 0


def _add_doctor(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "doctor", help="can the app reach what it pins (hooks, template, packages)?",
        description="Check that the app's hook repository, template and package sources "
        "are reachable from this machine and pinned, and say how to fix what is not. "
        "Exit 1 when something needs fixing.")
    _add_folder_argument(parser)
    parser.set_defaults(func=_cmd_doctor)


def _cmd_doctor(args: argparse.Namespace) -> int:
    from scaffold.platform.doctor import diagnose

    repo = _folder(args.path)
    if not (repo / "microapp.yaml").is_file():
        raise UsageError(f"{repo}: no microapp.yaml here; run it in an app's folder")
    found = diagnose(repo)
    for item in found:
        print(item.render())
    return 0 if all(item.ok for item in found) else 1


def _usage_file(path: Path) -> dict[str, dict[str, Any]]:
    from scaffold import yamlio

    try:
        data = yamlio.load(path.read_text(encoding="utf-8"))
        usage = data["resource_usage"]
        if not isinstance(usage, dict) or not all(isinstance(v, dict) for v in usage.values()):
            raise TypeError("each resource's usage must be a mapping")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not a usage file (resource_usage: {{ADDRESS: {{...}}}}): "
                         f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                         ) from None
    return {str(address): dict(figures) for address, figures in usage.items()}


def _add_risk(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "risk", help="score the release's risk and decide: auto-promote, approval, blocked",
        description="Score the app from its manifest and the findings of every check, with "
        "the weights in policies/risk.yaml.",
    )
    parser.add_argument("--repo", type=Path, default=Path("."), help="the app's folder")
    parser.add_argument("--findings", type=Path,
                        help="a 'microgate check --format json' report (default: run them)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--fail-on", choices=("needs-approval", "blocked", "never"),
                        default="blocked", help="which decision makes the exit code 1")
    parser.set_defaults(func=_cmd_risk)


def _cmd_risk(args: argparse.Namespace) -> int:
    import json

    from scaffold.checks import CheckResult
    from scaffold.engines.risk import score
    from scaffold.findings import Finding
    from scaffold.manifest import read_manifest

    repo = args.repo.resolve()
    loaded = read_manifest(repo / "microapp.yaml")
    if loaded.manifest is None:
        raise UsageError("microapp.yaml is not valid: run 'microgate manifest validate'")
    if args.findings:
        try:
            report = json.loads(args.findings.read_text(encoding="utf-8"))
            results = {
                name: CheckResult([Finding(f["path"], f["line"], name,
                                           f["rule"].split("/", 1)[-1], f["message"],
                                           f["severity"]) for f in data["findings"]])
                for name, data in report["checks"].items()
            }
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            raise UsageError(f"{args.findings}: not a 'microgate check --format json' "
                             f"report ({type(exc).__name__})") from None
    else:
        from scaffold.checks.runner import run_all

        results = run_all(repo, None)
    from scaffold.checks.vulns import accepted_count

    risk = score(loaded.manifest, results, accepted_vulnerabilities=accepted_count(repo))
    if args.format == "json":
        sys.stdout.write(json.dumps(risk.as_dict(), indent=2) + "\n")
    else:
        print(risk.explain())
    order = {"auto-promote": 0, "needs-approval": 1, "blocked": 2, "never": 3}
    return 1 if order[risk.decision] >= order[args.fail_on] else 0


def _add_tests(subparsers: Any) -> None:
    parser = subparsers.add_parser("tests", help="write tests for untested functions")
    actions = parser.add_subparsers(dest="tests_action", required=True, parser_class=_Parser)
    generate = actions.add_parser(
        "generate", help="write tests for the public functions and classes that have none",
        description="With an LLM configured (MICROGATE_LLM_BASE_URL, MICROGATE_LLM_MODEL, "
        "the key in MICROGATE_LLM_API_KEY or the variable MICROGATE_LLM_API_KEY_ENV names), "
        "it writes the tests; without one (or when it is down) the deterministic generator "
        "does: doctest examples become assertions, typed pure functions get property tests. "
        "Every test is checked and run before it is kept.",
    )
    generate.add_argument("paths", nargs="*", help="source files (default: all of them)")
    generate.add_argument("--repo", type=Path, default=Path("."), help="the app's folder")
    generate.add_argument("--check", action="store_true",
                          help="exit 1 if anything is left untested or failed (for CI)")
    generate.add_argument("--no-llm", action="store_true",
                          help="use the deterministic generator even if an LLM is configured")
    generate.add_argument(
        "--on-failure", choices=["ask", "xfail", "regenerate", "drop"],
        help="what to do with a generated test that fails: ask (the default at a terminal), "
        "keep it as xfail with the reason, regenerate it (LLM only), or drop it (the "
        "default otherwise)")
    generate.add_argument(
        "--changed-since", metavar="REF",
        help="only the public functions and classes changed or added since REF (a branch, "
        "tag or commit), as CI does for a pull request")
    generate.add_argument(
        "--fail-on-failure", action="store_true",
        help="exit 1 if a generated test failed (CI: the failure is shown, the code or the "
        "test needs a fix)")
    generate.add_argument(
        "--mutants", action="store_true",
        help="then measure the kept tests: make small slips in each function (a flipped "
        "comparison, a changed constant, a dropped branch...) and count those they catch")
    generate.add_argument(
        "--unsandboxed", action="store_true",
        help="run an LLM's tests even where no sandbox (bubblewrap) works; without it they "
        "are written for review and not run there")
    generate.set_defaults(func=_cmd_tests_generate)


def _failure_chooser(choice: str | None) -> Any:
    from scaffold.generation.testgen import drop_failing

    if choice is None:
        choice = "ask" if sys.stdin.isatty() and sys.stdout.isatty() else "drop"
    if choice == "drop":
        return drop_failing
    if choice != "ask":
        def fixed(test: str, output: str, can_regenerate: bool) -> str:
            return choice if choice != "regenerate" or can_regenerate else "drop"
        return fixed

    def ask(test: str, output: str, can_regenerate: bool) -> str:
        from scaffold.generation.wizard import ask_failed_test

        tail = [line for line in output.splitlines() if line.strip()][:15]
        print(f"\nThe generated test {test} failed:")
        print("\n".join(f"  {line}" for line in tail))
        return ask_failed_test(test, can_regenerate)

    return ask


def _cmd_tests_generate(args: argparse.Namespace) -> int:
    from scaffold.generation.testgen import LLMGenerator, generate

    repo = _folder(args.repo)
    paths = [Path(p).as_posix() for p in args.paths]
    llm = None if args.no_llm else LLMGenerator.configured()
    if llm is not None:
        print(f"Asking {llm.client.settings.model} at {llm.client.settings.base_url} "
              f"(prompt {llm.prompt.name} v{llm.prompt.version})")
    only = None
    if args.changed_since:
        from scaffold.generation.testgen import changed_names

        only = changed_names(repo, args.changed_since)
        if not only:
            print(f"no Python function or class changed since {args.changed_since}")
            return 0
    report = generate(repo, paths or None, llm=llm, on_failure=_failure_chooser(args.on_failure),
                      run_unsandboxed=args.unsandboxed, only=only)
    status = _print_generation(report, args.check)
    if args.fail_on_failure and report.failed:
        status = 1
    if args.mutants:
        _print_mutation_scores(repo, report)
    return status


def _print_mutation_scores(repo: Path, report: Any) -> None:
    from scaffold import sandbox
    from scaffold.generation.mutation import score

    tests: dict[tuple[str, str], list[str]] = {}
    for module, name, test_id in report.kept:
        tests.setdefault((module, name), []).append(test_id)
    for (module, name), test_ids in tests.items():
        result = score(repo, module, name, test_ids, sandboxed=sandbox.available())
        if result is None or not result.total:
            continue
        print(f"mutation score of the kept tests for {module}: {name}: "
              f"{result.killed}/{result.total} slips caught ({result.ratio:.0%})")
        for mutant in result.survivors[:3]:
            print(f"    not caught: line {mutant.line}: {mutant.description}")


def _print_generation(report: Any, check: bool) -> int:
    for note in report.notes:
        print(f"note: {note}")
    for test_file, name in report.written:
        print(f"wrote {test_file}::{name}")
    for test, reason in report.xfailed:
        print(f"kept {test} as expected to fail ({reason}): fix the code or the test")
    for name, why in report.rejected:
        print(f"rejected a test for {name}: it {why}" if not why.startswith("the LLM")
              else f"rejected tests for {name}: {why}")
    for test, explanation in report.failed:
        reason, *compared = explanation.splitlines() or [""]
        print(f"dropped {test}: it failed: {reason.strip()}")
        for line in compared:
            print(f"    {line}")
    for test_file, name in report.unrun:
        print(f"wrote {test_file}::{name} for review, not run: no sandbox here (install "
              "bubblewrap, or pass --unsandboxed once you have read it)")
    for name in report.skipped:
        print(f"no test written for {name}: add a docstring example (>>> call, then the "
              "expected result) and run this again")
    left = report.skipped or report.failed or report.xfailed or report.unrun
    if not report.written and not left and not report.rejected:
        print("every public function and class already has a test")
    return 1 if check and (left or report.rejected) else 0


def _add_prompts(subparsers: Any) -> None:
    parser = subparsers.add_parser("prompts", help="the app's prompts: evaluate and release")
    actions = parser.add_subparsers(dest="prompts_action", required=True, parser_class=_Parser)
    evaluate = actions.add_parser(
        "eval", help="run the golden cases and the injection corpus; print the pass rates",
        description="By default the answers come from prompts/cassette.json (recorded, so "
        "CI is deterministic and offline); --live asks the configured LLM; --record asks it "
        "and rewrites the cassette. Fails when a prompt's pass rate is below "
        "quality.prompt_pass_rate in microapp.yaml, or an injection gets through.",
    )
    _add_folder_argument(evaluate)
    evaluate.add_argument("--prompt", action="append", default=[], dest="names",
                          help="only this prompt (repeatable)")
    mode = evaluate.add_mutually_exclusive_group()
    mode.add_argument("--live", action="store_true", help="ask the configured LLM")
    mode.add_argument("--record", action="store_true",
                      help="ask the configured LLM and save its answers in the cassette")
    evaluate.add_argument("--cassette", type=Path, help="recorded answers (default: "
                          "prompts/cassette.json)")
    evaluate.add_argument("--threshold", type=float,
                          help="pass rate each prompt needs (default: from microapp.yaml)")
    evaluate.add_argument("--format", choices=["text", "json"], default="text")
    evaluate.set_defaults(func=_cmd_prompts_eval)
    release = actions.add_parser(
        "release", help="pin a prompt's newest version (and its digest) in prompts/manifest.yaml")
    release.add_argument("name", help="the prompt's name (its folder under prompts/)")
    release.add_argument("--repo", type=Path, default=Path("."), help="the app's folder")
    release.set_defaults(func=_cmd_prompts_release)


def _prompt_threshold(repo: Path, given: float | None) -> float:
    from scaffold import yamlio

    if given is not None:
        if not 0 <= given <= 1:
            raise UsageError("--threshold is a pass rate between 0 and 1, e.g. 0.9")
        return given
    manifest = repo / "microapp.yaml"
    if manifest.is_file():
        try:
            document = yamlio.load(manifest.read_text(encoding="utf-8"))
            rate = document["quality"]["prompt_pass_rate"]
        except (KeyError, TypeError, ValueError, UnicodeDecodeError):
            rate = None
        if isinstance(rate, int | float) and not isinstance(rate, bool):
            return float(rate)
    return 1.0


def _cmd_prompts_eval(args: argparse.Namespace) -> int:
    import json

    from scaffold.engines.prompts import CASSETTE_FILE, Cassette, evaluate
    from scaffold.generation.llm import ChatRequest, configured_client

    repo = _folder(args.path)
    threshold = _prompt_threshold(repo, args.threshold)
    cassette = Cassette.load(args.cassette or repo / CASSETTE_FILE)
    if args.live or args.record:
        client = configured_client()
        if client is None:
            raise UsageError("no LLM configured: set MICROGATE_LLM_BASE_URL and "
                             "MICROGATE_LLM_MODEL (and the key in MICROGATE_LLM_API_KEY)")
        if args.record:
            cassette.answers.clear()

        def answer(request: ChatRequest) -> str | None:
            text = client.complete(request)
            if args.record:
                cassette.record(request, text)
            return text

        source = f"{client.settings.base_url} (live)"
    else:
        if not cassette.answers:
            raise UsageError(f"no recorded answers in {cassette.path}: run 'microgate prompts "
                             "eval --record' with an LLM configured (MICROGATE_LLM_BASE_URL)")
        answer = cassette.lookup
        source = f"the cassette {cassette.path.name}"
    report = evaluate(repo, answer, threshold, source, args.names or None)
    if args.record:
        cassette.save()
    if args.format == "json":
        sys.stdout.write(json.dumps(report.as_dict(), indent=2) + "\n")
    else:
        print(report.table())
    return 0 if report.passed else 1


def _cmd_prompts_release(args: argparse.Namespace) -> int:
    from scaffold.engines.prompts import release

    entry = release(_folder(args.repo), args.name)
    print(f"{entry.name}: v{entry.version} released and in use, pinned to {entry.model}; "
          "run 'microgate prompts eval --record' to refresh the recorded answers")
    return 0


def _add_licenses(subparsers: Any) -> None:
    parser = subparsers.add_parser("licenses", help="the licenses of the app's dependencies")
    actions = parser.add_subparsers(dest="licenses_action", required=True, parser_class=_Parser)
    refresh = actions.add_parser(
        "refresh", help="look up licenses on the package index into .microgate/licenses.json"
    )
    _add_folder_argument(refresh)
    refresh.add_argument("--all", action="store_true", help="look up every package again")
    refresh.set_defaults(func=_cmd_licenses_refresh)


def _cmd_licenses_refresh(args: argparse.Namespace) -> int:
    from scaffold.engines.licenseindex import refresh

    report = refresh(_folder(args.path), everything=args.all)
    print(f"Looked up {len(report.looked_up)}, kept {len(report.kept)}, dropped "
          f"{len(report.dropped)} packages in .microgate/licenses.json")
    return 0


def _add_secrets(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "secrets", help="scan for secrets, list the rules, accept findings")
    actions = parser.add_subparsers(dest="secrets_action", required=True, parser_class=_Parser)
    baseline = actions.add_parser(
        "baseline", help="accept every current finding as not a secret (.secrets.baseline)"
    )
    _add_folder_argument(baseline)
    baseline.set_defaults(func=_cmd_secrets_baseline)
    scan = actions.add_parser(
        "scan", help="scan files or a folder for secrets and report them for other tools",
        description="Scan for secrets with microgate's rules and detect-secrets' plugins. "
        "Secrets are never printed, in any format.")
    scan.add_argument("paths", nargs="*", type=Path,
                      help="files or folders (default: this folder's files that git does "
                      "not ignore)")
    scan.add_argument("--format", choices=("text", "json", "sarif", "gitleaks"),
                      default="text")
    scan.add_argument("--output", type=Path, help="write the report here")
    scan.add_argument("--all-files", action="store_true",
                      help="with a folder: every file in it, the ones git ignores too")
    scan.set_defaults(func=_cmd_secrets_scan)
    rules = actions.add_parser("rules", help="the secret rules in use")
    rules.add_argument("--list", action="store_true", required=True,
                       help="list every rule: id, state, where it comes from")
    rules.set_defaults(func=_cmd_secrets_rules)


def _scan_targets(paths: list[Path], all_files: bool) -> tuple[Path, list[str]]:
    """The folder to scan from and the files in it, relative names."""
    from scaffold.gitops import repo_files

    if not paths:
        paths = [Path(".")]
    folders = [path for path in paths if path.is_dir()]
    missing = [path for path in paths if not path.exists()]
    if missing:
        raise UsageError(f"{missing[0]}: no such file or folder")
    if len(folders) == 1 and len(paths) == 1:
        root = folders[0]
        if all_files or not (root / ".git").exists():
            names = sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                           if p.is_file() and not p.is_symlink() and ".git" not in
                           p.relative_to(root).parts)
        else:
            names = repo_files(root)
        return root, names
    if folders:
        raise UsageError("give one folder, or files only")
    return Path("."), [path.as_posix() for path in paths]


def _cmd_secrets_scan(args: argparse.Namespace) -> int:
    from scaffold import __version__
    from scaffold.engines.secrets import BASELINE_FILE, SecretScanner, formats, scan_paths
    from scaffold.redact import redact

    if args.output and not args.output.parent.is_dir():
        raise UsageError(f"{args.output}: no such folder {args.output.parent}; create it first")
    root, names = _scan_targets(list(args.paths), args.all_files)
    scanner = SecretScanner()
    report = scan_paths(root, [n for n in names if Path(n).name != BASELINE_FILE], scanner)
    rules = {rule.id: rule for rule in scanner.rules.rules}
    findings = sorted(report.findings)
    text = {
        "text": lambda: formats.as_text(findings, report.notes),
        "json": lambda: formats.as_json(findings, report.notes),
        "sarif": lambda: formats.as_sarif(findings, rules, __version__),
        "gitleaks": lambda: formats.as_gitleaks(findings, rules),
    }[args.format]()
    if args.output:
        _write_report(args.output, redact(text))
    else:
        sys.stdout.write(text)
    return 1 if findings else 0


def _cmd_secrets_rules(args: argparse.Namespace) -> int:
    from scaffold.engines.secrets import default_secrets_policy, load_rules
    from scaffold.engines.secrets.formats import rules_table

    ruleset = load_rules(default_secrets_policy())
    sys.stdout.write(rules_table(ruleset.rules, ruleset.disabled))
    return 0


def _cmd_secrets_baseline(args: argparse.Namespace) -> int:
    from scaffold.engines.secrets import BASELINE_FILE, scan_paths, write_baseline
    from scaffold.gitops import repo_files

    repo = _folder(args.path)
    names = [n for n in repo_files(repo) if n != BASELINE_FILE]
    report = scan_paths(repo, names)
    path = write_baseline(repo, report.findings)
    print(f"Wrote {path} accepting {len(report.findings)} finding(s); review it before you "
          "commit it")
    return 0


def _add_manifest(subparsers: Any) -> None:
    parser = subparsers.add_parser("manifest", help="check or describe microapp.yaml")
    actions = parser.add_subparsers(dest="manifest_action", required=True, parser_class=_Parser)
    validate = actions.add_parser("validate", help="check a manifest against the policy")
    validate.add_argument("path", nargs="?", default="microapp.yaml", type=Path)
    validate.set_defaults(func=_cmd_manifest_validate)
    migrate = actions.add_parser(
        "migrate", help="rewrite microapp.yaml for a newer schema version (keeps comments)")
    migrate.add_argument("path", nargs="?", default="microapp.yaml", type=Path)
    migrate.add_argument("--to", type=int, dest="to_version", help="the schema version "
                         "(default: the newest)")
    migrate.set_defaults(func=_cmd_manifest_migrate)
    schema = actions.add_parser("schema", help="print the manifest's JSON Schema")
    schema.add_argument("--output", type=Path, help="write it to this file instead")
    schema.set_defaults(func=_cmd_manifest_schema)


def _cmd_manifest_validate(args: argparse.Namespace) -> int:
    from scaffold.manifest import policy_problems, read_manifest
    from scaffold.policy import default_policy

    loaded = read_manifest(args.path)
    problems = list(loaded.problems)
    if loaded.manifest is not None:
        problems += policy_problems(loaded.manifest, default_policy(), lines=loaded.lines)
    for problem in problems:
        print(problem.render(str(args.path)))
    if any(p.severity == "error" for p in problems):
        return 1
    print(f"{args.path}: valid")
    return 0


def _cmd_manifest_migrate(args: argparse.Namespace) -> int:
    from scaffold.manifest import LATEST_SCHEMA_VERSION, migrate_manifest_text, read_manifest

    path: Path = args.path
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text") from None
    migrated = migrate_manifest_text(text, args.to_version or LATEST_SCHEMA_VERSION)
    if migrated == text:
        print(f"{path}: already at that schema version")
        return 0
    scratch = path.with_name(f".{path.name}.migrating")
    scratch.write_text(migrated, encoding="utf-8")
    loaded = read_manifest(scratch)
    if loaded.manifest is None:
        scratch.unlink()
        first = loaded.problems[0].render(str(path)) if loaded.problems else "invalid"
        raise MicrogateError(f"{path}: not migrated, the result would be invalid ({first})")
    scratch.replace(path)
    print(f"{path}: migrated to schema version {loaded.manifest.schema_version}")
    return 0


def _cmd_manifest_schema(args: argparse.Namespace) -> int:
    from scaffold.manifest import json_schema_text

    text = json_schema_text()
    if args.output:
        _write_report(args.output, text)
    else:
        sys.stdout.write(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="microgate",
        description="Take an LLM-built micro app from a chat window to production safely.",
    )
    parser.add_argument("--version", action="version", version=f"microgate {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    _add_new(subparsers)
    _add_update(subparsers)
    _add_fleet(subparsers)
    _add_template(subparsers)
    _add_lock(subparsers)
    _add_check(subparsers)
    _add_cost(subparsers)
    _add_doctor(subparsers)
    _add_risk(subparsers)
    _add_tests(subparsers)
    _add_prompts(subparsers)
    _add_licenses(subparsers)
    _add_secrets(subparsers)
    _add_manifest(subparsers)
    from scaffold.engines.deps.cli import add_sbom, add_vulns

    add_vulns(subparsers, _Parser)
    add_sbom(subparsers)
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    return error_handler(lambda: run(argv))


def entry() -> None:
    """The `microgate` command: main(), then the process ends with its exit code.

    A cancelled run (Ctrl-C) ends with 130: the interpreter, which saw the interrupt on
    its way, would otherwise end the process by SIGINT after microgate had handled it
    (seen ~1 run in 15 when Ctrl-C comes while checks start), and a caller would read a
    crash where there was none."""
    import os
    import signal

    from scaffold.errors import CANCELLED, EXIT_CANCELLED

    terminated = []

    def stop(signum: int, frame: object) -> None:
        # SIGTERM (a CI job cancelled, `timeout`, `kill`) stops microgate the way Ctrl-C
        # does, with the same clean-up: what it started stopped, nothing half-made left.
        terminated.append(signum)
        if len(terminated) == 1:  # a second one must not break that clean-up
            raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        code = main()
    except KeyboardInterrupt:  # between the import and the error handler
        print(CANCELLED, file=sys.stderr)
        code = EXIT_CANCELLED
    if code == EXIT_CANCELLED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(128 + signal.SIGTERM if terminated else code)
    raise SystemExit(code)


__all__ = ["MicrogateError", "entry", "main", "run"]

if __name__ == "__main__":
    entry()
