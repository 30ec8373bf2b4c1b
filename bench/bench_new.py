"""Issue 2: `microgate new --defaults` (no lockfile) against copier's own copy.

Run: python bench/bench_new.py [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO_ROOT, median_of, report, time_command  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)
    template = REPO_ROOT / "templates" / "microapp"
    work = Path(tempfile.mkdtemp(prefix="bench-new-"))
    env = {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com"}
    copier_bin = str(Path(sys.executable).parent / "copier")
    try:
        def microgate_new(i: int) -> float:
            return time_command([sys.executable, "-m", "scaffold", "new", "--defaults",
                                 "--no-lock", str(work / f"mg-{i}")], env=env)

        def microgate_files_only(i: int) -> float:
            return time_command([sys.executable, "-m", "scaffold", "new", "--defaults",
                                 "--no-lock", "--no-git", str(work / f"mgf-{i}")], env=env)

        def copier_copy(i: int) -> float:
            return time_command([copier_bin, "copy", "--defaults", "--quiet", "--trust",
                                 str(template), str(work / f"cp-{i}")], env=env)

        copier_median, _ = median_of(args.runs, copier_copy)
        files_median, _ = median_of(args.runs, microgate_files_only)
        new_median, samples = median_of(args.runs, microgate_new)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(
        f"microgate new --defaults --no-lock, median of {args.runs}",
        [
            ("copier copy (the template alone)", copier_median),
            ("microgate new --no-git (validated files)", files_median),
            ("microgate new (+ git init, commit, pre-commit install)", new_median),
        ],
        target="microgate new at most 1500 ms",
    )
    print(f"  ratio microgate new / copier copy: {new_median / copier_median:.2f}x")
    print(f"  samples (ms): {', '.join(f'{s * 1000:.0f}' for s in samples)}")
    print(f"  verdict: {'PASS' if new_median <= 1.5 else 'MISS'} (median {new_median:.2f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
