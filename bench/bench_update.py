"""Issue 6: `microgate update` against bare `copier update` on the same repo (target:
within 1.2x), the same on a repo already at the release (microgate knows it is current
without copier), and `microgate fleet update` of 50 repos against updating them one
after another, with microgate and with bare copier (target: at least 1.6x faster on 2
cores).

Run: python bench/bench_update.py [--runs N] [--fleet-runs N]

Each run starts from the same committed state (git reset --hard; git clean). Both sides
update v1.0.0 -> v1.1.0 of the template, conflicts inline. microgate's side also reads the
manifest, runs the cheap policy checks before and after, and reports.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import median_of, report, time_command, verdict  # noqa: E402

from testing.fleet import make_base, rename_copy  # noqa: E402
from testing.templates import released_template  # noqa: E402

MICROGATE = [sys.executable, "-m", "scaffold"]
COPIER = [str(Path(sys.executable).with_name("copier"))]


def reset(repo: Path) -> None:
    subprocess.run(["git", "reset", "--quiet", "--hard"], cwd=repo, check=True)
    subprocess.run(["git", "clean", "--quiet", "-fdx"], cwd=repo, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--fleet-runs", type=int, default=3)
    parser.add_argument("--fleet-size", type=int, default=50, help="0: skip the fleet")
    args = parser.parse_args(argv)
    os.environ.setdefault("GIT_AUTHOR_NAME", "bench")
    os.environ.setdefault("GIT_AUTHOR_EMAIL", "bench@example.com")
    os.environ.setdefault("GIT_COMMITTER_NAME", "bench")
    os.environ.setdefault("GIT_COMMITTER_EMAIL", "bench@example.com")
    with tempfile.TemporaryDirectory(prefix="microgate-bench-update-") as scratch:
        root = Path(scratch)
        template = released_template(root / "template")
        app = make_base(template, root / "app", "v1.0.0")

        def microgate_update(_: int) -> float:
            reset(app)
            return time_command([*MICROGATE, "update", str(app), "--vcs-ref", "v1.1.0"])

        def copier_update(_: int) -> float:
            reset(app)
            return time_command([*COPIER, "update", "--defaults", "--conflict", "inline",
                                 "--vcs-ref", "v1.1.0", "--quiet", str(app)])

        # interleaved, so that a noisy moment hurts both sides alike
        ours, theirs = [], []
        for index in range(args.runs):
            ours.append(microgate_update(index))
            theirs.append(copier_update(index))
        ours.sort()
        theirs.sort()
        mine, bare = ours[len(ours) // 2], theirs[len(theirs) // 2]
        report("update one repo (v1.0.0 -> v1.1.0), median of "
               f"{args.runs}", [("microgate update", mine), ("bare copier update", bare)],
               target="microgate update within 1.2x of copier update")
        print(f"  ratio: {mine / bare:.2f}x")
        verdict(mine <= 1.2 * bare)

        # An app already at the release asked for, the same platform values: nothing to bring.
        current = make_base(template, root / "app11", "v1.1.0")
        ours_current, _ = median_of(args.runs, lambda _: (reset(current), time_command(
            [*MICROGATE, "update", str(current), "--vcs-ref", "v1.1.0"]))[1])
        copier_current, _ = median_of(args.runs, lambda _: (reset(current), time_command(
            [*COPIER, "update", "--defaults", "--conflict", "inline", "--vcs-ref", "v1.1.0",
             "--quiet", str(current)]))[1])
        report(f"update one repo already at v1.1.0, median of {args.runs}",
               [("microgate update (already current: copier not run)", ours_current),
                ("bare copier update", copier_current)])
        print(f"  ratio: {ours_current / copier_current:.2f}x")
        reset(current)
        if args.fleet_size == 0:
            return 0

        bases = {"v1.0.0": app, "v1.1.0": current}
        reset(app)
        pristine = root / "pristine"
        pristine.mkdir()
        for index in range(args.fleet_size):
            version = "v1.0.0" if index % 2 == 0 else "v1.1.0"
            rename_copy(bases[version], pristine / f"app-{index:02d}", f"app-{index:02d}",
                        budget=float(20 + index),
                        expires=dt.date.today() + dt.timedelta(days=300))

        def fresh_fleet(run: int) -> Path:
            target = root / f"fleet-{run}-{os.urandom(3).hex()}"
            shutil.copytree(pristine, target, symlinks=True)
            return target

        def sequential(run: int) -> float:
            fleet = fresh_fleet(run)
            loop = "; ".join(f"{' '.join(MICROGATE)} update {fleet / name} --vcs-ref v1.1.0"
                             for name in sorted(os.listdir(fleet)))
            return time_command(["bash", "-c", loop], expect=None)

        def parallel(run: int) -> float:
            fleet = fresh_fleet(run)
            return time_command([*MICROGATE, "fleet", "update", str(fleet), "--vcs-ref",
                                 "v1.1.0", "--jobs", str(os.cpu_count() or 2)])

        def one_process(run: int) -> float:
            fleet = fresh_fleet(run)
            return time_command([*MICROGATE, "fleet", "update", str(fleet), "--vcs-ref",
                                 "v1.1.0", "--jobs", "1"])

        def copier_loop(run: int) -> float:
            fleet = fresh_fleet(run)
            loop = "; ".join(f"{COPIER[0]} update --defaults --conflict inline --vcs-ref "
                             f"v1.1.0 --quiet {fleet / name}" for name in sorted(os.listdir(fleet)))
            return time_command(["bash", "-c", loop], expect=None)

        copier_alone, _ = median_of(args.fleet_runs, copier_loop)
        loop, _ = median_of(args.fleet_runs, sequential)
        together, _ = median_of(args.fleet_runs, parallel)
        single, _ = median_of(args.fleet_runs, one_process)
        report(f"update a fleet of {args.fleet_size} repos (half behind), median of "
               f"{args.fleet_runs}, {os.cpu_count()} cores",
               [("one after another (a loop of bare copier update)", copier_alone),
                ("one after another (a loop of microgate update)", loop),
                ("microgate fleet update --jobs 1", single),
                (f"microgate fleet update --jobs {os.cpu_count()}", together)],
               target="fleet update at least 1.6x faster than one after another")
        print(f"  speed-up against the loop: {loop / together:.2f}x; against --jobs 1: "
              f"{single / together:.2f}x; against a loop of copier update: "
              f"{copier_alone / together:.2f}x")
        verdict(loop / together >= 1.6)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
