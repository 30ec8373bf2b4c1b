"""Issue 18: the parse cache on public code — the same values back, and how much faster.

Run: python bench/bench_parsecache.py CHECKOUT [CHECKOUT...]

Every .tf, .yaml/.yml and .toml file of the checkouts (public repositories fetched for
the purpose; nothing of them is kept) is parsed three ways in one run: by the plain
library (python-hcl2 through microgate's reading, PyYAML's safe loader through yamlio,
tomllib), through the parse cache when it is empty (parse and keep) and when it is warm
(read back). Printed: files, how many the cache keeps, any value that comes back
different from the plain parse (must be none), and the time of each way. Skips cleanly
without a checkout.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

KINDS = {".tf": "terraform", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml"}
MAX_BYTES = 500_000


def parser_for(kind: str, path: Path) -> Callable[[], Any]:
    from scaffold import tomlio, yamlio
    from scaffold.engines import terraform

    data = path.read_bytes()
    if kind == "terraform":
        return lambda: terraform._parse_cached.__wrapped__(path, data)  # no in-memory cache
    text = data.decode("utf-8")
    return (lambda: yamlio.load(text)) if kind == "yaml" else (lambda: tomlio.load(text))


def run_all(files: list[tuple[str, Path]]) -> tuple[dict[str, float], dict[Path, Any]]:
    values: dict[Path, Any] = {}
    seconds: dict[str, float] = {}
    for kind, path in files:
        started = time.perf_counter()
        try:
            values[path] = parser_for(kind, path)()
        except Exception as exc:  # noqa: BLE001 - a file the parser refuses: same each way
            values[path] = ("error", type(exc).__name__)
        seconds[kind] = seconds.get(kind, 0.0) + time.perf_counter() - started
    return seconds, values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkouts", nargs="*", type=Path)
    args = parser.parse_args(argv)
    checkouts = [c for c in args.checkouts if c.is_dir()]
    if not checkouts:
        print("no checkout given (or none exists): nothing measured")
        return 0
    files = sorted((KINDS[p.suffix], p) for c in checkouts for p in c.rglob("*")
                   if p.suffix in KINDS and p.is_file() and ".git" not in p.parts
                   and p.stat().st_size <= MAX_BYTES)
    with tempfile.TemporaryDirectory() as cache:
        os.environ["XDG_CACHE_HOME"] = cache
        os.environ["MICROGATE_NO_PARSE_CACHE"] = "1"
        plain_s, plain = run_all(files)
        del os.environ["MICROGATE_NO_PARSE_CACHE"]
        cold_s, _ = run_all(files)
        warm_s, warm = run_all(files)
        kept = sum(1 for _ in Path(cache).rglob("*.json"))
    differ = [path for path in plain if plain[path] != warm[path]]
    by_kind: dict[str, int] = {}
    for kind, _ in files:
        by_kind[kind] = by_kind.get(kind, 0) + 1
    print(f"{len(files)} files ({', '.join(f'{n} {k}' for k, n in sorted(by_kind.items()))}) "
          f"in {', '.join(c.name for c in checkouts)}")
    print(f"  {'kind':10} {'files':>6} {'plain parse':>12} {'cache empty':>12} "
          f"{'cache warm':>11}  ratio plain/warm")
    for kind in sorted(by_kind):
        print(f"  {kind:10} {by_kind[kind]:6} {plain_s[kind] * 1000:9.0f} ms "
              f"{cold_s[kind] * 1000:9.0f} ms {warm_s[kind] * 1000:8.0f} ms  "
              f"{plain_s[kind] / warm_s[kind]:.1f}x")
    print(f"  {kept} entries kept (values JSON cannot carry back exactly, parse errors and "
          "entries over 250 kB are parsed every time)")
    print(f"  values that came back different: {len(differ)}")
    for path in differ[:10]:
        print(f"    {path}")
    print(f"  verdict: {'PASS' if not differ else 'MISS'}")
    return 0 if not differ else 1


if __name__ == "__main__":
    raise SystemExit(main())
