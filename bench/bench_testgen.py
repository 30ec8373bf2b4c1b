"""Issue 5: the deterministic test generator on a 50-function module (target: under 1 s).

Run: python bench/bench_testgen.py [--runs N]

Times planning and validating the tests (what the generator itself does) and, apart,
the pytest run that checks them.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import median_of, report, verdict  # noqa: E402

FUNCTION = '''

def rule_{n}(amount: float, rate: float) -> float:
    """Apply rule {n}.

    >>> rule_{n}(100.0, 0.5)
    {expected}
    """
    if amount < 0:
        raise ValueError("negative")
    return round(amount * rate + {n}, 2)
'''


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)
    from scaffold.testgen import ModulePlan, generate, plan_module, render_file, validate
    from scaffold.testpresence import analyse

    work = Path(tempfile.mkdtemp(prefix="bench-testgen-"))
    try:
        (work / "app").mkdir()
        (work / "tests").mkdir()
        (work / "app" / "__init__.py").write_text("")
        (work / "app" / "rules.py").write_text("".join(
            FUNCTION.format(n=n, expected=round(100 * 0.5 + n, 2)) for n in range(50)))

        def plan_and_validate(_: int) -> float:
            start = time.perf_counter()
            coverage = analyse(work)
            ((module, missing),) = list(coverage.untested())
            plan = plan_module(work, module, missing, "tests/test_rules.py")
            for test in plan.tests:
                assert not validate(render_file(ModulePlan(module, plan.test_file, [test]),
                                                ""), module.module)
            return time.perf_counter() - start

        generator, _ = median_of(args.runs, plan_and_validate)
        start = time.perf_counter()
        result = generate(work)
        end_to_end = time.perf_counter() - start
        report("the deterministic generator on a module of 50 typed, documented functions",
               [(f"plan + validate {len(result.written)} tests (median of {args.runs})",
                 generator),
                ("end to end, with the pytest run that checks them", end_to_end)],
               target="generator under 1000 ms")
        print(f"  tests written: {len(result.written)}, failed: {len(result.failed)}")
        verdict(generator < 1.0 and len(result.written) >= 150 and not result.failed)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
