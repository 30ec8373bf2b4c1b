"""microgate: from an LLM-built micro app to a repo a platform team accepts.

Library use::

    from pathlib import Path
    from scaffold import NewOptions, default_policy, new, to_manifest

    manifest = to_manifest({"name": "sales-report", ...}, default_policy())
    new(manifest, NewOptions(dest=Path("sales-report")))

The names are loaded on first use, so that a hook importing one small module does not
pay for the whole library.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs a hook ~4 ms to import; mypy reads it as True
if TYPE_CHECKING:
    from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "Manifest": "scaffold.manifest",
    "NewOptions": "scaffold.generation.render",
    "NewResult": "scaffold.generation.render",
    "default_policy": "scaffold.policy",
    "new": "scaffold.generation.render",
    "to_manifest": "scaffold.generation.answers",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'scaffold' has no attribute {name!r}")
