"""Issue 13: test presence, pins and licenses on public projects nobody here wrote.

Run: python bench/bench_realworld.py PATH_TO_A_CHECKOUT [...]
Each PATH holds lockfiles (requirements*.txt, requirements/*.txt with --hash lines and
their .in sources), e.g. a fetched copy of a project that locks with pip-compile
--generate-hashes. Without one it says so and exits 0. The checkout is copied to a
temporary folder and mutated there; nothing of it is kept.

What it prints, per checkout with Python tests (test presence):
- the errors test presence reports on the project as it is (a well-tested library should
  get none that are false: each is printed for a reader to judge);
- for every public function or class whose name appears in exactly one test function
  (read as text, independently of microgate's analysis): that test deleted, is the name
  reported? (caught / missed);
- the time of the check, beside Python's own start-up.

What it prints, per checkout with lockfiles:
- the pins check's findings on the files as they are (the baseline);
- for each of three mutations (drop one package's hashes, loosen one pin to >=, add an
  unlocked package to an .in file): whether a new finding names it;
- the licenses check with no license cache: how many distinct pins it reports as needing
  a lookup, beside the distinct pins of every lockfile read directly (all must be there);
- the time of each check, beside Python's own start-up.

What it prints, per checkout with GitHub workflows (issue 17, unpinned CI installs):
- every `pip install` line of .github/workflows/*.yml and action.yml files, each with the
  pins check's verdict and an independent reading (OpenSSF Scorecard's rule for pip:
  pinned only with --require-hashes, or a local path/commit-pinned URL with --no-deps),
  and how often the two agree; the lines the check flags are printed for a reader.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.M)


def hook(name: str, repo: Path, files: list[str]) -> tuple[int, str, float]:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", f"hooks.{name}", *files], cwd=repo,
                            capture_output=True, text=True,
                            env={"PYTHONPATH": str(Path(__file__).resolve().parent.parent),
                                 "PATH": "/usr/bin:/bin", "HOME": str(repo)})
    return result.returncode, result.stdout, time.perf_counter() - start


def lockfiles_of(repo: Path) -> list[str]:
    from scaffold.engines.deps.lockfiles import lockfiles

    return lockfiles(repo)


def hashed_lockfile(repo: Path) -> tuple[str, str] | None:
    """A lockfile with --hash lines and an .in beside it, and one pinned package of it."""
    for name in lockfiles_of(repo):
        text = (repo / name).read_text(encoding="utf-8", errors="replace")
        source = repo / (name[:-4] + ".in")
        match = PIN.search(text)
        if "--hash" in text and source.is_file() and match:
            return name, match.group(1)
    return None


def mutate(repo: Path, lockfile: str, package: str) -> dict[str, tuple[str, str]]:
    """Three mutated copies: name -> (changed file, what a finding must name)."""
    return {
        "drop the hashes of one package": (lockfile, package),
        "loosen one pin to >=": (lockfile, package),
        "add an unlocked package to the .in": (lockfile[:-4] + ".in", "microgate-probe"),
    }


def apply(repo: Path, mutation: str, lockfile: str, package: str) -> None:
    path = repo / lockfile
    text = path.read_text(encoding="utf-8")
    if mutation.startswith("drop"):
        lines = text.splitlines(keepends=True)
        out, skipping = [], False
        for line in lines:
            if line.startswith(f"{package}=="):
                out.append(line.split(" \\")[0].rstrip() + "\n")
                skipping = line.rstrip().endswith("\\")
                continue
            if skipping:
                skipping = line.rstrip().endswith("\\")
                if "--hash" in line:
                    continue
            out.append(line)
        path.write_text("".join(out), encoding="utf-8")
    elif mutation.startswith("loosen"):
        path.write_text(text.replace(f"{package}==", f"{package}>=", 1), encoding="utf-8")
    else:
        source = repo / (lockfile[:-4] + ".in")
        source.write_text(source.read_text(encoding="utf-8") + "microgate-probe\n",
                          encoding="utf-8")


def _test_functions(repo: Path) -> list[tuple[Path, str, int, int, str]]:
    """Every test function: (file, name, first line, last line, its source)."""
    import ast

    found = []
    for path in sorted(repo.rglob("*.py")):
        if ".git" in path.parts or not (path.name.startswith("test") or
                                         path.name.endswith("_test.py")):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        lines = text.splitlines()
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                    "test") and node.end_lineno:
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                found.append((path, node.name, first, node.end_lineno,
                              "\n".join(lines[first - 1:node.end_lineno])))
    return found


def _untested(repo: Path) -> set[str]:
    from scaffold.engines.testpresence import analyse

    coverage = analyse(repo)
    return {f"{name.module}.{name.name}" for _, names in coverage.untested() for name in names}


def measure_tests(checkout: Path) -> bool:
    from scaffold.engines.testpresence import analyse

    with tempfile.TemporaryDirectory(prefix="bench-tests-") as scratch:
        repo = Path(scratch) / checkout.name
        shutil.copytree(checkout, repo, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
        python_files = [p.relative_to(repo).as_posix() for p in repo.rglob("*.py")]
        code, out, seconds = hook("testpresence", repo, python_files)
        errors = [line for line in out.splitlines() if ": error: " in line]
        coverage = analyse(repo)
        public = {f"{n.module}.{n.name}": n.name for s in coverage.sources for n in s.names}
        print(f"\n== test presence on {checkout}: {len(public)} public names, "
              f"{len(coverage.tests)} test modules, {seconds * 1000:.0f} ms for "
              f"{len(python_files)} files")
        for line in errors:
            print(f"  reported: {line[:150]}")
        baseline = _untested(repo)
        tests = _test_functions(repo)
        source_text = {s.path: (repo / s.path).read_text(encoding="utf-8", errors="replace")
                       for s in coverage.sources}
        test_text = {path: path.read_text(encoding="utf-8", errors="replace")
                     for path in {t[0] for t in tests}}
        caught = missed = indirect = 0
        for qualified, name in sorted(public.items()):
            if qualified in baseline:
                continue
            pattern = re.compile(rf"\b{re.escape(name)}\b")
            users = [t for t in tests if pattern.search(t[4])]
            if len(users) != 1:
                continue
            # Used by the library's own code elsewhere (Retrying builds AttemptManager):
            # then other tests exercise it too, and it is not that test's alone.
            uses = sum(1 for text in source_text.values() for line in text.splitlines()
                       if pattern.search(line)
                       and not re.match(rf"\s*(from |import |def {name}\b|class {name}\b|#)",
                                        line)
                       and not re.search(rf"[\"']{re.escape(name)}[\"']", line)
                       and not re.match(r"\s+\w+,?\s*$", line))  # a name in an import list
            # Named outside that test too (a decorated helper, a fixture): not its only test.
            in_tests = sum(len(pattern.findall(text)) for text in test_text.values())
            if uses or in_tests > len(pattern.findall(users[0][4])):
                indirect += 1
                continue
            path, test_name, first, last, _ = users[0]
            original = path.read_text(encoding="utf-8", errors="replace")
            lines = original.splitlines(keepends=True)
            indent = re.match(r"\s*", lines[first - 1]).group(0)  # type: ignore[union-attr]
            path.write_text("".join(lines[:first - 1]) + f"{indent}pass\n"
                            + "".join(lines[last:]), encoding="utf-8")
            try:
                now = _untested(repo)
            finally:
                path.write_text(original, encoding="utf-8")
            if qualified in now:
                caught += 1
            else:
                missed += 1
                print(f"  missed: {test_name} deleted, {qualified} still counted as tested")
        print(f"  only test of a public name deleted: {caught} caught, {missed} missed "
              f"({indirect} more named in one test function but also in the library's own "
              "code or a test helper, so exercised by other tests: not counted)")
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        print(f"  python's own start-up: {(time.perf_counter() - start) * 1000:.0f} ms")
        print(f"  errors reported: {len(errors)} (each above, for a reader to judge)")
        return missed == 0


def measure(checkout: Path) -> bool:
    with tempfile.TemporaryDirectory(prefix="bench-realworld-") as scratch:
        repo = Path(scratch) / checkout.name
        shutil.copytree(checkout, repo, symlinks=True,
                        ignore=shutil.ignore_patterns(".git"))
        subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
        every = lockfiles_of(repo)
        sources = sorted(str(p.relative_to(repo)) for p in repo.rglob("*.in"))
        found = hashed_lockfile(repo)
        print(f"\n== {checkout}: {len(every)} lockfiles, {len(sources)} .in files")
        if found is None:
            print("  no hash-pinned lockfile with an .in beside it: skipped")
            return True
        lockfile, package = found
        code, base_out, seconds = hook("pins", repo, every + sources)
        baseline = set(base_out.splitlines())
        print(f"  pins as they are: exit {code}, {len(baseline)} lines, {seconds * 1000:.0f} ms")
        ok = True
        for mutation, (changed, needle) in mutate(repo, lockfile, package).items():
            copy = Path(scratch) / "mutated"
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(repo, copy, symlinks=True)
            apply(copy, mutation, lockfile, package)
            _, out, _ = hook("pins", copy, [changed])
            new = [line for line in out.splitlines() if line not in baseline and needle in line]
            caught = bool(new)
            ok &= caught
            print(f"  {mutation} ({changed}, {needle}): {'caught' if caught else 'MISSED'}"
                  + (f": {new[0][:110]}" if new else ""))
        distinct = {re.sub(r"[-_.]+", "-", m.group(1)).lower() + "==" + m.group(2)
                    for name in every
                    for m in PIN.finditer((repo / name).read_text(encoding="utf-8",
                                                                  errors="replace"))}
        _, out, seconds = hook("licenses", repo, every)
        reported = set(re.findall(r"error: (\S+==\S+) has no license on record", out))
        print(f"  licenses with no cache: {len(reported)} distinct pins to look up of "
              f"{len(distinct)} in every lockfile ({seconds * 1000:.0f} ms)")
        missing = distinct - {r.lower() for r in reported}
        if missing:
            print(f"  not checked: {', '.join(sorted(missing)[:5])}")
        ok &= not missing
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        print(f"  python's own start-up: {(time.perf_counter() - start) * 1000:.0f} ms")
        print(f"  verdict: {'PASS' if ok else 'MISS'}")
        return ok


PIP_INSTALL_TEXT = re.compile(r"\bpip3?\s+install\b(.*)$")
FULL_COMMIT = re.compile(r"@[0-9a-f]{40}\b")


def independent_pinned(line: str) -> bool:
    """Scorecard's reading of one pip install, written apart from microgate's."""
    rest = PIP_INSTALL_TEXT.search(line)
    assert rest is not None
    words = rest.group(1).split("#")[0].split()
    if "--require-hashes" in words:
        return True
    targets = [w.strip("'\"") for w in words if not w.startswith("-")]
    return "--no-deps" in words and bool(targets) and all(
        t.startswith((".", "/")) or ("git+" in t and FULL_COMMIT.search(t)) for t in targets)


def measure_workflows(checkout: Path) -> None:
    from scaffold.checks.pins import unpinned_pip_install

    files = sorted(checkout.glob(".github/workflows/*.y*ml")) + sorted(
        checkout.rglob("action.y*ml"))
    lines = [(path, number, text) for path in files
             for number, text in enumerate(path.read_text("utf-8", "replace").splitlines(), 1)
             if PIP_INSTALL_TEXT.search(text.split(" #")[0])]
    started = time.perf_counter()
    verdicts = [unpinned_pip_install(text) is None for _, _, text in lines]
    seconds = time.perf_counter() - started
    agree = sum(v == independent_pinned(t) for v, (_, _, t) in zip(verdicts, lines, strict=True))
    print(f"{checkout.name}: {len(files)} workflow files, {len(lines)} pip installs, "
          f"{verdicts.count(False)} flagged unpinned, {verdicts.count(True)} pinned; "
          f"agrees with the independent reading on {agree}/{len(lines)}; "
          f"{seconds * 1000:.1f} ms")
    for (path, number, text), pinned in zip(lines, verdicts, strict=True):
        if not pinned:
            print(f"  {path.relative_to(checkout)}:{number}: {text.strip()[:100]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkouts", nargs="*", type=Path)
    args = parser.parse_args(argv)
    checkouts = [path for path in args.checkouts if path.is_dir()]
    if not checkouts:
        print("skipped: give the path of a checkout whose lockfiles are pinned with hashes")
        return 0
    for checkout in checkouts:
        if any(checkout.rglob("test*.py")):
            measure_tests(checkout)
        if any(checkout.rglob("requirements*")) or any(checkout.rglob("*.lock")):
            measure(checkout)
        if any(checkout.glob(".github/workflows/*.y*ml")):
            measure_workflows(checkout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
