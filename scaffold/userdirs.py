"""Where microgate keeps what it makes for the user outside any repo."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """microgate's folder in the user's cache (``$XDG_CACHE_HOME`` or ``~/.cache``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "microgate"
