"""checkov policies that follow from other policy files (kept in step by a test)."""

from __future__ import annotations

from typing import Any

from scaffold.policy import TierPolicy

CAPPED: tuple[tuple[str, str, str], ...] = (
    # (resource type, attribute, compute cap in tiers.yaml)
    ("aws_lambda_function", "memory_size", "lambda_memory_mb"),
    ("aws_lambda_function", "reserved_concurrent_executions", "lambda_reserved_concurrency"),
    ("aws_ecs_task_definition", "cpu", "fargate_cpu"),
    ("aws_ecs_task_definition", "memory", "fargate_memory_mb"),
    ("aws_ecs_service", "desired_count", "fargate_desired_count"),
)


POLICY_IDS = {
    "aws_lambda_function": ("CKV_MG_2", "lambda"),
    "aws_ecs_task_definition": ("CKV_MG_5", "ecs-task"),
    "aws_ecs_service": ("CKV_MG_6", "ecs-service"),
}
HEADER = ("# Generated from policies/tiers.yaml by scaffold/iacpolicies.py: do not edit by hand.\n"
          "# Regenerate it with: microgate policies sync\n")


def compute_caps_policies(policy: TierPolicy) -> dict[str, dict[str, Any]]:
    """checkov policies, one per sized resource type (a condition on another type fails in
    checkov): the resource is within the caps of the tier it is tagged with."""
    policies = {}
    for resource_type, (policy_id, stem) in POLICY_IDS.items():
        per_tier = []
        for tier, rule in sorted(policy.tiers.items()):
            caps = rule.compute.model_dump()
            conditions: list[dict[str, Any]] = [{
                "cond_type": "attribute", "resource_types": [resource_type],
                "attribute": "tags.tier", "operator": "equals", "value": str(tier),
            }]
            for capped_type, attribute, cap in CAPPED:
                if capped_type == resource_type:
                    conditions.append({
                        "cond_type": "attribute", "resource_types": [resource_type],
                        "attribute": attribute, "operator": "less_than_or_equal",
                        "value": caps[cap],
                    })
            per_tier.append({"and": conditions})
        policies[f"compute-caps-{stem}.yaml"] = {
            "metadata": {
                "id": policy_id,
                "name": f"{resource_type} sizes are within the caps of the app's tier "
                        "(policies/tiers.yaml)",
                "category": "GENERAL_SECURITY",
            },
            "definition": {"or": per_tier},
        }
    return policies


def render_policies(policy: TierPolicy) -> dict[str, str]:
    import yaml

    return {name: HEADER + yaml.safe_dump(body, sort_keys=False, width=100)
            for name, body in compute_caps_policies(policy).items()}
