"""The deterministic test generator: its speed, and what its tests are worth on real code.

Run: python bench/bench_testgen.py [--runs N] [--library CHECKOUT ...] [--max-functions N]
                                   [--mutants N]

Part 1 times planning and validating the tests on a 50-function module (target: under
1 s) and, apart, the pytest run that checks them; then one run of those tests started
warm (scaffold/generation/testwarmup.py) and cold, and one mutation score with its runs
forked from one warm process (scaffold/generation/testserver.py), a process per run
started warm, and started cold, as every run was before.

Part 2, for each public library given (a checkout: its tests removed here, its own
pytest configuration kept), runs `microgate tests generate` without an LLM and prints,
per library: the public functions that have a docstring example or full type hints, how
many of them got a kept, passing test (target: at least 80%), generated tests that did
not parse (target: 0), and the mutation score of the kept tests (scaffold/generation/mutation.py:
the share of small slips in each function they catch) beside the tests Hypothesis'
ghostwriter (`hypothesis write`) writes for the same functions (target: at least 1.5x).
The ghostwriter needs `pip install 'hypothesis[cli]'`; without it that column is skipped.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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


SKIP_PARTS = {"tests", "test", "testing", "docs", "doc", "benchmarks", "scripts", ".git",
              "examples"}


def library_copy(checkout: Path, work: Path) -> Path:
    """The library's sources and packaging files without its tests, as a new repo."""
    repo = work / checkout.name
    shutil.copytree(checkout, repo, ignore=shutil.ignore_patterns(
        *SKIP_PARTS, "test_*.py", "*_test.py", "conftest.py", "*.pyi", "setup.py",
        "noxfile.py", "tasks.py"))
    for package in [*repo.glob("*/__init__.py"), *repo.glob("src/*/__init__.py")]:
        # What a hatch-vcs or setuptools-scm build writes: the version module.
        text = package.read_text(encoding="utf-8", errors="replace")
        if "_version" in text and not (package.parent / "_version.py").exists():
            (package.parent / "_version.py").write_text(
                '__version__ = version = "0.0.0"\n__version_tuple__ = (0, 0, 0)\n')
    # Its test environment has hypothesis (the generator writes property tests only for
    # an app or library whose own dev requirements name it).
    dev = repo / "requirements-dev.in"
    dev.write_text((dev.read_text() if dev.is_file() else "") + "\nhypothesis\n")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    return repo


def eligible_functions(repo: Path, limit: int) -> list[tuple[str, str, str]]:
    """(source path, module, function) of the public functions with a docstring example
    or full type hints: what the generator promises to cover."""
    import ast

    from scaffold.engines.testpresence import analyse

    found = []
    for module in analyse(repo).sources:
        tree = ast.parse((repo / module.path).read_bytes())
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
                continue
            if node.name not in {n.name for n in module.names}:
                continue
            doc = ast.get_docstring(node) or ""
            arguments = [a for a in [*node.args.args, *node.args.kwonlyargs]
                         if a.arg not in ("self", "cls")]
            typed = node.returns is not None and all(a.annotation for a in arguments)
            if ">>>" in doc or typed:
                found.append((module.path, module.module, node.name))
    return found[:limit]


def ghostwriter_tests(repo: Path, module: str, function: str) -> str | None:
    """The test file `hypothesis write` makes for the function (relative), or None."""
    hypothesis = Path(sys.executable).parent / "hypothesis"
    if not hypothesis.is_file():
        return None
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(repo), str(repo / "src")])}
    result = subprocess.run([str(hypothesis), "write", f"{module}.{function}"], cwd=repo,
                            capture_output=True, text=True, env=env, timeout=120,
                            check=False)
    if result.returncode != 0 or "def test_" not in result.stdout:
        return None
    name = f"ghost_tests/test_ghost_{function}.py"
    (repo / name).parent.mkdir(exist_ok=True)
    (repo / name).write_text(result.stdout)
    return name


