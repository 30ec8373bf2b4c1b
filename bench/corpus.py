"""A reproducible tree of real source files with planted secrets, for the secrets benchmarks."""

from __future__ import annotations

import shutil
import subprocess
import sysconfig
from pathlib import Path

from testing.fakes import secret_line

# Fake keys in real shapes (testing/fakes.py), made at run time so this file holds none.
PLANTED = {
    "config/settings.py": secret_line("aws") + "\n",
    "config/slack.py": secret_line("slack-token") + "\n",
    "config/github.py": secret_line("github-classic") + "\n",
    "config/stripe.py": secret_line("stripe") + "\n",
    "config/key.pem": secret_line("private-key") + "\n",
    "config/db.py": 'password = "' + 'hunter2-Very-Secret-9f8e7d"\n',
}
TEXT_SUFFIXES = {".py", ".md", ".txt", ".cfg", ".toml", ".json", ".rst", ".ini", ".html"}


def build_corpus(target: Path, count: int = 10_000, *, init_git: bool = True) -> list[Path]:
    """Copy ``count`` text files from this interpreter's site-packages, plant the secrets.

    ``init_git``: make the tree a git repo of its own (not when it lies inside one)."""
    paths = sysconfig.get_paths()
    sources = sorted(
        p
        for root in (paths["purelib"], paths["stdlib"])
        for p in Path(root).rglob("*")
        if p.is_file() and p.suffix in TEXT_SUFFIXES and p.stat().st_size < 200_000
        and "site-packages" not in p.relative_to(root).parts
    )
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for index in range(count - len(PLANTED)):
        source = sources[index % len(sources)]
        destination = target / "src" / f"{index // 500:02d}" / f"{index:05d}{source.suffix}"
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        written.append(destination)
    for name, content in PLANTED.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        written.append(path)
    if init_git:
        subprocess.run(["git", "init", "-q"], cwd=target, check=True)
    return written
