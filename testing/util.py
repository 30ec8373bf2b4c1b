"""Helpers shared by microgate's tests (kept out of the installed packages)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
MICROGATE = [sys.executable, "-m", "scaffold"]


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None,
        timeout: float = 600, input: str | None = None) -> Run:
    result = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})}, input=input, check=False,
    )
    return Run(result.returncode, result.stdout, result.stderr)


def microgate(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
              timeout: float = 600) -> Run:
    return run([*MICROGATE, *args], cwd=cwd, env=env, timeout=timeout)


def git(repo: Path, *args: str) -> str:
    result = run(["git", *args], cwd=repo)
    assert result.returncode == 0, result.output
    return result.stdout


def commit_all(repo: Path, message: str = "change") -> None:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--no-verify", "-m", message)


def snapshot_checkout(target: Path) -> tuple[Path, str]:
    """Copy this checkout's files (committed or not) into a fresh git repo; return it and HEAD.

    pre-commit installs hooks from a git revision; the snapshot lets tests point at the
    working tree as it is, uncommitted edits included.
    """
    listed = run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                 cwd=REPO_ROOT)
    if listed.returncode == 0 and listed.stdout.strip():
        files = [line for line in listed.stdout.splitlines() if line]
    else:  # not a git checkout (e.g. an unpacked sdist): take what is there
        files = [str(p.relative_to(REPO_ROOT)) for p in REPO_ROOT.rglob("*")
                 if p.is_file() and ".venv" not in p.parts and ".git" not in p.parts]
    for name in files:
        source = REPO_ROOT / name
        if not source.is_file():
            continue
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)
    git(target, "init", "--quiet", "--initial-branch=main")
    commit_all(target, "snapshot")
    return target, git(target, "rev-parse", "HEAD").strip()


def answers(**overrides: Any) -> dict[str, Any]:
    import datetime as dt

    base: dict[str, Any] = {
        "name": "sales-report",
        "purpose": "Weekly sales figures for the team",
        "owner": "ana@example.com",
        "cost_center": "cc-1234",
        "tier": 1,
        "data_sensitivity": "internal",
        "runtime": "serverless",
        "sla": "business-hours",
        "traffic": "low",
        "connectors": [{"name": "crm", "kind": "api", "access": "read"}],
        "monthly_budget_usd": 40,
        "expires": (dt.date.today() + dt.timedelta(days=120)).isoformat(),
        "ci": "github",
    }
    base.update(overrides)
    return base
