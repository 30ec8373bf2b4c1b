"""A fleet of generated micro apps, made quickly: two apps made by microgate from two
template releases, then copied with their git history and given names of their own."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from testing.util import commit_all, microgate


def make_base(template: Path, dest: Path, version: str, runtime: str = "serverless") -> Path:
    result = microgate("new", str(dest), "--defaults", "--no-lock", "--no-install-hooks",
                       "--template", str(template), "--vcs-ref", version,
                       "--set", f"runtime={runtime}")
    assert result.returncode == 0, result.output
    return dest


def rename_copy(base: Path, dest: Path, name: str, budget: float, expires: dt.date) -> Path:
    """A copy of ``base`` whose manifest and answers agree on a new name, budget and expiry."""
    shutil.copytree(base, dest, symlinks=True)
    old_name = base.name
    for relative in ("microapp.yaml", ".copier-answers.yml"):
        path = dest / relative
        lines = []
        for line in path.read_text().splitlines():
            if line.startswith("name: "):
                line = f"name: {name}"
            elif line.startswith("monthly_budget_usd: "):
                line = f"monthly_budget_usd: {budget}"
            elif line.startswith("expires: "):
                line = f"expires: '{expires.isoformat()}'" if relative.startswith(".") \
                    else f"expires: {expires.isoformat()}"
            lines.append(line)
        path.write_text("\n".join(lines) + "\n")
    assert old_name != name
    commit_all(dest, f"{name}: our own name, budget and expiry")
    return dest
