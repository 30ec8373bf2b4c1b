"""Issue 2: `microgate new --defaults` (no lockfile) against copier's own copy; with
--lock, `microgate lock` against pip-compile run by hand on the same requirement files
(the first app asks pip-compile; another app with the same requirements gets the answer
kept for the same inputs and cut-off day).

Run: python bench/bench_new.py [--runs N] [--lock]
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
    parser.add_argument("--lock", action="store_true",
                        help="also time `microgate lock` against pip-compile (needs the index)")
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
        if args.lock:
            lock_figures(work, env, min(args.runs, 3))
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


def lock_figures(work: Path, env: dict[str, str], runs: int) -> None:
    """pip-compile by hand (what a developer runs) against `microgate lock`, on apps with
    the same requirements and a cache of the benchmark's own."""
    from scaffold.generation.lockfile import cooldown_cutoff, pip_compile_command

    env = {**env, "XDG_CACHE_HOME": str(work / "cache")}
    apps = []
    for i in range(runs + 1):
        app = work / f"lock-{i}"
        time_command([sys.executable, "-m", "scaffold", "new", "--defaults", "--no-lock",
                      "--no-git", str(app)], env=env)
        apps.append(app)

    def by_hand(i: int) -> float:
        command = pip_compile_command(Path("requirements.in"), Path(f"by-hand-{i}.txt"))
        command[-1:-1] = ["--uploaded-prior-to", cooldown_cutoff(apps[i])]
        return time_command(command, cwd=apps[i], env=env)

    hand_median, _ = median_of(runs, by_hand)
    first = time_command([sys.executable, "-m", "scaffold", "lock", str(apps[-1])], env=env)
    kept_median, _ = median_of(runs, lambda i: time_command(
        [sys.executable, "-m", "scaffold", "lock", str(apps[i])], env=env))
    report(f"pin an app's requirements (requirements.in and -dev.in), median of {runs}",
           [("pip-compile by hand, requirements.in alone", hand_median),
            ("microgate lock, the first app (pip-compile, both files)", first),
            ("microgate lock, another app, same inputs (answer kept)", kept_median)])
    print(f"  ratio kept / pip-compile by hand: {kept_median / hand_median:.2f}x")


if __name__ == "__main__":
    raise SystemExit(main())
