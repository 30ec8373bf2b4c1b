"""Issue 18: each hook's own start-up, beside Python's, with its heaviest imports.

Run: python bench/bench_startup.py [--runs N] [APP]

Times `python -P -m hooks.<name> FILE` in a generated app (made here, with its
dependencies locked, unless APP names one), where FILE is a file of the hook's kind it
has nothing to say about, against `python -P -c pass` in the same run (best of N, the
figure least moved by a busy machine). Target: at most 40 ms beyond Python. Beside each
figure, the same hook with the parse cache off (every file parsed, as on a first commit)
and the three imports with the largest cumulative time from `python -X importtime`.
The scanner hooks (iac: checkov, ~3 s) are not start-up bound and are left out.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# hook module -> a file of its kind that a clean generated app has nothing wrong with
CLEAN_FILES = {
    "secrets": "app/core.py",
    "manifest": "app/core.py",  # a commit that leaves microapp.yaml alone
    "test-presence": "app/core.py",
    "pins": "requirements.txt",
    "licenses": "requirements.txt",
    "cost": "microapp.yaml",
    "prompts": "prompts/manifest.yaml",
    "vulns": "requirements.txt",
    "dependencies": "requirements.txt",
    "sast": "app/core.py",
}
TARGET_MS = 40.0


def best_ms(command: list[str], cwd: Path, runs: int,
            extra_env: dict[str, str] | None = None) -> tuple[float, int]:
    times, code = [], 0
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(extra_env or {})}
    for _ in range(runs):
        started = time.perf_counter()
        code = subprocess.run(command, cwd=cwd, capture_output=True, env=env,
                              check=False).returncode
        times.append(time.perf_counter() - started)
    return min(times) * 1000, code


def heaviest_imports(command: list[str], cwd: Path, count: int = 3) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([command[0], "-X", "importtime", *command[1:]], cwd=cwd,
                            capture_output=True, text=True, env=env, check=False)
    rows = []
    for line in result.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2].rstrip()
            rows.append((int(parts[1]), name.strip(), len(name) - len(name.lstrip())))
    # the top two levels: what the hook imports, and what those import first-hand
    top = sorted((row for row in rows if row[2] <= 3), reverse=True)[:count]
    return ", ".join(f"{name} {micro / 1000:.1f}" for micro, name, _ in top)


def make_app(folder: Path) -> Path:
    from scaffold import NewOptions, default_policy, new, to_manifest
    from testing.util import answers

    manifest = to_manifest(answers(name="bench-app", runtime="serverless", connectors=[]),
                           default_policy())
    return new(manifest, NewOptions(dest=folder / "bench-app", install_hooks=False)).path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app", nargs="?", type=Path)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "scaffold"),
                    str(ROOT / "hooks")], check=False)
    with tempfile.TemporaryDirectory() as scratch:
        app = args.app.resolve() if args.app else make_app(Path(scratch))
        python = [sys.executable, "-P"]
        floor, _ = best_ms([*python, "-c", "pass"], app, args.runs)
        print(f"python -P -c pass: {floor:.1f} ms (best of {args.runs})")
        print(f"{'hook':14} {'file':24} {'beyond python':>14} {'ratio':>6}  exit  "
              f"{'no parse cache':>14}  heaviest imports (cumulative ms)")
        over = 0
        for name, file in CLEAN_FILES.items():
            module = f"hooks.{name.replace('-', '')}"
            command = [*python, "-m", module, file]
            took, code = best_ms(command, app, args.runs)
            beyond = took - floor
            over += beyond > TARGET_MS
            cold, _ = best_ms(command, app, max(3, args.runs // 4),
                              {"MICROGATE_NO_PARSE_CACHE": "1"})
            print(f"{name:14} {file:24} {beyond:11.1f} ms {took / floor:5.1f}x  {code:4}  "
                  f"{cold - floor:11.1f} ms  {heaviest_imports(command, app)}")
        print(f"{over} hook(s) over the target of {TARGET_MS:.0f} ms beyond Python")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
