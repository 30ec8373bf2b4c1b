"""Issue 18: building the hook suite's environments, with and without the wizard's packages.

Run: python bench/bench_hookenvs.py [--runner pre-commit|prek|both]

The first commit of every app on every machine builds the hooks' environments: pre-commit
pip-installs microgate into three (the checks', checkov's and semgrep's). This times
`install-hooks` for a repo using the three hooks, from a snapshot of this checkout as it
is (microgate's core dependencies only), against the same snapshot with the `wizard`
extra's packages made core dependencies again (copier, questionary, pip-tools,
pre-commit: how every hook environment was built before), in the same run, each in a
store of its own. Downloads come from the user's pip/uv cache either way (warm after the
first run), so the figures are the install's own work: wall and CPU seconds.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HOOKS = ("microgate-secrets", "microgate-iac", "microgate-sast")  # one environment each


def _with_wizard_as_core(snapshot: Path) -> str:
    """Make the snapshot's core dependencies include the wizard extra's; commit; HEAD."""
    from testing.util import commit_all, git

    pyproject = snapshot / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    wizard = re.search(r"^wizard = \[\n(.*?)^\]", text, re.M | re.S)
    assert wizard, "pyproject.toml has no wizard extra"
    text = text.replace("dependencies = [\n", "dependencies = [\n" + wizard.group(1), 1)
    pyproject.write_text(text, encoding="utf-8")
    commit_all(snapshot, "the wizard's packages as core dependencies")
    return git(snapshot, "rev-parse", "HEAD").strip()


def _app(folder: Path, repo: Path, rev: str, hook: str) -> Path:
    from testing.util import git

    folder.mkdir()
    git(folder, "init", "--quiet")
    (folder / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo}\n    rev: {rev}\n    hooks:\n      - id: {hook}\n",
        encoding="utf-8")
    return folder


def _install(app: Path, runner: str, store: Path) -> tuple[float, float]:
    command = ([sys.executable, "-m", "pre_commit"] if runner == "pre-commit"
               else [shutil.which("prek") or "prek"])
    env = {**os.environ, "PRE_COMMIT_HOME": str(store), "PREK_HOME": str(store)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run([*command, "install-hooks"], cwd=app, env=env,
                            capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{runner} install-hooks failed:\n{result.stdout}{result.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runner", choices=("pre-commit", "prek", "both"), default="both")
    args = parser.parse_args(argv)
    runners = ["pre-commit", "prek"] if args.runner == "both" else [args.runner]
    if "prek" in runners and not shutil.which("prek"):
        print("prek is not installed: timing pre-commit only")
        runners = ["pre-commit"]
    from testing.util import snapshot_checkout

    with tempfile.TemporaryDirectory(prefix="bench-hookenvs-") as scratch:
        base = Path(scratch)
        light_repo, light_rev = snapshot_checkout(base / "checks-only")
        heavy_repo = base / "with-wizard"
        shutil.copytree(light_repo, heavy_repo, symlinks=True)
        heavy_rev = _with_wizard_as_core(heavy_repo)
        print("== building the hooks' environments (install-hooks, one hook's at a time)")
        print(f"  {'runner / environment':<28}{'microgate (checks only)':>26}"
              f"{'with the wizard':>24}{'ratio (CPU)':>13}")
        for runner in runners:
            totals = [0.0, 0.0, 0.0, 0.0]
            for hook in HOOKS:
                light = _install(_app(base / f"app-{runner}-light-{hook}", light_repo,
                                      light_rev, hook), runner, base / f"store-{runner}-light")
                heavy = _install(_app(base / f"app-{runner}-heavy-{hook}", heavy_repo,
                                      heavy_rev, hook), runner, base / f"store-{runner}-heavy")
                for index, figure in enumerate((*light, *heavy)):
                    totals[index] += figure
                _row(f"{runner}: {hook}", light, heavy)
            _row(f"{runner}: all three", (totals[0], totals[1]), (totals[2], totals[3]))
    return 0


def _row(label: str, light: tuple[float, float], heavy: tuple[float, float]) -> None:
    print(f"  {label:<28}{light[0]:>8.1f} s wall {light[1]:>6.1f} s CPU"
          f"{heavy[0]:>8.1f} s wall {heavy[1]:>6.1f} s CPU{light[1] / heavy[1]:>12.2f}x")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
