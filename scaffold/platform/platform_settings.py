"""The platform team's settings (policies/platform.yaml): hook repository and revision,
template source, package index and LLM endpoint that generated apps use."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from scaffold import yamlio
from scaffold.errors import MicrogateError
from scaffold.resources import policies_dir


@dataclass(frozen=True)
class PlatformSettings:
    hooks_repo: str = ""
    hooks_rev: str = ""
    template: str = ""
    package_index: str = ""
    llm_endpoint: str = ""


@cache
def platform_settings() -> PlatformSettings:
    """policies/platform.yaml, or the file MICROGATE_PLATFORM_SETTINGS names (a platform
    team's own, handed to its users without editing microgate's installation)."""
    named = os.environ.get("MICROGATE_PLATFORM_SETTINGS")
    path = Path(named) if named else policies_dir() / "platform.yaml"
    if named and not path.is_file():
        raise MicrogateError(f"{path}: no such file (MICROGATE_PLATFORM_SETTINGS)")
    if not path.is_file():
        return PlatformSettings()
    try:
        data = yamlio.load(path.read_text(encoding="utf-8")) or {}
        hooks = data.get("hooks") or {}
        return PlatformSettings(
            hooks_repo=str(hooks.get("repo") or ""), hooks_rev=str(hooks.get("rev") or ""),
            template=str(data.get("template") or ""),
            package_index=str(data.get("package_index") or ""),
            llm_endpoint=str(data.get("llm_endpoint") or ""))
    except (OSError, ValueError, AttributeError, UnicodeDecodeError) as exc:
        raise MicrogateError(f"{path}: the platform settings are not valid: {exc}") from None
