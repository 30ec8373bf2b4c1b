"""Issue 3: the hook suite on a commit, and `microgate check --all-files` on 10,000 files.

Run: python bench/bench_hooks.py [--runs N] [--files N] [--skip-tree]

Part 1 times `pre-commit run` on a commit of 5 Python files and requirements.txt in a
generated repo, three ways in the same run: the floor (one no-op hook), the common way
(pre-commit-hooks' detect-private-key, detect-secrets-hook and pip-licenses as local
hooks) and microgate's five hooks; then plants secrets and compares what each finds.
Part 2 (issue 18) times the nine fast checks on the same commit, as nine hooks and as
the one microgate-suite hook, under pre-commit and under prek, beside each runner's floor;
then plants one finding for each of the nine checks and shows each is reported all four
ways. Part 3 times `microgate check --all-files` and `detect-secrets scan --all-files` on
the same tree of real source files with planted secrets, and compares the secrets found.
Figures are for warm caches (the hooks' environments built, the parse cache filled by the
first run), as on a developer's second commit; `--cold-parse` turns the parse cache off.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import median_of, report, time_command, verdict  # noqa: E402
from corpus import build_corpus  # noqa: E402

from testing.fakes import secret_line  # noqa: E402
from testing.util import snapshot_checkout  # noqa: E402

PRE_COMMIT = [sys.executable, "-m", "pre_commit"]
PREK = [str(Path(sys.executable).parent / "prek")]
ENV = {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com",
       "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com",
       "SKIP": "",
       # as on a user's machine: Python keeps the hooks' compiled modules (uv, which builds
       # prek's environments, does not compile them at install)
       "PYTHONDONTWRITEBYTECODE": ""}
FLOOR_CONFIG = """\
repos:
  - repo: local
    hooks:
      - id: noop
        name: no-op
        entry: "true"
        language: system
"""
COMMON_CONFIG = """\
repos:
  - repo: local
    hooks:
      - id: detect-private-key
        name: detect-private-key
        entry: detect-private-key
        language: python
        additional_dependencies: [pre-commit-hooks==5.0.0]
        types: [text]
      - id: detect-secrets
        name: detect-secrets
        entry: detect-secrets-hook --baseline .secrets.baseline
        language: python
        additional_dependencies: [detect-secrets==1.5.0]
        exclude: ^\\.secrets\\.baseline$
      - id: pip-licenses
        name: pip-licenses
        entry: pip-licenses --fail-on=GPL
        language: python
        additional_dependencies: [pip-licenses==5.0.0]
        pass_filenames: false
