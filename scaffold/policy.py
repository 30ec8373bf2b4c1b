"""The platform team's tier policy (``policies/tiers.yaml``), typed."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from scaffold import yamlio
from scaffold.errors import MicrogateError
from scaffold.resources import policy_file

SENSITIVITY_ORDER = ("public", "internal", "confidential", "restricted")


class ComputeCaps(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lambda_memory_mb: int = Field(gt=0)
    lambda_reserved_concurrency: int = Field(gt=0)
    fargate_cpu: int = Field(gt=0)
    fargate_memory_mb: int = Field(gt=0)
    fargate_desired_count: int = Field(gt=0)


class TierRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str
    description: str
    max_monthly_budget_usd: float = Field(gt=0)
    max_data_sensitivity: str
    max_ttl_days: int = Field(gt=0)
    approver_required: bool
    compute: ComputeCaps

    def allows_sensitivity(self, sensitivity: str) -> bool:
        return SENSITIVITY_ORDER.index(sensitivity) <= SENSITIVITY_ORDER.index(
            self.max_data_sensitivity
        )


class TierPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tiers: dict[int, TierRule]
    expiry_warning_days: int = Field(default=14, ge=0)

    def rule(self, tier: int) -> TierRule:
        try:
            return self.tiers[tier]
        except KeyError:
            known = ", ".join(str(t) for t in sorted(self.tiers))
            raise MicrogateError(
                f"tier {tier} is not defined in the tier policy ({known})"
            ) from None

    def lowest_tier_for(self, sensitivity: str) -> int | None:
        for tier in sorted(self.tiers):
            if self.tiers[tier].allows_sensitivity(sensitivity):
                return tier
        return None


def load_policy(path: Path) -> TierPolicy:
    try:
        raw = yamlio.load(path.read_text(encoding="utf-8"))
        return TierPolicy.model_validate(raw)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError) as exc:
        first = str(exc).splitlines()[0]
        raise MicrogateError(f"{path}: the tier policy is not valid: {first}") from None


@cache
def default_policy() -> TierPolicy:
    return load_policy(policy_file("tiers.yaml"))
