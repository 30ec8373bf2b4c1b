"""Where the test suite's time goes (issue 18: the whole suite in at most 5 minutes).

Run: python bench/bench_testsuite.py [--keep TIMELINE.jsonl] [PYTEST ARGS...]

Runs `python -m pytest` (the README's command, with any arguments given) with a small
plugin that records, for every test, its worker, start, wall time and CPU time (the
worker's own and that of the processes it waited for; work done inside bubblewrap's
sandbox is not all counted), and the whole machine's CPU over the run (which is). Then
prints the suite's span against the 5-minute target, how busy each worker and the
machine were, and the files and tests that took longest: what to look at first to make
the suite faster.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 300
PLUGIN = '''
import json, os, resource, time

import pytest

OUT = os.environ["MICROGATE_TIMELINE"]


def _cpu():
    own = resource.getrusage(resource.RUSAGE_SELF)
    waited = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + waited.ru_utime + waited.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    start, cpu = time.time(), _cpu()
    yield
    with open(OUT, "a", encoding="utf-8") as out:
        out.write(json.dumps({"id": item.nodeid,
                              "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
                              "start": start, "wall": time.time() - start,
                              "cpu": _cpu() - cpu}) + "\\n")
'''


def machine_cpu() -> tuple[float, float] | None:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat (Linux).
    Unlike the tests' own figures it counts the work done inside bubblewrap's sandbox
    (a process the sandbox reaps is not in its test's CPU time), and anything else the
    machine runs meanwhile."""
    try:
        fields = Path("/proc/stat").read_text(encoding="ascii").splitlines()[0].split()
    except (OSError, IndexError):
        return None
    if fields[:1] != ["cpu"]:
        return None
    ticks = [int(value) for value in fields[1:8]]  # user nice system idle iowait irq softirq
    per_second = os.sysconf("SC_CLK_TCK")
    idle = ticks[3] + ticks[4]
    return (sum(ticks) - idle) / per_second, sum(ticks) / per_second


def main(argv: list[str]) -> int:
    keep = None
    if argv[:1] == ["--keep"] and len(argv) > 1:
        keep, argv = Path(argv[1]), argv[2:]
    with tempfile.TemporaryDirectory(prefix="bench-testsuite-") as scratch:
        (Path(scratch) / "microgate_timeline.py").write_text(PLUGIN, encoding="utf-8")
        timeline = Path(scratch) / "timeline.jsonl"
        env = {**os.environ, "MICROGATE_TIMELINE": str(timeline),
               "PYTHONPATH": os.pathsep.join(filter(None, [scratch,
                                                           os.environ.get("PYTHONPATH")]))}
        started, machine_before = time.perf_counter(), machine_cpu()
        result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p",
                                 "microgate_timeline", *argv], cwd=ROOT, env=env, check=False)
        elapsed = time.perf_counter() - started
        machine_after = machine_cpu()
        rows = [json.loads(line) for line in timeline.read_text(encoding="utf-8").splitlines()] \
            if timeline.is_file() else []
        if keep is not None and timeline.is_file():
            keep.write_bytes(timeline.read_bytes())
    if not rows:
        print("no test ran")
        return result.returncode or 1
    first = min(row["start"] for row in rows)
    span = max(row["start"] + row["wall"] for row in rows) - first
    print(f"\n== the test suite: {len(rows)} tests, exit code {result.returncode}")
    print(f"  pytest, start to end         {elapsed:7.0f} s")
    print(f"  first test to last           {span:7.0f} s   target {TARGET_SECONDS} s "
          f"({span / TARGET_SECONDS:.2f}x the target)")
    print(f"  tests' wall time, summed     {sum(r['wall'] for r in rows):7.0f} s")
    print(f"  tests' CPU time, summed      {sum(r['cpu'] for r in rows):7.0f} s")
    if machine_before is not None and machine_after is not None:
        busy = machine_after[0] - machine_before[0]
        total = machine_after[1] - machine_before[1]
        cores = os.cpu_count() or 1
        print(f"  the machine's CPU, busy      {busy:7.0f} s of {total:.0f} ({cores} cores: "
              f"{busy / max(total, 1e-9):.0%}; its floor for the run: {busy / cores:.0f} s)")
    by_worker: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for row in rows:
        by_worker[row["worker"]].append(row)
    for worker, own in sorted(by_worker.items()):
        busy = sum(r["wall"] for r in own)
        print(f"  {worker}: {len(own)} tests, busy {busy:.0f} s of {span:.0f} s")
    wall: collections.Counter[str] = collections.Counter()
    cpu: collections.Counter[str] = collections.Counter()
    count: collections.Counter[str] = collections.Counter()
    for row in rows:
        name = row["id"].split("::")[0]
        wall[name] += row["wall"]
        cpu[name] += row["cpu"]
        count[name] += 1
    print("\n== files that took longest (wall s, CPU s, tests)")
    for name, seconds in wall.most_common(25):
        print(f"  {seconds:7.1f} {cpu[name]:7.1f} {count[name]:5d}  {name}")
    print("\n== tests that took longest (wall s, CPU s)")
    for row in sorted(rows, key=lambda r: -r["wall"])[:15]:
        print(f"  {row['wall']:7.1f} {row['cpu']:7.1f}  {row['id'][:110]}")
    print(f"  verdict: {'PASS' if span <= TARGET_SECONDS else 'MISS'}")
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
