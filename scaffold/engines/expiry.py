"""The expiry rule of a manifest, kept free of heavy imports: it runs on every commit."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

TYPE_CHECKING = False  # typing costs a hook ~4 ms to import; mypy reads it as True
if TYPE_CHECKING:
    from typing import Literal

    Severity = Literal["error", "warning"]
else:
    Severity = str


def expiry_problem(
    expires: dt.date,
    today: dt.date,
    *,
    tier_name: str,
    max_ttl_days: int,
    warning_days: int,
    for_new_app: bool = False,
) -> tuple[Severity, str] | None:
    days_left = (expires - today).days
    if days_left < 0:
        return ("error", f"the app expired on {expires.isoformat()}; renew it by setting a new "
                         f"date (at most {max_ttl_days} days ahead) or retire it")
    if for_new_app and days_left == 0:
        return ("error", "the expiry date must be in the future")
    if days_left > max_ttl_days:
        return ("error", f"{expires.isoformat()} is more than {max_ttl_days} days away, the "
                         f"longest a {tier_name} app may live before renewal")
    if days_left <= warning_days and not for_new_app:
        return ("warning", f"the app expires in {days_left} day{'s' if days_left != 1 else ''} "
                           f"({expires.isoformat()}); renew it or plan its retirement")
    return None


def quick_expiry_check(manifest: Path,
                       today: dt.date | None = None) -> tuple[int | None, Severity, str] | None:
    """Check only the expiry date, with no schema validation: for commits that leave the
    manifest alone. Raises ValueError when the files are not as expected, so that the
    caller falls back to the full check."""
    from scaffold.safefiles import SkippedFile, read_text

    try:
        text = read_text(manifest.parent, manifest.name, max_bytes=1_000_000)
    except SkippedFile as exc:
        raise ValueError(str(exc)) from None
    from scaffold import yamlio
    from scaffold.resources import load_policy

    # through the parse cache: a manifest the commit leaves alone costs no YAML parser
    data = yamlio.load(text, unique_keys=True)
    expires, tier = data["expires"], data["tier"]
    if not isinstance(expires, dt.date) or isinstance(expires, dt.datetime):
        raise ValueError("expires is not a date")
    policy = load_policy("tiers.yaml")  # cached as JSON: its keys are text
    rule = policy["tiers"][str(tier)]
    problem = expiry_problem(
        expires, today or dt.date.today(),
        tier_name=f"tier {tier} ({rule['label']})",
        max_ttl_days=int(rule["max_ttl_days"]),
        warning_days=int(policy.get("expiry_warning_days", 14)),
    )
    if problem is None:
        return None
    match = re.search(r"^expires\s*:", text, re.MULTILINE)
    line = text.count("\n", 0, match.start()) + 1 if match else None
    return line, problem[0], problem[1]
