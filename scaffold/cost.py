"""An offline monthly cost estimate of an app's Terraform, from policies/pricing.yaml.

It is an estimate: list prices for the resources the templates use, times the usage the
manifest's traffic level stands for. It leaves out free tiers, discounts, taxes, support
plans, data moved between services, and anything the app does beyond that traffic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from scaffold import yamlio
from scaffold.errors import MicrogateError
from scaffold.resources import policy_file
from scaffold.terraform import Resource, parse_file, read_source, resources, tf_files, variables

DISCLAIMER = ("An estimate from list prices ({region}, {date}) and the traffic in "
              "microapp.yaml; it leaves out free tiers, discounts, taxes, support plans and "
              "data moved between services.")
REFERENCE = re.compile(r"^\$\{var\.([A-Za-z0-9_-]+)\}$")


@dataclass(frozen=True)
class CostLine:
    address: str
    item: str
    quantity: float
    unit: str
    unit_price: float

    @property
    def monthly(self) -> float:
        return self.quantity * self.unit_price


@dataclass
class Estimate:
    region: str
    lines: list[CostLine] = field(default_factory=list)
    unpriced: list[Resource] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    price_date: str = ""

    @property
    def total(self) -> float:
        return sum(line.monthly for line in self.lines)

    def table(self) -> str:
        rows = [("resource", "quantity", "unit price", "monthly")]
        for line in self.lines:
            rows.append((f"{line.address} ({line.item})", f"{line.quantity:,.2f} {line.unit}",
                         f"${line.unit_price:,.6g}", f"${line.monthly:,.2f}"))
        rows.append(("total", "", "", f"${self.total:,.2f}"))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        out = []
        for index, row in enumerate(rows):
            out.append("  ".join([row[0].ljust(widths[0]), row[1].rjust(widths[1]),
                                  row[2].rjust(widths[2]), row[3].rjust(widths[3])]))
            if index == 0 or index == len(rows) - 2:
                out.append("  ".join("-" * w for w in widths))
        for resource in self.unpriced:
            out.append(f"not priced: {resource.type}.{resource.name} (no price in "
                       "policies/pricing.yaml)")
        out.append(DISCLAIMER.format(region=self.region, date=self.price_date))
        return "\n".join(out)


@cache
def pricing() -> dict[str, Any]:
    path = policy_file("pricing.yaml")
    try:
        data = yamlio.load(path.read_text(encoding="utf-8"))
        for key in ("usage", "assumptions", "prices", "free", "hours_per_month"):
            data[key]  # noqa: B018 - presence check
        return dict(data)
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise MicrogateError(f"{path}: the price table is not valid: {exc}") from None


class _Pricer:
    def __init__(self, table: dict[str, Any], region: str) -> None:
        self.table = table
        known = set(table["prices"]["lambda_requests"])
        self.region = region if region in known else str(table["default_region"])

    def price(self, key: str) -> tuple[float, str]:
        entry = self.table["prices"][key]
        return float(entry[self.region]), str(entry["unit"])


def _number(value: Any, values: dict[str, Any], default: float) -> float:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool):
        return default
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        match = REFERENCE.match(value.strip())
        if match and match.group(1) in values:
            return _number(values[match.group(1)], values, default)
        try:
            return float(value)
        except ValueError:
            return default
    return default


def _count(body: dict[str, Any], values: dict[str, Any]) -> float:
    return _number(body.get("count", 1), values, 1)


def load_infra(infra: Path) -> tuple[list[Resource], dict[str, Any]]:
    """All resources of a Terraform folder, and its variables' values (defaults, then
    terraform.tfvars)."""
    found: list[Resource] = []
    values: dict[str, Any] = {}
    for tf in tf_files(infra)[0]:
        parsed = parse_file(tf)
        found += resources(parsed, tf, read_source(tf))
        for name, body in variables(parsed).items():
            if isinstance(body, dict) and "default" in body:
                values[name] = body["default"]
    tfvars = infra / "terraform.tfvars"
    if tfvars in tf_files(infra, "terraform.tfvars")[0]:
        values.update({k: v for k, v in parse_file(tfvars).items() if not k.startswith("__")})
    return found, values


def estimate(infra: Path, *, traffic: str, region: str) -> Estimate:
    table = pricing()
    pricer = _Pricer(table, region)
    result = Estimate(pricer.region, price_date=str(
        table["prices"]["lambda_requests"].get("date", "")))
    if pricer.region != region:
        result.notes.append(f"no prices for {region} in policies/pricing.yaml; "
                            f"used {pricer.region}")
    usage = table["usage"].get(traffic) or table["usage"]["low"]
    requests = float(usage["requests_per_month"])
    assumptions = table["assumptions"]
    hours = float(table["hours_per_month"])
    found, values = load_infra(infra)
    result.notes += tf_files(infra)[1]
    by_address = {f"{r.type}.{r.name}": r for r in found}
    services_tasks = 0.0

    def add(resource: Resource, item: str, quantity: float, key: str) -> None:
        unit_price, unit = pricer.price(key)
        result.lines.append(CostLine(f"{resource.type}.{resource.name}", item, quantity, unit,
                                     unit_price))

    for resource in found:
        body, count = resource.body, _count(resource.body, values)
        if resource.type in table["free"]:
            continue
        if resource.type == "aws_lambda_function":
            memory_gb = _number(body.get("memory_size"), values, 128) / 1024
            seconds = float(assumptions["lambda_average_duration_ms"]) / 1000
            add(resource, "requests", count * requests / 1e6, "lambda_requests")
            add(resource, "compute", count * requests * seconds * memory_gb, "lambda_gb_seconds")
        elif resource.type == "aws_apigatewayv2_api":
            add(resource, "requests", count * requests / 1e6, "http_api_requests")
        elif resource.type == "aws_cloudwatch_log_group":
            gigabytes = requests * float(assumptions["log_kb_per_request"]) / 1e6
            add(resource, "log ingestion", count * gigabytes, "log_ingestion")
        elif resource.type == "aws_ecs_service":
            tasks = count * _number(body.get("desired_count"), values, 1)
            services_tasks += tasks
            definition = by_address.get(_referenced(body.get("task_definition"),
                                                    "aws_ecs_task_definition"))
            definition_body = definition.body if definition else {}
            vcpu = _number(definition_body.get("cpu"), values, 256) / 1024
            memory_gb = _number(definition_body.get("memory"), values, 512) / 1024
            add(resource, "vCPU", tasks * vcpu * hours, "fargate_vcpu_hours")
            add(resource, "memory", tasks * memory_gb * hours, "fargate_gb_hours")
        elif resource.type == "aws_s3_bucket":
            add(resource, "storage", count * float(assumptions["static_site_storage_gb"]),
                "s3_storage")
        elif resource.type == "aws_cloudfront_distribution":
            gigabytes = requests * float(assumptions["page_kb_per_request"]) / 1e6
            add(resource, "data out", count * gigabytes, "cloudfront_transfer")
            add(resource, "requests", count * requests / 1e4, "cloudfront_requests")
        else:
            result.unpriced.append(resource)
    for resource in found:
        if resource.type == "aws_ecs_cluster" and "containerInsights" in str(resource.body):
            add(resource, "container insights", max(services_tasks, 1) * 0.5,
                "ecs_container_insights")
    return result


def _referenced(value: Any, resource_type: str) -> str:
    text = str(value[0] if isinstance(value, list) and value else value or "")
    match = re.search(rf"{resource_type}\.([A-Za-z0-9_-]+)", text)
    return f"{resource_type}.{match.group(1)}" if match else ""