def measure_library(checkout: Path, work: Path, limit: int, mutants: int
                    ) -> dict[str, float] | None:
    from scaffold import sandbox
    from scaffold.generation import mutation
    from scaffold.generation.testgen import generate

    if not checkout.is_dir():
        print(f"  {checkout}: not a folder, skipped")
        return None
    repo = library_copy(checkout, work)
    functions = eligible_functions(repo, limit)
    names = {name for _, _, name in functions}
    start = time.perf_counter()
    generated = generate(repo, sorted({path for path, _, _ in functions}) or None)
    elapsed = time.perf_counter() - start
    kept: dict[str, list[str]] = {}
    for _, name, test_id in generated.kept:
        kept.setdefault(name, []).append(test_id)
    unparsable = sum(1 for _, why in generated.rejected if "does not parse" in why)
    covered = names & set(kept)
    mutation.MAX_MUTANTS = mutants
    sandboxed = sandbox.available()
    ours = mutation.MutationScore()
    theirs = mutation.MutationScore()
    ghost_written = 0
    for path, module, name in functions:
        if name not in kept:
            continue
        score = mutation.score(repo, path, name, kept[name], sandboxed=sandboxed)
        ghost = ghostwriter_tests(repo, module, name)
        ghost_score = mutation.score(repo, path, name, [ghost], sandboxed=sandboxed) \
            if ghost else None
        if score is None or not score.total:
            continue
        ours.killed += score.killed
        ours.total += score.total
        theirs.total += score.total
        if ghost_score is not None:
            ghost_written += 1
            theirs.killed += ghost_score.killed
    ratio = len(covered) / len(names) if names else 1.0
    print(f"\n== {checkout.name}: {len(functions)} public functions with a docstring "
          f"example or full type hints")
    print(f"  kept, passing tests for       {len(covered):4d} of {len(names)} "
          f"({ratio:.0%}; target at least 80%)")
    print(f"  generated tests not parsing   {unparsable:4d} (target: 0)")
    print(f"  tests written / dropped       {len(generated.written):4d} / "
          f"{len(generated.failed)}   in {elapsed:.1f} s")
    print(f"  mutation score, microgate     {ours.killed:4d} of {ours.total} "
          f"({ours.ratio:.0%})")
    print(f"  mutation score, ghostwriter   {theirs.killed:4d} of {theirs.total} "
          f"({theirs.ratio:.0%}; it wrote tests for {ghost_written} of these functions)")
    missing = sorted(names - set(kept))
    if missing:
        print(f"  no kept test: {', '.join(missing[:12])}{' ...' if len(missing) > 12 else ''}")
    return {"coverage": ratio, "unparsable": unparsable, "ours": ours.ratio,
            "theirs": theirs.ratio, "ghost": ghost_written}


def warm_start(work: Path, runs: int) -> None:
    """One run of the written tests and one mutation score, three ways: each run forked
    from one warm process per score (scaffold/generation/testserver.py: as microgate
    runs them), a process per run started from a copy of the seed
    (scaffold/generation/testwarmup.py), and a process per run started cold, as every run
    did before either."""
    from scaffold import sandbox
    from scaffold.generation import testserver, testwarmup
    from scaffold.generation.mutation import score
    from scaffold.generation.testgen import run_tests

    sandboxed = sandbox.available()
    testwarmup.seed()  # made once per environment: not part of a run's time
    ways = {"forked from one warm process": {},
            "a process per run, warm": {testserver.OFF_VARIABLE: "off"},
            "a process per run, cold (as before)": {testserver.OFF_VARIABLE: "off",
                                                   testwarmup.OFF_VARIABLE: "1"}}

    def timed(settings: dict[str, str], action: Any) -> float:
        os.environ.update(settings)
        try:
            start = time.perf_counter()
            action()
            return time.perf_counter() - start
        finally:
            for name in settings:
                os.environ.pop(name, None)

    def one_run() -> None:
        assert run_tests(work, "tests/test_rules.py", sandboxed=sandboxed).passed

    measured: list[int] = []

    def one_score() -> None:
        result = score(work, "app/rules.py", "rule_7", ["tests/test_rules.py"],
                       sandboxed=sandboxed)
        assert result is not None and result.total > 0
        measured[:] = [result.total]

    figures = [("one pytest run of the written tests, warm", sorted(
        timed({}, one_run) for _ in range(runs))[runs // 2]),
        ("one pytest run of the written tests, cold (as before)", sorted(
            timed(ways["a process per run, cold (as before)"], one_run)
            for _ in range(runs))[runs // 2])]
    scores = {name: sorted(timed(settings, one_score) for _ in range(3))[1]
              for name, settings in ways.items()}
    figures += [(f"mutation score of one function ({measured[0] + 1} runs), {name}", seconds)
                for name, seconds in scores.items()]
    report(f"runs of generated tests ({'sandboxed' if sandboxed else 'no sandbox here'}), "
           f"median of {runs} (scores: of 3)", figures, target="forked runs faster")
    forked = scores["forked from one warm process"]
    for name, seconds in scores.items():
        if seconds != forked:
            print(f"  mutation score: {seconds / forked:.1f}x faster forked than {name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--library", type=Path, nargs="+", default=[],
                        help="checkouts of public libraries to generate tests for")
    parser.add_argument("--max-functions", type=int, default=25,
                        help="at most this many functions per library")
    parser.add_argument("--mutants", type=int, default=10,
                        help="mutants per function for the mutation score")
    args = parser.parse_args(argv)
    if args.library:
        work = Path(tempfile.mkdtemp(prefix="bench-testgen-libraries-"))
        try:
            results = [r for checkout in args.library if (r := measure_library(
                checkout, work, args.max_functions, args.mutants)) is not None]
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if results:
            ok = all(r["coverage"] >= 0.8 and r["unparsable"] == 0 and
                     r["ours"] >= 1.5 * r["theirs"] for r in results)
            print("\n== all libraries")
            verdict(ok)
    from scaffold.engines.testpresence import analyse
    from scaffold.generation.testgen import ModulePlan, generate, plan_module, render_file, validate

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
        # (a property test of a function that raises on some inputs is dropped unsaid)
        covered = {name.split("_examples")[0].split("_recorded")[0]
                   for _, name in result.written}
        print(f"  tests written: {len(result.written)}, functions with a kept test: "
              f"{len(covered)} of 50, failed: {len(result.failed)}")
        verdict(generator < 1.0 and len(covered) == 50 and not result.failed)
        warm_start(work, args.runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
