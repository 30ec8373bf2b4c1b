"""The IaC and cost hooks on a commit that changes one .tf file, against a bare checkov
run on that folder; and a commit without Terraform, which must not start checkov (issue 4).

With --repos (checkouts of public Terraform, e.g. bridgecrewio/terragoat and
terraform-aws-modules/terraform-aws-lambda; issue 16), for each: `microgate check --only
iac --all-files` in every output format (no crash), against a bare checkov run on the same
tree: the time of each, duplicates in microgate's report, and every bare finding (file,
line, check) either reported or in policies/checkov-skips.yaml.

Many scans in one process (`fleet check`, a test suite): every folder of Terraform in the
given repos (else copies of a generated app's infra/, each changed), scanned one after
another by one process, each scan forked from a warm checkov server against a process of
checkov's own per scan (MICROGATE_CHECKOV_SERVER=off): wall and CPU time (the servers'
included) and whether every folder's findings are the same both ways.

Run: python bench/bench_iac.py [--runs N] [--repos DIR ...] [--skip-app]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import median_of, report, time_command, verdict  # noqa: E402

from testing.util import snapshot_checkout  # noqa: E402

ENV = {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com",
       "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com"}


def public_repo(repo: Path) -> bool:
    """microgate's IaC check on a public tree next to bare checkov; True when it holds."""
    from scaffold.engines.iac import skipped_checks
    from scaffold.engines.tools import find_tool

    checkov = str(find_tool("checkov"))
    start = time.perf_counter()
    bare_run = subprocess.run(
        [checkov, "--directory", str(repo), "--framework", "terraform", "--skip-download",
         "--quiet", "--compact", "--output", "json"], capture_output=True, text=True)
    bare_seconds = time.perf_counter() - start
    output = json.loads(bare_run.stdout or "[]")
    reports = output if isinstance(output, list) else [output]
    bare = {(str(c["file_path"]).lstrip("/"), (c.get("file_line_range") or [1])[0],
             str(c["check_id"]))
            for report in reports if isinstance(report, dict)
            for c in report.get("results", {}).get("failed_checks", [])}
    ours: list[dict[str, object]] = []
    crashed = []
    seconds = 0.0
    # A cache of its own: the first run is timed without a kept checkov answer.
    cache = tempfile.mkdtemp(prefix="bench-iac-cache-")
    env = {**os.environ, "MICROGATE_CHECKOV": checkov, "XDG_CACHE_HOME": cache}
    for output_format in ("json", "text", "sarif"):
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "scaffold", "check", "--only", "iac", "--all-files",
             "--format", output_format, "--repo", str(repo)],
            capture_output=True, text=True, env=env)
        if output_format == "json":
            seconds = time.perf_counter() - start
            if result.returncode in (0, 1):
                ours = json.loads(result.stdout)["checks"]["iac"]["findings"]
        if result.returncode not in (0, 1) or "Traceback" in result.stderr:
            crashed.append(f"{output_format} (exit {result.returncode})")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "scaffold", "check", "--only", "iac", "--all-files",
                    "--repo", str(repo)], capture_output=True, env=env)
    again_seconds = time.perf_counter() - start
    shutil.rmtree(cache, ignore_errors=True)
    keys = [(str(f["path"]), f["line"], str(f["rule"]).split("/", 1)[1]) for f in ours]
    duplicates = len(keys) - len(set(keys))
    skips = set(skipped_checks())
    missing = sorted(k for k in bare - set(keys) if k[2] not in skips)
    no_line = sum(1 for f in ours if not f.get("line"))
    print(f"\n== {repo.name}: {len(bare)} bare checkov findings (file, line, check)")
    print(f"  bare checkov                       {bare_seconds:8.1f} s")
    print(f"  microgate check --only iac (json)  {seconds:8.1f} s   "
          f"ratio {seconds / bare_seconds:.2f}x (target <= 1.2x)")
    print(f"  the same tree again (answer kept)  {again_seconds:8.1f} s   "
          f"ratio {again_seconds / bare_seconds:.2f}x")
    print(f"  microgate findings: {len(ours)} ({sum(1 for k in keys if k[2].startswith('MG_'))} "
          f"its own rules), duplicates: {duplicates}, without a line: {no_line}")
    print(f"  bare findings not reported and not in the skip list: {len(missing)}"
          + (f", e.g. {missing[:3]}" if missing else ""))
    print(f"  crashes in text/json/sarif: {', '.join(crashed) or 'none'}")
    ok = not crashed and not duplicates and not missing and not no_line and \
        seconds <= 1.2 * bare_seconds
    verdict(ok)
    return ok


