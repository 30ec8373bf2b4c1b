"""Timing helpers for the benchmarks: medians of wall-clock runs, printed side by side."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def time_command(cmd: Sequence[str], *, cwd: Path | None = None,
                 env: dict[str, str] | None = None, expect: int | None = 0) -> float:
    start = time.perf_counter()
    result = subprocess.run(list(cmd), cwd=cwd, env={**os.environ, **(env or {})},
                            capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if expect is not None and result.returncode != expect:
        raise SystemExit(f"benchmark command failed ({result.returncode}): {' '.join(cmd)}\n"
                         f"{result.stdout}{result.stderr}")
    return elapsed


def median_of(runs: int, measure: Callable[[int], float]) -> tuple[float, list[float]]:
    samples = [measure(i) for i in range(runs)]
    return statistics.median(samples), samples


def report(title: str, rows: list[tuple[str, float]], *, target: str = "") -> None:
    print(f"\n== {title}")
    width = max(len(name) for name, _ in rows)
    for name, seconds in rows:
        print(f"  {name.ljust(width)}  {seconds * 1000:8.0f} ms")
    if target:
        print(f"  target: {target}")


def verdict(ok: bool) -> None:
    print(f"  verdict: {'PASS' if ok else 'MISS'}")
