"""Issue 4: the IaC and cost hooks on a commit that changes one .tf file, against a bare
checkov run on that folder; and a commit without Terraform, which must not start checkov.

Run: python bench/bench_iac.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import median_of, report, time_command, verdict  # noqa: E402

from testing.util import snapshot_checkout  # noqa: E402

ENV = {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com",
       "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
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
        hooks_median, _ = median_of(args.runs, lambda _: time_command(
            [*pre_commit, "-c", "iac-cost.yaml", "--files", "infra/variables.tf"], cwd=app))
        together, _ = median_of(args.runs, lambda _: time_command(both, cwd=app,
                                                                  expect=None))
        no_tf = subprocess.run([*pre_commit, "microgate-iac", "--files", "app/core.py"],
                               cwd=app, capture_output=True, text=True)
        report(f"a commit that changes one .tf file, median of {args.runs}",
               [("bare checkov on infra/ (its own checks only)", bare_median),
                ("microgate-iac + microgate-cost (one pre-commit run)", hooks_median),
                ("the whole suite on that commit (pre-commit run)", together)],
               target="IaC + cost within 1.2x of the bare checkov run")
        print(f"  ratio (iac + cost) / bare checkov: {hooks_median / bare_median:.2f}x")
        skipped = "(no files to check)Skipped" in no_tf.stdout
        print(f"  a commit without Terraform starts checkov: {'no' if skipped else 'YES'}")
        ok = hooks_median <= 1.2 * bare_median and skipped
        verdict(ok)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