MANY_SCANS = """
import json, os, resource, sys, time
from pathlib import Path
from scaffold.engines import checkovserver
from scaffold.engines.iac import check_tree
from scaffold.engines.tools import find_tool
checkov = find_tool("checkov")
answers, start = {}, time.perf_counter()
for folder in sys.argv[1:]:
    report = check_tree(Path(folder), [Path(folder)], checkov)
    answers[folder] = sorted([str(f.path), f.line, f.rule] for f in report.findings)
wall = time.perf_counter() - start
checkovserver.close_all()  # its CPU time counted below
usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
cpu = sum(u.ru_utime + u.ru_stime for u in usage)
json.dump({"wall": wall, "cpu": cpu, "answers": answers}, sys.stdout)
"""


def many_scans(folders: list[Path]) -> bool:
    """The folders scanned by one process, forked from a server and a process a scan."""
    results = {}
    for mode in ("forked", "off"):
        env = {**os.environ, "MICROGATE_NO_PARSE_CACHE": "1",
               "MICROGATE_CHECKOV_SERVER": "off" if mode == "off" else "on"}
        done = subprocess.run([sys.executable, "-c", MANY_SCANS, *map(str, folders)],
                              capture_output=True, text=True, env=env,
                              cwd=Path(__file__).resolve().parent.parent)
        if done.returncode != 0:
            print(f"  many scans ({mode}) failed: {done.stderr.strip().splitlines()[-1:]}")
            return False
        results[mode] = json.loads(done.stdout)
    forked, alone = results["forked"], results["off"]
    same = forked["answers"] == alone["answers"]
    findings = sum(len(rows) for rows in alone["answers"].values())
    print(f"\n== {len(folders)} folders scanned by one process ({findings} findings)")
    print(f"  {'':34}{'wall':>9}{'CPU':>9}")
    print(f"  {'a checkov process a scan':34}{alone['wall']:8.1f}s{alone['cpu']:8.1f}s")
    print(f"  {'forked from one warm server':34}{forked['wall']:8.1f}s{forked['cpu']:8.1f}s")
    print(f"  ratio forked / a process a scan: wall {forked['wall'] / alone['wall']:.2f}x, "
          f"CPU {forked['cpu'] / alone['cpu']:.2f}x")
    print(f"  the same findings in every folder: {'yes' if same else 'NO'}")
    return same


