"""A reproducible tree of real source files with planted secrets, for the secrets benchmarks."""

from __future__ import annotations

import shutil
import subprocess
import sysconfig
from pathlib import Path

# Well-known fake formats, split so that this file itself holds no secret.
PLANTED = {
    "config/settings.py": 'AWS_ACCESS_KEY_ID = "AKIA' + 'IOSFODNN7EXAMPLE"\n',
    "config/slack.py": 'SLACK = "xoxb-' + '1234567890-1234567890123-abcdefghijABCDEFGHIJklmn"\n',
    "config/github.py": 'TOKEN = "ghp_' + 'aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"\n',
    "config/stripe.py": 'STRIPE = "sk_live_' + '4eC39HqLyjWDarjtT1zdp7dc"\n',
    "config/key.pem": "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA "
    + "PRIVATE KEY-----\n",
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
