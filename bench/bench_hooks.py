"""Issue 3: the hook suite on a commit, and `microgate check --all-files` on 10,000 files.

Run: python bench/bench_hooks.py [--runs N] [--files N] [--skip-tree]

Part 1 times `pre-commit run` on a commit of 5 Python files and requirements.txt in a
generated repo, three ways in the same run: the floor (one no-op hook), the common way
(pre-commit-hooks' detect-private-key, detect-secrets-hook and pip-licenses as local
hooks) and microgate's five hooks; then plants secrets and compares what each finds.
Part 2 times `microgate check --all-files` and `detect-secrets scan --all-files` on the
same tree of real source files with planted secrets, and compares the secrets found.
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
ENV = {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com",
       "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com",
       "SKIP": ""}
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
    nine, _ = median_of(runs, lambda _: pre_commit(app, "nine.yaml", files, expect=None))
    suite, _ = median_of(runs, lambda _: pre_commit(app, "suite.yaml", files, expect=None))
    report(f"the nine fast checks, median of {runs}",
           [("floor: one no-op hook", floor),
            ("nine hooks, one process each", nine),
            ("microgate-suite, one process", suite)])
    print(f"  ratio nine hooks / suite: {nine / suite:.2f}x")
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
    from scaffold.secrets import DroppedCandidate, SecretScanner, decode_text

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
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-hooks-"))
    try:
        if not args.skip_commit:
            part_commit(args.runs, work)
        if not args.skip_tree:
            part_tree(args.files, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