def terraform_folders_of(repos: list[Path]) -> list[Path]:
    return sorted({path.parent for repo in repos if repo.is_dir()
                   for path in repo.rglob("*.tf") if ".git" not in path.parts})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--repos", type=Path, nargs="*", default=[],
                        help="checkouts of public Terraform repositories")
    parser.add_argument("--skip-app", action="store_true",
                        help="only the public repositories")
    args = parser.parse_args(argv)
    for repo in args.repos:
        if not repo.is_dir():
            print(f"{repo}: not a folder, skipped")
            continue
        public_repo(repo)
    if args.repos:
        many_scans(terraform_folders_of(args.repos))
    if args.skip_app:
        return 0
    work = Path(tempfile.mkdtemp(prefix="bench-iac-"))
    try:
        hooks_repo, rev = snapshot_checkout(work / "hooks")
        app = work / "app-repo"
        subprocess.run([sys.executable, "-m", "scaffold", "new", "--defaults", "--no-lock",
                        "--no-install-hooks", "--hooks-repo", str(hooks_repo), "--hooks-rev",
                        rev, str(app)], check=True, capture_output=True,
                       env={**os.environ, **ENV})
        variables = app / "infra" / "variables.tf"
        variables.write_text(variables.read_text() + "\n# reviewed\n")
        subprocess.run(["git", "add", "--all"], cwd=app, check=True)
        pre_commit = [sys.executable, "-m", "pre_commit", "run"]
        both = [*pre_commit, "--files", "infra/variables.tf"]
        subprocess.run([*pre_commit, "microgate-iac", "--all-files"], cwd=app,
                       capture_output=True)  # installs the hook environments
        subprocess.run([*pre_commit, "microgate-cost", "--all-files"], cwd=app,
                       capture_output=True)
        home = Path(os.environ.get("PRE_COMMIT_HOME", Path.home() / ".cache" / "pre-commit"))
        checkov = next(str(p) for p in home.glob("repo*/py_env-*/bin/checkov"))
        bare = [checkov, "--directory", "infra", "--framework", "terraform", "--skip-download",
                "--quiet", "--compact"]
        bare_median, _ = median_of(args.runs, lambda _: time_command(bare, cwd=app,
                                                                     expect=None))
        # The two hooks alone, in one pre-commit run (as a commit runs them).
        (app / "iac-cost.yaml").write_text(
            f"repos:\n  - repo: {hooks_repo}\n    rev: {rev}\n    hooks:\n"
            "      - id: microgate-iac\n      - id: microgate-cost\n")
        def changed(i: int) -> None:
            """Each timed commit changes the Terraform: no answer of checkov's is kept."""
            variables.write_text(variables.read_text() + f"# change {i} {time.time_ns()}\n")
            subprocess.run(["git", "add", "--all"], cwd=app, check=True)

        def hooks_run(i: int) -> float:
            changed(i)
            return time_command([*pre_commit, "-c", "iac-cost.yaml", "--files",
                                 "infra/variables.tf"], cwd=app)

        def suite_run(i: int) -> float:
            changed(i)
            return time_command(both, cwd=app, expect=None)

        hooks_median, _ = median_of(args.runs, hooks_run)
        together, _ = median_of(args.runs, suite_run)
        kept_median, _ = median_of(args.runs, lambda _: time_command(
            [*pre_commit, "-c", "iac-cost.yaml", "--files", "infra/variables.tf"], cwd=app))
        no_tf = subprocess.run([*pre_commit, "microgate-iac", "--files", "app/core.py"],
                               cwd=app, capture_output=True, text=True)
        report(f"a commit that changes one .tf file, median of {args.runs}",
               [("bare checkov on infra/ (its own checks only)", bare_median),
                ("microgate-iac + microgate-cost (one pre-commit run)", hooks_median),
                ("the whole suite on that commit (pre-commit run)", together),
                ("iac + cost again on the same Terraform (checkov's answer kept)",
                 kept_median)],
               target="IaC + cost within 1.2x of the bare checkov run")
        print(f"  ratio (iac + cost) / bare checkov: {hooks_median / bare_median:.2f}x")
        skipped = "(no files to check)Skipped" in no_tf.stdout
        print(f"  a commit without Terraform starts checkov: {'no' if skipped else 'YES'}")
        copies = []
        if not args.repos:
            for i in range(12):
                copy = work / "copies" / f"infra-{i}"
                shutil.copytree(app / "infra", copy)
                (copy / "variables.tf").write_text(
                    (copy / "variables.tf").read_text() + f"# copy {i}\n")
                if i % 2 == 0:  # half of them with a finding of checkov's
                    (copy / "open.tf").write_text(
                        f'resource "aws_s3_bucket_public_access_block" "open{i}" {{\n'
                        '  bucket = "b"\n  block_public_acls = false\n'
                        '  block_public_policy = false\n  ignore_public_acls = false\n'
                        '  restrict_public_buckets = false\n}\n')
                copies.append(copy)
        same = many_scans(copies) if copies else True
        ok = hooks_median <= 1.2 * bare_median and skipped and same
        verdict(ok)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
