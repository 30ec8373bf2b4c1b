"""Issue 4: microgate-sast on a commit of 5 Python files against the semgrep command.

Run: python bench/bench_sast.py [--runs N] [--semgrep-rules CHECKOUT] [--bandit CHECKOUT]
                               [--tree DIR ...]

With the checkouts, it first prints recall and false alarms per rule family against
semgrep's registry rules and bandit (bench/sast_recall.py).

Times, in the same run and on the same 5 files (real code with planted risky lines):
`semgrep --config policies/semgrep FILES` (as semgrep's docs show, plus the flags it needs
offline), the hook's check in-process-free form `python -m hooks.sast FILES`, and the hook
through `pre-commit run microgate-sast`; then compares the findings.

With --tree (checkouts of public projects, e.g. fastapi and flask), it also times the hook
on a tree of their first 1,200 Python files against the semgrep command on the same
files (target: under 10 s) and compares the findings.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import REPO_ROOT, median_of, report, time_command, verdict  # noqa: E402

from testing.util import snapshot_checkout  # noqa: E402

RISKY = [
    "import subprocess\n\n\ndef archive(folder):\n    subprocess.run('tar czf x ' + folder, "
    "shell=True)\n",
    "import yaml\n\n\ndef read(text):\n    return yaml.load(text)\n",
    "def find(db, name):\n    return db.execute(f\"SELECT * FROM t WHERE n = '{name}'\")\n",
    "import requests\n\n\ndef get(url):\n    return requests.get(url, verify=False, "
    "timeout=3)\n",
    "def calc(expression):\n    return eval(expression)\n",
]


def make_files(app: Path) -> list[str]:
    """Five modules: real code from the standard library, each with one risky line."""
    import sysconfig

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    sources = ["textwrap.py", "shlex.py", "fnmatch.py", "glob.py", "colorsys.py"]
    names = []
    for index, (source, risky) in enumerate(zip(sources, RISKY, strict=True)):
        name = f"app/module{index}.py"
        (app / name).parent.mkdir(parents=True, exist_ok=True)
        (app / name).write_text((stdlib / source).read_text() + "\n\n" + risky)
        names.append(name)
    return names


def findings_from_semgrep(output: str) -> set[tuple[str, int, str]]:
    data = json.loads(output)
    return {(r["path"], r["start"]["line"], r["check_id"].rsplit(".", 1)[-1])
            for r in data["results"]}


def findings_from_hook(output: str) -> set[tuple[str, int, str]]:
    found = set()
    for line in output.splitlines():
        match = re.match(r"(\S+?):(\d+): \w+: .* \[sast/([\w-]+)\]$", line)
        if match:
            found.add((match.group(1), int(match.group(2)), match.group(3)))
    return found


TREE_FILES = 1200


def time_tree(checkouts: list[Path], tree: Path, semgrep: str, rules: str) -> bool:
    """The hook and the semgrep command on the first 1,200 Python files of the checkouts."""
    tree.mkdir()
    files: list[str] = []
    for checkout in checkouts:
        if not checkout.is_dir():
            print(f"  {checkout}: not a folder, skipped")
            continue
        for source in sorted(checkout.rglob("*.py")):
            if len(files) == TREE_FILES:
                break
            if ".git" in source.parts or source.is_symlink():
                continue
            name = f"{checkout.name}/{source.relative_to(checkout)}"
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, tree / name)
            files.append(name)
    if not files:
        print("  no Python files in the given checkouts: big-tree timing skipped")
        return True
    subprocess.run(["git", "init", "-q"], cwd=tree, check=True)
    size = sum((tree / name).stat().st_size for name in files) // 1024
    env = {"PYTHONPATH": str(REPO_ROOT)}
    hook = time_command([sys.executable, "-m", "hooks.sast", *files], cwd=tree, env=env,
                        expect=None)
    cli = time_command([semgrep, "--config", rules, "--disable-version-check", "--metrics",
                        "off", "--json", "--quiet", *files], cwd=tree, expect=None)
    report(f"risky-code rules on a tree of {len(files)} Python files ({size} KiB), one run",
           [("semgrep --config policies/semgrep (the semgrep command)", cli),
            ("microgate-sast (python -m hooks.sast)", hook)],
           target="microgate-sast under 10 s")
    print(f"  ratio semgrep command / microgate-sast: {cli / hook:.1f}x")
    return hook < 10


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--semgrep-rules", type=Path,
                        help="a checkout of semgrep-rules: recall per rule family")
    parser.add_argument("--bandit", type=Path, help="a checkout of bandit: recall on examples/")
    parser.add_argument("--tree", type=Path, nargs="+",
                        help="checkouts whose first 1,200 Python files make the big tree")
    args = parser.parse_args(argv)
    if args.semgrep_rules or args.bandit:
        import sast_recall

        sast_recall.main([*(["--semgrep-rules", str(args.semgrep_rules)]
                            if args.semgrep_rules else []),
                          *(["--bandit", str(args.bandit)] if args.bandit else [])])
    work = Path(tempfile.mkdtemp(prefix="bench-sast-"))
    try:
        app = work / "app-repo"
        app.mkdir()
        subprocess.run(["git", "init", "-q"], cwd=app, check=True)
        files = make_files(app)
        hooks_repo, rev = snapshot_checkout(work / "hooks")
        (app / ".pre-commit-config.yaml").write_text(
            f"repos:\n  - repo: {hooks_repo}\n    rev: {rev}\n    hooks:\n"
            "      - id: microgate-sast\n")
        subprocess.run(["git", "add", "--all"], cwd=app, check=True)
        semgrep = str(Path(sys.executable).parent / "semgrep")
        from scaffold.engines.sast import write_expanded_rules

        write_expanded_rules(work / "rules")  # the rules as semgrep reads them
        for example in (work / "rules").glob("*.py"):
            example.unlink()
        rules = str(work / "rules")
        semgrep_cmd = [semgrep, "--config", rules, "--disable-version-check", "--metrics",
                       "off", "--json", "--quiet", *files]
        hook_cmd = [sys.executable, "-m", "hooks.sast", *files]
        pre_commit_cmd = [sys.executable, "-m", "pre_commit", "run", "microgate-sast",
                          "--files", *files]
        env = {"PYTHONPATH": str(REPO_ROOT)}
        subprocess.run(pre_commit_cmd, cwd=app, capture_output=True)  # installs the env
        cli, _ = median_of(args.runs, lambda _: time_command(semgrep_cmd, cwd=app, expect=None))
        hook, _ = median_of(args.runs, lambda _: time_command(hook_cmd, cwd=app, env=env,
                                                               expect=None))
        via_pre_commit, _ = median_of(args.runs, lambda _: time_command(
            pre_commit_cmd, cwd=app, expect=None))
        report(f"risky-code rules on a commit of 5 Python files, median of {args.runs}",
               [("semgrep --config policies/semgrep (the semgrep command)", cli),
                ("microgate-sast (python -m hooks.sast)", hook),
                ("microgate-sast through pre-commit run", via_pre_commit)],
               target="microgate-sast at most 500 ms and at least 4x faster")
        print(f"  ratio semgrep command / microgate-sast: {cli / hook:.1f}x "
              f"(through pre-commit: {cli / via_pre_commit:.1f}x)")
        theirs = findings_from_semgrep(subprocess.run(
            semgrep_cmd, cwd=app, capture_output=True, text=True).stdout)
        ours = findings_from_hook(subprocess.run(
            hook_cmd, cwd=app, capture_output=True, text=True,
            env={**os.environ, **env}).stdout)
        print(f"  findings: semgrep {len(theirs)}, microgate {len(ours)}, "
              f"identical: {theirs == ours}")
        ok = via_pre_commit <= 0.5 and cli / via_pre_commit >= 4 and theirs == ours
        if args.tree:
            ok = time_tree(args.tree, work / "tree", semgrep, rules) and ok
        verdict(ok)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