"""
MODULE = '''"""Pricing rule {n}."""


def rule_{n}(price: float) -> float:
    """Apply rule {n}."""
    return round(price * {factor}, 2)
'''
TEST = '''from app.rule{n} import rule_{n}


def test_rule_{n}() -> None:
    assert rule_{n}(100.0) == {expected}
'''


def make_commit(work: Path, hooks: tuple[Path, str]) -> tuple[Path, list[str]]:
    app = work / "app-repo"
    subprocess.run([sys.executable, "-m", "scaffold", "new", "--defaults", "--hooks-repo",
                    str(hooks[0]), "--hooks-rev", hooks[1], "--no-install-hooks", str(app)],
                   check=True, capture_output=True, env={**__import__("os").environ, **ENV})
    (app / "common.yaml").write_text(COMMON_CONFIG)
    (app / "floor.yaml").write_text(FLOOR_CONFIG)
    # The five hooks of issue 3 (the generated config also runs IaC, cost and SAST).
    (app / "five.yaml").write_text(
        f"repos:\n  - repo: {hooks[0]}\n    rev: {hooks[1]}\n    hooks:\n" + "".join(
            f"      - id: microgate-{name}\n"
            for name in ("secrets", "manifest", "test-presence", "pins", "licenses")))
    # Issue 18: the nine fast checks as nine hooks, and as the one microgate-suite hook.
    from scaffold.checks.runner import SUITE

    (app / "nine.yaml").write_text(
        f"repos:\n  - repo: {hooks[0]}\n    rev: {hooks[1]}\n    hooks:\n" + "".join(
            f"      - id: microgate-{name}\n" for name in SUITE))
    (app / "suite.yaml").write_text(
        f"repos:\n  - repo: {hooks[0]}\n    rev: {hooks[1]}\n    hooks:\n"
        "      - id: microgate-suite\n")
    files = []
    for n, factor in ((1, 0.9), (2, 1.1)):
        (app / "app" / f"rule{n}.py").write_text(MODULE.format(n=n, factor=factor))
        (app / "tests" / f"test_rule{n}.py").write_text(
            TEST.format(n=n, expected=round(100 * factor, 2)))
        files += [f"app/rule{n}.py", f"tests/test_rule{n}.py"]
    core = app / "app" / "core.py"
    core.write_text(core.read_text() + "\n# reviewed\n")
    files.append("app/core.py")
    lock = app / "requirements.txt"
    lock.write_text(lock.read_text() + "# reviewed\n")
    files.append("requirements.txt")
    subprocess.run(["git", "add", "--all"], cwd=app, check=True)
    return app, files


def pre_commit(app: Path, config: str, files: list[str], expect: int | None = 0) -> float:
    return time_command([*PRE_COMMIT, "run", "-c", config, "--files", *files], cwd=app,
                        env=ENV, expect=expect)


def findings_of(app: Path, config: str, files: list[str]) -> str:
    result = subprocess.run([*PRE_COMMIT, "run", "-c", config, "--files", *files], cwd=app,
                            capture_output=True, text=True, env={**__import__("os").environ,
                                                                **ENV})
    return result.stdout + result.stderr


def part_commit(runs: int, work: Path) -> None:
    hooks = snapshot_checkout(work / "hooks")
    app, files = make_commit(work, hooks)
    configs = ("floor.yaml", "common.yaml", "five.yaml", "nine.yaml", "suite.yaml")
    for config in configs:  # install the environments
        pre_commit(app, config, files, expect=None)
    floor, _ = median_of(runs, lambda _: pre_commit(app, "floor.yaml", files))
    common, _ = median_of(runs, lambda _: pre_commit(app, "common.yaml", files))
    ours, _ = median_of(runs, lambda _: pre_commit(app, "five.yaml", files))
    report(f"pre-commit run on a commit of 5 Python files + requirements.txt, median of {runs}",
           [("floor: one no-op hook", floor),
            ("common way: detect-private-key + detect-secrets-hook + pip-licenses", common),
            ("microgate: secrets, manifest, test-presence, pins, licenses", ours)],
           target="microgate at most 500 ms and faster than the common way")
    print(f"  ratio common way / microgate: {common / ours:.2f}x")
    verdict(ours <= 0.5 and ours < common)
    # No finding of the common way lost: plant secrets the common way knows.
    (app / "app" / "rule1.py").write_text(
        MODULE.format(n=1, factor=0.9) + secret_line("aws") + "\n" +
        secret_line("private-key") + "\n")
    subprocess.run(["git", "add", "--all"], cwd=app, check=True)
    common_out = findings_of(app, "common.yaml", files)
    ours_out = findings_of(app, "five.yaml", files)
    common_found = {"aws": "AWS Access Key" in common_out,
                    "private-key": "Private key found" in common_out or
                    "Private Key" in common_out}
    ours_found = {"aws": "app/rule1.py:7: error: AWS access key id" in ours_out,
                  "private-key": "app/rule1.py:8: error: Private key" in ours_out}
    print(f"  planted secrets found: common way {common_found}, microgate {ours_found}")
    lost = [k for k, v in common_found.items() if v and not ours_found[k]]
    print(f"  findings of the common way lost by microgate: {lost or 'none'}")


# One finding for each of the nine checks, and the text that shows it was reported.
PLANTED = {
    "secrets": "[secrets/secret]",
    "manifest": "expired on 2020-01-01",
    "test-presence": "[test-presence/",
    "pins": "[pins/look-alike]",
    "licenses": "[licenses/",
    "cost": "[cost/over-budget]",
    "prompts": "[prompts/",
    "vulns": "GHSA-bnch-0000-0001",
    "dependencies": "[dependencies/unprovided-import]",
}
OSV_RECORD = {  # an advisory of our own making against the app's pydantic pin
    "id": "GHSA-bnch-0000-0001", "summary": "planted by the benchmark",
    "affected": [{"package": {"ecosystem": "PyPI", "name": "pydantic"},
                  "ranges": [{"type": "ECOSYSTEM",
                              "events": [{"introduced": "0"}, {"fixed": "999"}]}]}],
    "database_specific": {"severity": "CRITICAL"},
}


def run_hooks(runner: list[str], app: Path, config: str, files: list[str],
              env: dict[str, str], expect: int | None = 0) -> float:
    return time_command([*runner, "run", "-c", config, "--files", *files], cwd=app, env=env,
                        expect=expect)


def output_of(runner: list[str], app: Path, config: str, files: list[str],
              env: dict[str, str]) -> str:
    result = subprocess.run([*runner, "run", "-c", config, "--files", *files], cwd=app,
                            capture_output=True, text=True,
                            env={**__import__("os").environ, **env})
    return result.stdout + result.stderr


def plant_one_finding_per_check(app: Path, work: Path) -> list[str]:
    """Edit the app so that each of the nine checks has one thing to report; the files
    a commit of those edits passes to the hooks."""
    (app / "app" / "rule1.py").write_text(
        MODULE.format(n=1, factor=0.9) + secret_line("aws") + "\nimport leftpadx\n")
    (app / "app" / "rule2.py").write_text(
        MODULE.format(n=2, factor=1.1) + "\n\ndef untested(x: int) -> int:\n"
        "    return x + 1\n")
    with (app / "requirements.txt").open("a") as handle:
        handle.write("reqeusts==2.0\n")
    manifest = app / "microapp.yaml"
    text = manifest.read_text()
    text = __import__("re").sub(r"(?m)^expires: .*$", "expires: 2020-01-01", text)
    text = __import__("re").sub(r"(?m)^monthly_budget_usd: .*$", "monthly_budget_usd: 0.01",
                                text)
    manifest.write_text(text)
    licenses = app / ".microgate" / "licenses.json"
    licenses.write_text(licenses.read_text().replace('"MIT"', '"AGPL-3.0-only"', 1))
    prompt = next((app / "prompts").glob("*/v1.md"))
    prompt.write_text(prompt.read_text() + "\nEdited in place after release.\n")
    advisories = work / "advisories"
    advisories.mkdir(exist_ok=True)
    (advisories / "GHSA-bnch-0000-0001.json").write_text(json.dumps(OSV_RECORD))
    subprocess.run([sys.executable, "-m", "scaffold", "vulns", "refresh", str(app), "--from",
                    str(advisories)], check=True, capture_output=True)
    subprocess.run(["git", "add", "--all"], cwd=app, check=True)
    return ["app/rule1.py", "app/rule2.py", "app/core.py", "tests/test_rule1.py",
            "tests/test_rule2.py", "requirements.txt", "microapp.yaml",
            ".microgate/licenses.json", ".microgate/vulns.json",
            prompt.relative_to(app).as_posix()]


def part_nine(runs: int, work: Path, cold_parse: bool) -> None:
    hooks = snapshot_checkout(work / "hooks-nine")
    app, files = make_commit(work / "nine", hooks)
    env = {**ENV, "PREK_HOME": str(work / "prek-home")}
    if cold_parse:
        env["MICROGATE_NO_PARSE_CACHE"] = "1"
    runners = {"pre-commit": PRE_COMMIT, "prek": PREK}
    if not Path(PREK[0]).exists():
        print("  prek is not installed here (pip install prek): its figures are left out")
        del runners["prek"]
    for runner in runners.values():
        for config in ("floor.yaml", "nine.yaml", "suite.yaml"):  # build the environments
            run_hooks(runner, app, config, files, env, expect=None)
    rows, figures = [], {}
    for label, runner in runners.items():
        for config, what in (("floor.yaml", "floor: one no-op hook"),
                             ("nine.yaml", "nine hooks, one process each"),
                             ("suite.yaml", "microgate-suite, one process")):
            took, _ = median_of(runs, lambda _, r=runner, c=config: run_hooks(
                r, app, c, files, env))
            figures[label, config] = took
            rows.append((f"{label}: {what}", took))
    report(f"the nine fast checks on the commit of 6 files, median of {runs}", rows,
           target="at most 0.30 s under pre-commit and 0.15 s under prek")
    for label in runners:
        nine, suite = figures[label, "nine.yaml"], figures[label, "suite.yaml"]
        floor = figures[label, "floor.yaml"]
        print(f"  {label}: nine hooks / suite {nine / suite:.2f}x; suite / runner's floor "
              f"{suite / floor:.1f}x")
    fastest = {label: min(figures[label, "nine.yaml"], figures[label, "suite.yaml"])
               for label in runners}
    targets = {"pre-commit": 0.30, "prek": 0.15}

    planted_files = plant_one_finding_per_check(app, work)
    lost = []
    print(f"  one finding planted for each check, in a commit of {len(planted_files)} files:")
    for label, runner in runners.items():
        for config in ("nine.yaml", "suite.yaml"):
            started = time.perf_counter()
            text = output_of(runner, app, config, planted_files, env)
            took = time.perf_counter() - started
            missing = [check for check, evidence in PLANTED.items() if evidence not in text]
            lost += [f"{label} {config}: {check}" for check in missing]
            gaps = f"; missing: {', '.join(missing)}" if missing else ""
            print(f"    {label:10} {config:11} {len(PLANTED) - len(missing)}/{len(PLANTED)} "
                  f"reported in {took:.3f} s{gaps}")
    print(f"  findings lost: {lost or 'none'}")
    verdict(not lost and all(fastest[label] <= targets[label] for label in runners))


def part_tree(count: int, work: Path) -> None:
    tree = work / "tree"
    subprocess.run([sys.executable, "-m", "scaffold", "new", "--defaults", "--no-lock",
                    "--no-install-hooks", str(tree)], check=True, capture_output=True,
                   env={**__import__("os").environ, **ENV})
    already = sum(1 for p in tree.rglob("*") if p.is_file() and ".git" not in p.parts)
    build_corpus(tree / "corpus", count - already, init_git=False)
    files = sum(1 for p in tree.rglob("*") if p.is_file() and ".git" not in p.parts)
    start = time.perf_counter()
    ours = subprocess.run([sys.executable, "-m", "scaffold", "check", "--all-files",
                           "--format", "json", "--repo", str(tree)],
                          capture_output=True, text=True)
    ours_seconds = time.perf_counter() - start
    detect = str(Path(sys.executable).parent / "detect-secrets")
    start = time.perf_counter()
    theirs = subprocess.run([detect, "scan", "--all-files"], cwd=tree, capture_output=True,
                            text=True)
    theirs_seconds = time.perf_counter() - start
    report(f"a tree of {files} files (a generated app + real source files, planted secrets)",
           [("detect-secrets scan --all-files", theirs_seconds),
            ("microgate check --all-files (all five checks)", ours_seconds)],
           target="at least 2x the files per second of detect-secrets, same secrets")
    print(f"  files/s: detect-secrets {files / theirs_seconds:.0f}, microgate "
          f"{files / ours_seconds:.0f}; ratio {theirs_seconds / ours_seconds:.2f}x")
    their_secrets = {(name, entry["hashed_secret"])
                     for name, entries in json.loads(theirs.stdout)["results"].items()
                     for entry in entries}
    from scaffold.engines.secrets import DroppedCandidate, SecretScanner, decode_text

    # Each of detect-secrets' findings is either reported by microgate (under its rule's
    # hash or detect-secrets' own) or rejected by a named precision filter.
    scanner = SecretScanner()
    our_secrets: set[tuple[str, str]] = set()
    rejected: dict[str, int] = {}
    for name in {name for name, _ in their_secrets}:
        text = decode_text((tree / name).read_bytes()) or ""
        dropped: list[DroppedCandidate] = []
        for finding in scanner.findings_in_text(text, name, dropped):
            our_secrets.update((name, digest) for digest in (finding.hashed_secret,
                                                             *finding.aliases))
        for candidate in dropped:
            if (name, candidate.hashed_secret) in their_secrets - our_secrets:
                reason = candidate.reason.split(" (")[0]
                rejected[reason] = rejected.get(reason, 0) + 1
                our_secrets.add((name, candidate.hashed_secret))
    reported = json.loads(ours.stdout)["checks"]["secrets"]["findings"]
    print(f"  secrets: detect-secrets {len(their_secrets)}, microgate reports {len(reported)}; "
          f"of detect-secrets' findings, {sum(rejected.values())} judged not secrets "
          f"({', '.join(f'{n} {r}' for r, n in sorted(rejected.items(), key=lambda i: -i[1]))}),"
          f" unexplained {len(their_secrets - our_secrets)}")
    ok = (theirs_seconds / ours_seconds >= 2 and bool(their_secrets)
          and not (their_secrets - our_secrets))
    verdict(ok)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--skip-tree", action="store_true")
    parser.add_argument("--skip-commit", action="store_true")
    parser.add_argument("--skip-nine", action="store_true")
    parser.add_argument("--cold-parse", action="store_true",
                        help="parse every file on every run (no parse cache)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-hooks-"))
    try:
        if not args.skip_commit:
            part_commit(args.runs, work)
        if not args.skip_nine:
            part_nine(args.runs, work, args.cold_parse)
        if not args.skip_tree:
            part_tree(args.files, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
