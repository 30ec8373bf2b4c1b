"""An offline monthly cost estimate of an app's Terraform, from policies/pricing.yaml.

It is an estimate: list prices times the usage the manifest's traffic level stands for
(each assumption printed beside it), local modules followed, ``count``/``for_each``
multiplied, and the LLM calls the manifest's LLM connectors declare. A resource it
cannot price is never counted as free: the estimate is then "incomplete" and names it.
It leaves out free tiers, discounts, taxes and support plans.
"""

from __future__ import annotations

import math
import re
from functools import cache
from pathlib import Path

from scaffold import yamlio
from scaffold.engines.terraform import Module, Resource, load_module
from scaffold.errors import MicrogateError
from scaffold.records import FrozenRecord
from scaffold.resources import policy_file

TYPE_CHECKING = False  # typing costs a hook ~4 ms to import; mypy reads it as True
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

DISCLAIMER = ("An estimate from list prices ({region}, checked {date}) and the usage above; "
              "it leaves out free tiers, discounts, taxes and support plans.")


# Plain classes, not dataclasses: the cost hook's start-up (see scaffold/findings.py).
class CostLine(FrozenRecord):
    """One priced line of an estimate: a resource's item, its quantity and unit price."""

    __slots__ = ("address", "item", "quantity", "unit", "unit_price")

    def __init__(self, address: str, item: str, quantity: float, unit: str,
                 unit_price: float) -> None:
        self.address = address
        self.item = item
        self.quantity = quantity
        self.unit = unit
        self.unit_price = unit_price

    @property
    def monthly(self) -> float:
        return self.quantity * self.unit_price


class Unpriced(FrozenRecord):
    """A resource (or LLM connector) the estimate could not price, and why."""

    __slots__ = ("address", "type", "reason", "path", "line")

    def __init__(self, address: str, type: str, reason: str, path: Path | None = None,
                 line: int | None = None) -> None:
        self.address = address
        self.type = type
        self.reason = reason
        self.path = path
        self.line = line


class Estimate:
    """A monthly estimate: priced lines, what could not be priced, and the assumptions."""

    def __init__(self, region: str, lines: list[CostLine] | None = None,
                 unpriced: list[Unpriced] | None = None, notes: list[str] | None = None,
                 assumptions: list[str] | None = None, price_date: str = "") -> None:
        self.region = region
        self.lines = lines if lines is not None else []
        self.unpriced = unpriced if unpriced is not None else []
        self.notes = notes if notes is not None else []
        self.assumptions = assumptions if assumptions is not None else []
        self.price_date = price_date

    @property
    def total(self) -> float:
        return sum(line.monthly for line in self.lines)

    @property
    def complete(self) -> bool:
        return not self.unpriced

    def unpriced_types(self) -> list[str]:
        return sorted({item.type for item in self.unpriced})

    def _rows(self) -> list[tuple[str, str, str, str]]:
        return [(f"{line.address} ({line.item})", f"{line.quantity:,.2f} {line.unit}",
                 f"${line.unit_price:,.6g}", f"${line.monthly:,.2f}") for line in self.lines]

    def _total_label(self) -> str:
        return "total" if self.complete else "total (incomplete)"

    def table(self) -> str:
        rows = [("resource", "quantity", "unit price", "monthly"), *self._rows(),
                (self._total_label(), "", "", f"${self.total:,.2f}")]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        out = []
        for index, row in enumerate(rows):
            out.append("  ".join([row[0].ljust(widths[0]), row[1].rjust(widths[1]),
                                  row[2].rjust(widths[2]), row[3].rjust(widths[3])]))
            if index == 0 or index == len(rows) - 2:
                out.append("  ".join("-" * w for w in widths))
        for item in self.unpriced:
            out.append(f"not priced: {item.address}: {item.reason}")
        out += [f"assumed: {text}" for text in self.assumptions]
        out.append(DISCLAIMER.format(region=self.region, date=self.price_date))
        return "\n".join(out)

    def markdown(self) -> str:
        """A table for a pull-request comment."""
        def cell(text: str) -> str:
            return text.replace("|", "\\|").replace("\n", " ")

        out = ["| resource | quantity | unit price | monthly |", "|---|---:|---:|---:|"]
        out += ["| " + " | ".join(cell(part) for part in row) + " |" for row in self._rows()]
        out.append(f"| **{self._total_label()}** | | | **${self.total:,.2f}** |")
        if self.unpriced:
            out += ["", "**Not priced** (the estimate leaves these out):", ""]
            out += [f"- `{cell(item.address)}`: {cell(item.reason)}" for item in self.unpriced]
        if self.assumptions:
            out += ["", "Assumed:", ""] + [f"- {cell(text)}" for text in self.assumptions]
        out += ["", DISCLAIMER.format(region=self.region, date=self.price_date)]
        return "\n".join(out)

    def as_dict(self) -> dict[str, Any]:
        return {
            "region": self.region, "currency": "USD", "price_date": self.price_date,
            "total_monthly": round(self.total, 4), "complete": self.complete,
            "lines": [{"address": line.address, "item": line.item,
                       "quantity": line.quantity, "unit": line.unit,
                       "unit_price": line.unit_price, "monthly": round(line.monthly, 4)}
                      for line in self.lines],
            "unpriced": [{"address": item.address, "type": item.type, "reason": item.reason}
                         for item in self.unpriced],
            "assumptions": list(self.assumptions), "notes": list(self.notes),
        }


@cache
def pricing() -> dict[str, Any]:
    path = policy_file("pricing.yaml")
    try:
        data = yamlio.load(path.read_text(encoding="utf-8"))
        for key in ("usage", "assumptions", "prices", "free", "hours_per_month",
                    "default_region", "llm_models"):
            data[key]  # noqa: B018 - presence check
        return dict(data)
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise MicrogateError(f"{path}: the price table is not valid: {exc}") from None


class Pricer:
    """Prices of one region; a price the region lacks is us-east-1's, with a note."""

    def __init__(self, table: dict[str, Any], region: str, notes: list[str]) -> None:
        self.table = table
        self.region = region
        self.default = str(table["default_region"])
        self.notes = notes
        self._fallbacks: set[str] = set()

    def entry(self, key: str, variant: str | None = None,
              region: str | None = None) -> tuple[Any, str] | None:
        """(a price, or tiers [[up to, price], ...]; its unit), or None when the table has
        no price for that variant. ``region`` for a resource elsewhere (a replica)."""
        entry = self.table["prices"][key]
        values = entry.get(region or self.region)
        if values is None or (isinstance(values, dict) and variant not in values):
            values = entry.get(self.default)
            if values is not None and self.region != self.default and \
                    key not in self._fallbacks:
                self._fallbacks.add(key)
                self.notes.append(f"{key}: no {self.region} price in policies/pricing.yaml; "
                                  f"{self.default}'s used")
        if isinstance(values, dict):
            values = values.get(variant) if variant is not None else None
        if values is None:
            return None
        return values, str(entry["unit"])


class Usage:
    """How much each resource is used: the manifest's traffic level and the assumptions
    in policies/pricing.yaml, or per-resource figures (an infracost usage file's keys)
    where given. With ``assume=False`` only the given figures count (usage 0 otherwise)."""

    def __init__(self, table: dict[str, Any], traffic: str,
                 overrides: dict[str, dict[str, Any]] | None = None,
                 assume: bool = True) -> None:
        levels = table["usage"]
        self.traffic = traffic if traffic in levels else "low"
        self.requests = float(levels[self.traffic]["requests_per_month"]) if assume else 0.0
        self.table = table
        self.overrides = overrides or {}
        self.assume = assume
        self.used: dict[str, float] = {}

    def assumption(self, name: str) -> float:
        if not self.assume:
            return 0.0
        value = float(self.table["assumptions"][name])
        self.used[name] = value
        return value

    def given(self, address: str, key: str) -> float | None:
        found = self.overrides.get(address, {}).get(key)
        if found is None:  # count/for_each instances share a figure: NAME[*] or NAME
            base = address.split("[")[0]
            found = (self.overrides.get(f"{base}[*]") or self.overrides.get(base) or
                     {}).get(key)
        try:
            return float(found) if found is not None else None
        except (TypeError, ValueError):
            return None

    def of(self, address: str, key: str, default: float) -> float:
        found = self.given(address, key)
        return found if found is not None else default

    def monthly_requests(self, address: str) -> float:
        return self.of(address, "monthly_requests", self.requests)

    def describe(self) -> list[str]:
        if not self.assume:
            return []
        out = [f"traffic {self.traffic}: {self.requests:,.0f} requests a month "
               "(microapp.yaml's traffic, policies/pricing.yaml's usage)"]
        out += [f"{name.replace('_', ' ')}: {value:g}" for name, value in sorted(self.used.items())]
        return out


class _Costing:
    def __init__(self, pricer: Pricer, usage: Usage, result: Estimate, hours: float) -> None:
        self.pricer = pricer
        self.usage = usage
        self.result = result
        self.hours = hours

    def add(self, address: str, item: str, quantity: float, key: str,
            variant: str | None = None, region: str | None = None) -> bool:
        """Add ``quantity`` at ``key``'s price (split by its tiers); False when the table
        has no price for that variant."""
        found = self.pricer.entry(key, variant, region)
        if found is None:
            return False
        price, unit = found
        if quantity <= 0:
            return True
        if not isinstance(price, list):
            self.result.lines.append(CostLine(address, item, quantity, unit, float(price)))
            return True
        start = 0.0
        for limit, tier_price in price:
            end = math.inf if limit is None else float(limit)
            if quantity > start:
                part = min(quantity, end) - start
                label = item if start == 0 and end >= quantity else \
                    f"{item}, {_tier_label(start, end)}"
                self.result.lines.append(CostLine(address, label, part, unit,
                                                  float(tier_price)))
            start = end
        return True

    def add_kind(self, module: Module, resource: Resource, address: str, item: str,
                 quantity: float, key: str, kind: str, what: str) -> bool:
        """``add`` priced by a kind (instance type, class, node type...); a kind the table
        does not have leaves the resource unpriced, saying which (False)."""
        if self.add(address, item, quantity, key, kind):
            return True
        self.missing(module, resource, f"{what} {kind or '(unknown)'} is not in "
                     "policies/pricing.yaml")
        return False

    def missing(self, module: Module, resource: Resource, reason: str) -> None:
        self.result.unpriced.append(Unpriced(module.address_of(resource), resource.type,
                                             reason, resource.path, resource.line))


def _tier_label(start: float, end: float) -> str:
    def short(number: float) -> str:
        for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if number >= size:
                return f"{number / size:g}{suffix}"
        return f"{number:g}"

    return f"over {short(start)}" if math.isinf(end) else \
        f"{short(start)} to {short(end)}" if start else f"first {short(end)}"


# -- reading attributes ------------------------------------------------------------------


def _value(module: Module, resource: Resource, key: str, default: Any = None) -> Any:
    if key not in resource.body:
        return default
    setting = module.resolve(resource.body[key], resource.path, resource.line)
    return default if setting is None else setting.value


def _number(module: Module, body: dict[str, Any], key: str, resource: Resource,
            default: float | None) -> float | None:
    if key not in body:
        return default
    setting = module.resolve(body[key], resource.path, resource.line)
    if setting is None:
        return default
    return _as_number(setting.value, default)


def _as_number(value: Any, default: float | None) -> float | None:
    """1024, "1024", "1 vCPU", "2 GB", "0.25 vCPU" as a number (GB and vCPU stay in
    those units; callers say which unit they expect)."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        match = re.fullmatch(r"\s*([0-9.]+)\s*(vcpu|gb)?\s*", value, re.IGNORECASE)
        if match:
            try:
                number = float(match.group(1))
            except ValueError:
                return default
            return number * 1024 if match.group(2) else number
    return default


def _blocks(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = body.get(key)
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


def _text(module: Module, resource: Resource, key: str, default: str) -> str:
    value = _value(module, resource, key, default)
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return str(value) if isinstance(value, str | int | float) else default


def _autoscaled(run: _Costing, module: Module, resource: Resource, literal_id: str,
                namespace: str) -> dict[str, float]:
    """Application autoscaling targets on a resource (by reference, or by its literal
    id): dimension -> the capacity it runs at (the usage file's ``capacity``, else the
    target's minimum)."""
    reference = f"{resource.type}.{resource.name}."
    found: dict[str, float] = {}
    for target in module.resources:
        dimension = str(target.body.get("scalable_dimension", ""))
        scaled = str(target.body.get("resource_id"))
        if target.type != "aws_appautoscaling_target" or \
                not (reference in scaled or scaled == literal_id) or \
                not dimension.startswith(namespace):
            continue
        capacity = run.usage.given(f"{target.type}.{target.name}", "capacity") or \
            _number(module, target.body, "min_capacity", target, None)
        if capacity is not None:
            found[dimension[len(namespace):]] = capacity
    return found


def _referenced(module: Module, value: Any, resource_type: str) -> Resource | None:
    match = re.search(rf"{resource_type}\.([A-Za-z0-9_-]+)", str(value))
    if not match:
        return None
    return next((r for r in module.resources
                 if r.type == resource_type and r.name == match.group(1)), None)


if TYPE_CHECKING:
    Pricing = Callable[[_Costing, Module, Resource, str, float], None]
PRICERS: dict[str, Pricing] = {}
USAGE_KEYS: dict[str, set[str]] = {}


def prices(*types: str, usage: Iterable[str] = ()) -> Callable[[Pricing], Pricing]:
    """Register a pricing function for resource types, with the infracost usage-file keys
    it reads (a nested key as ``outer.inner``)."""
    def register(function: Pricing) -> Pricing:
        for resource_type in types:
            PRICERS[resource_type] = function
            USAGE_KEYS[resource_type] = set(usage)
        return function
    return register


# -- compute -------------------------------------------------------------------------------


def _architecture(module: Module, resource: Resource) -> str:
    return "arm64" if "arm64" in str(_value(module, resource, "architectures", "")) \
        else "x86_64"


@prices("aws_lambda_function", usage=("monthly_requests", "request_duration_ms"))
def _lambda(run: _Costing, module: Module, resource: Resource, address: str,
            times: float) -> None:
    memory_gb = (_number(module, resource.body, "memory_size", resource, 128) or 128) / 1024
    requests = run.usage.monthly_requests(address)
    duration = run.usage.of(address, "request_duration_ms",
                            run.usage.assumption("lambda_average_duration_ms")
                            if run.usage.assume else 0.0) / 1000
    run.add(address, "requests", times * requests / 1e6, "lambda_requests")
    run.add(address, "compute", times * requests * duration * memory_gb, "lambda_gb_seconds",
            _architecture(module, resource))


@prices("aws_lambda_provisioned_concurrency_config",
        usage=("monthly_duration_hrs", "request_duration_ms", "monthly_requests",
               "architecture", "memory_mb"))
def _provisioned_concurrency(run: _Costing, module: Module, resource: Resource,
                             address: str, times: float) -> None:
    function = _referenced(module, resource.body.get("function_name"), "aws_lambda_function")
    memory = run.usage.given(address, "memory_mb") or (
        _number(module, function.body, "memory_size", function, 128) if function else 128) \
        or 128
    architecture = str(run.usage.overrides.get(address, {}).get("architecture") or (
        _architecture(module, function) if function else "x86_64"))
    executions = _number(module, resource.body, "provisioned_concurrent_executions",
                         resource, None)
    if executions is None:
        run.missing(module, resource, "provisioned_concurrent_executions is decided when "
                    "Terraform runs")
        return
    hours = run.usage.of(address, "monthly_duration_hrs", run.hours)
    gb = memory / 1024
    run.add(address, "provisioned concurrency", times * executions * gb * hours * 3600,
            "lambda_provisioned_gb_seconds", architecture)
    # Requests and their duration are counted on the function unless given here.
    requests = run.usage.of(address, "monthly_requests", 0)
    duration = run.usage.of(address, "request_duration_ms", 0) / 1000
    run.add(address, "requests", times * requests / 1e6, "lambda_requests")
    run.add(address, "compute", times * requests * duration * gb,
            "lambda_provisioned_duration_gb_seconds", architecture)


@prices("aws_ecs_service")
def _ecs_service(run: _Costing, module: Module, resource: Resource, address: str,
                 times: float) -> None:
    launch = _text(module, resource, "launch_type", "FARGATE").upper()
    if launch == "EC2" or "capacity_provider_strategy" in resource.body and \
            "FARGATE" not in str(resource.body.get("capacity_provider_strategy")):
        return  # the EC2 instances it runs on are priced themselves
    tasks = times * (_number(module, resource.body, "desired_count", resource, 1) or 0)
    definition = _referenced(module, resource.body.get("task_definition"),
                             "aws_ecs_task_definition")
    if definition is None:
        run.missing(module, resource, "its task definition is not in this Terraform, so "
                    "its CPU and memory are unknown")
        return
    vcpu = (_number(module, definition.body, "cpu", definition, None) or 0) / 1024
    memory_gb = (_number(module, definition.body, "memory", definition, None) or 0) / 1024
    if not vcpu or not memory_gb:
        run.missing(module, resource, "its task definition's cpu and memory are decided "
                    "when Terraform runs")
        return
    run.add(address, "vCPU", tasks * vcpu * run.hours, "fargate_vcpu_hours")
    run.add(address, "memory", tasks * memory_gb * run.hours, "fargate_gb_hours")


def _volume(run: _Costing, address: str, item: str, size: float, kind: str, iops: float,
            storage_key: str = "ebs_storage", iops_key: str = "ebs_iops",
            times: float = 1.0) -> bool:
    if not run.add(address, f"{item} ({kind})", times * size, storage_key, kind):
        return False
    if iops and kind in ("io1", "io2"):
        run.add(address, f"{item} IOPS ({kind})", times * iops, iops_key, kind)
    return True


def _gp3_extras(run: _Costing, address: str, iops: float, throughput: float,
                times: float) -> None:
    """EBS gp3 includes 3,000 IOPS and 125 MB/s; more is charged."""
    run.add(address, "gp3 IOPS above 3,000", times * max(0.0, iops - 3000), "ebs_gp3_iops")
    run.add(address, "gp3 throughput above 125 MB/s", times * max(0.0, throughput - 125),
            "ebs_gp3_throughput")


@prices("aws_instance")
def _instance(run: _Costing, module: Module, resource: Resource, address: str,
              times: float) -> None:
    instance_type = _text(module, resource, "instance_type", "")
    if not run.add_kind(module, resource, address, f"instance ({instance_type})",
                        times * run.hours, "ec2_instance_hours", instance_type,
                        "instance type"):
        return
    root = (_blocks(resource.body, "root_block_device") or [{}])[0]
    size = _number(module, root, "volume_size", resource, None) or \
        float(run.usage.table["assumptions"]["instance_root_volume_gb"])
    _volume(run, address, "root volume", size, str(root.get("volume_type", "gp2")),
            _number(module, root, "iops", resource, 0) or 0, times=times)
    for volume in _blocks(resource.body, "ebs_block_device"):
        _volume(run, address, "volume", _number(module, volume, "volume_size", resource, 8)
                or 8, str(volume.get("volume_type", "gp2")),
                _number(module, volume, "iops", resource, 0) or 0, times=times)
    if _value(module, resource, "monitoring", False) is True:
        run.add(address, "detailed monitoring", times * 7, "ec2_detailed_monitoring")


@prices("aws_ebs_volume")
def _ebs_volume(run: _Costing, module: Module, resource: Resource, address: str,
                times: float) -> None:
    kind = _text(module, resource, "type", "gp2")
    size = _number(module, resource.body, "size", resource, 8) or 8
    iops = _number(module, resource.body, "iops", resource, 0) or 0
    if not _volume(run, address, "volume", size, kind, iops, times=times):
        run.missing(module, resource, f"volume type {kind} is not in policies/pricing.yaml")
    elif kind == "gp3":
        _gp3_extras(run, address, iops, _number(module, resource.body, "throughput",
                                                resource, 0) or 0, times)


@prices("aws_ebs_snapshot", "aws_ebs_snapshot_copy", usage=("monthly_list_block_requests",))
def _ebs_snapshot(run: _Costing, module: Module, resource: Resource, address: str,
                  times: float) -> None:
    volume = _referenced(module, resource.body.get("volume_id") or
                         resource.body.get("source_snapshot_id"), "aws_ebs_volume")
    size = _number(module, volume.body, "size", volume, None) if volume else None
    if size is None:
        run.missing(module, resource, "the size of the volume it copies is decided when "
                    "Terraform runs")
        return
    run.add(address, "snapshot storage", times * size, "ebs_snapshot_storage")


@prices("aws_eip")
def _eip(run: _Costing, module: Module, resource: Resource, address: str,
         times: float) -> None:
    run.add(address, "public IPv4 address", times * run.hours, "public_ipv4_hours")


@prices("aws_eks_cluster")
def _eks_cluster(run: _Costing, module: Module, resource: Resource, address: str,
                 times: float) -> None:
    version = _text(module, resource, "version", "")
    extended = version in {str(v) for v in run.pricer.table.get(
        "eks_extended_support_versions", [])}
    support = "extended" if extended else "standard"
    run.add(address, f"cluster ({support} support)", times * run.hours, "eks_cluster_hours",
            support)


@prices("aws_eks_node_group", usage=("instances",))
def _eks_node_group(run: _Costing, module: Module, resource: Resource, address: str,
                    times: float) -> None:
    types = _value(module, resource, "instance_types", None)
    template = _referenced(module, str(resource.body.get("launch_template", "")),
                           "aws_launch_template")
    if not types and template is not None:
        types = [_text(module, template, "instance_type", "")]
    instance_type = str(types[0]) if isinstance(types, list) and types else "t3.medium"
    scaling = (_blocks(resource.body, "scaling_config") or [{}])[0]
    nodes = run.usage.of(address, "instances",
                         _number(module, scaling, "desired_size", resource, 1) or 0)
    if not run.add_kind(module, resource, address, f"nodes ({instance_type})",
                        times * nodes * run.hours, "ec2_instance_hours", instance_type,
                        "instance type"):
        return
    disk = _number(module, resource.body, "disk_size", resource, None) or \
        float(run.usage.table["assumptions"]["node_disk_gb"])
    _volume(run, address, "node disks", disk * nodes, "gp2", 0, times=times)


@prices("aws_apprunner_service")
def _app_runner(run: _Costing, module: Module, resource: Resource, address: str,
                times: float) -> None:
    config = (_blocks(resource.body, "instance_configuration") or [{}])[0]
    vcpu = (_as_number(config.get("cpu", 1024), 1024) or 1024) / 1024
    memory_gb = (_as_number(config.get("memory", 2048), 2048) or 2048) / 1024
    active = run.usage.assumption("app_runner_active_share") if run.usage.assume else 0.0
    run.add(address, "provisioned memory", times * memory_gb * run.hours,
            "app_runner_gb_hours")
    run.add(address, "active vCPU", times * vcpu * run.hours * active,
            "app_runner_vcpu_hours")


# -- data -----------------------------------------------------------------------------------

RDS_ENGINES = {"mysql": "mysql", "mariadb": "mysql", "postgres": "postgres"}


@prices("aws_db_instance")
def _db_instance(run: _Costing, module: Module, resource: Resource, address: str,
                 times: float) -> None:
    engine = _text(module, resource, "engine", "")
    instance_class = _text(module, resource, "instance_class", "")
    family = RDS_ENGINES.get(engine)
    multi_az = 2.0 if _value(module, resource, "multi_az", False) is True else 1.0
    if engine.startswith("aurora"):
        found = run.add(address, f"instance ({instance_class})", times * run.hours,
                        "aurora_instance_hours", instance_class)
    else:
        found = family is not None and run.add(
            address, f"instance ({engine}, {instance_class}"
            f"{', Multi-AZ' if multi_az > 1 else ''})", times * multi_az * run.hours,
            "rds_instance_hours", f"{family}/{instance_class}")
    if not found:
        run.missing(module, resource, f"{engine or 'an unknown engine'} on "
                    f"{instance_class or 'an unknown class'} is not in policies/pricing.yaml")
        return
    if engine.startswith("aurora"):
        return
    storage = _number(module, resource.body, "allocated_storage", resource, None) or \
        run.usage.of(address, "storage_gb", 20)
    kind = _text(module, resource, "storage_type",
                 "io1" if "iops" in resource.body else "gp2")
    iops = _number(module, resource.body, "iops", resource, 0) or 0
    if kind in ("io1", "io2"):  # RDS's minimums for provisioned IOPS storage
        storage, iops = max(storage, 100), max(iops, 1000)
    _volume(run, address, "storage", storage * multi_az, kind, iops * multi_az,
            "rds_storage", "rds_iops", times=times)
    if kind == "gp3":
        baseline = 3000 if storage < 400 else 12000
        run.add(address, f"gp3 IOPS above {baseline:,}",
                times * multi_az * max(0.0, iops - baseline), "rds_gp3_iops")


@prices("aws_rds_cluster", usage=("storage_gb", "monthly_io_requests",
                                  "capacity_units_per_hr"))
def _rds_cluster(run: _Costing, module: Module, resource: Resource, address: str,
                 times: float) -> None:
    if _text(module, resource, "storage_type", "") == "aurora-iopt1":
        run.missing(module, resource, "Aurora I/O-Optimized storage is not in "
                    "policies/pricing.yaml")
        return
    if _text(module, resource, "engine_mode", "provisioned") == "serverless":
        scaling = (_blocks(resource.body, "scaling_configuration") or [{}])[0]
        minimum = _number(module, scaling, "min_capacity", resource, 1) or 1
        acu = run.usage.of(address, "capacity_units_per_hr",
                           minimum if run.usage.assume else 0)
        run.add(address, "serverless v1 capacity", times * acu * run.hours,
                "aurora_serverless_v1_acu_hours")
    storage = run.usage.of(address, "storage_gb",
                           run.usage.assumption("database_storage_gb"))
    io = run.usage.of(address, "monthly_io_requests",
                      run.usage.requests * (run.usage.assumption("reads_per_request")
                                            + run.usage.assumption("writes_per_request"))
                      if run.usage.assume else 0)
    run.add(address, "storage", times * storage, "aurora_storage")
    run.add(address, "I/O requests", times * io / 1e6, "aurora_io")


@prices("aws_rds_cluster_instance", usage=("capacity_units_per_hr",))
def _rds_cluster_instance(run: _Costing, module: Module, resource: Resource, address: str,
                          times: float) -> None:
    instance_class = _text(module, resource, "instance_class", "")
    if instance_class == "db.serverless":
        cluster = _referenced(module, resource.body.get("cluster_identifier"),
                              "aws_rds_cluster")
        scaling = (_blocks(cluster.body, "serverlessv2_scaling_configuration")
                   if cluster else []) or [{}]
        minimum = _number(module, scaling[0], "min_capacity", resource, 0.5) or 0.5
        acu = run.usage.of(address, "capacity_units_per_hr", minimum)
        run.add(address, "serverless v2 capacity", times * acu * run.hours,
                "aurora_serverless_v2_acu_hours")
        return
    run.add_kind(module, resource, address, f"instance ({instance_class})", times * run.hours,
                 "aurora_instance_hours", instance_class, "Aurora instance class")


@prices("aws_neptune_cluster_instance")
def _neptune_instance(run: _Costing, module: Module, resource: Resource, address: str,
                      times: float) -> None:
    instance_class = _text(module, resource, "instance_class", "")
    cluster = _referenced(module, resource.body.get("cluster_identifier"),
                          "aws_neptune_cluster")
    if cluster is not None and _text(module, cluster, "storage_type", "") == "iopt1":
        run.missing(module, resource, "Neptune I/O-Optimized is not in policies/pricing.yaml")
        return
    run.add_kind(module, resource, address, f"instance ({instance_class})", times * run.hours,
                 "neptune_instance_hours", instance_class, "Neptune instance class")


@prices("aws_neptune_cluster", usage=("storage_gb", "monthly_io_requests"))
def _neptune_cluster(run: _Costing, module: Module, resource: Resource, address: str,
                     times: float) -> None:
    storage = run.usage.of(address, "storage_gb", run.usage.assumption("database_storage_gb"))
    io = run.usage.of(address, "monthly_io_requests",
                      run.usage.requests * run.usage.assumption("reads_per_request")
                      if run.usage.assume else 0)
    run.add(address, "storage", times * storage, "neptune_storage")
    run.add(address, "I/O requests", times * io / 1e6, "neptune_io")


@prices("aws_dynamodb_table", usage=("monthly_write_request_units",
                                     "monthly_read_request_units", "storage_gb"))
def _dynamodb(run: _Costing, module: Module, resource: Resource, address: str,
              times: float) -> None:
    if _text(module, resource, "billing_mode", "PROVISIONED") == "PAY_PER_REQUEST":
        writes = run.usage.of(address, "monthly_write_request_units", run.usage.requests *
                              run.usage.assumption("writes_per_request")
                              if run.usage.assume else 0)
        reads = run.usage.of(address, "monthly_read_request_units", run.usage.requests *
                             run.usage.assumption("reads_per_request")
                             if run.usage.assume else 0)
        run.add(address, "write request units", times * writes / 1e6,
                "dynamodb_write_request_units")
        run.add(address, "read request units", times * reads / 1e6,
                "dynamodb_read_request_units")
    else:
        wcu = _number(module, resource.body, "write_capacity", resource, None)
        rcu = _number(module, resource.body, "read_capacity", resource, None)
        scaled = _autoscaled(run, module, resource,
                             f"table/{_text(module, resource, 'name', chr(0))}",
                             "dynamodb:table:")
        wcu = scaled.get("WriteCapacityUnits", wcu)
        rcu = scaled.get("ReadCapacityUnits", rcu)
        if wcu is None or rcu is None:
            run.missing(module, resource, "its read_capacity/write_capacity are decided "
                        "when Terraform runs")
            return
        run.add(address, "write capacity", times * wcu * run.hours, "dynamodb_wcu_hours")
        run.add(address, "read capacity", times * rcu * run.hours, "dynamodb_rcu_hours")
        for replica in _blocks(resource.body, "replica"):
            where = str(replica.get("region_name", ""))
            if not run.add(address, f"replicated write capacity ({where})",
                           times * wcu * run.hours, "dynamodb_replicated_wcu_hours",
                           region=where):
                run.missing(module, resource, f"replicated writes to {where} are not in "
                            "policies/pricing.yaml")
    storage = run.usage.of(address, "storage_gb", run.usage.assumption("table_storage_gb"))
    run.add(address, "storage", times * storage, "dynamodb_storage")


@prices("aws_elasticache_cluster")
def _elasticache_cluster(run: _Costing, module: Module, resource: Resource, address: str,
                         times: float) -> None:
    if "replication_group_id" in resource.body:
        return  # its nodes are priced on the replication group
    node_type = _text(module, resource, "node_type", "")
    nodes = _number(module, resource.body, "num_cache_nodes", resource, 1) or 1
    run.add_kind(module, resource, address, f"nodes ({node_type})", times * nodes * run.hours,
                 "elasticache_node_hours", node_type, "node type")


@prices("aws_elasticache_replication_group")
def _elasticache_group(run: _Costing, module: Module, resource: Resource, address: str,
                       times: float) -> None:
    node_type = _text(module, resource, "node_type", "")
    body = resource.body
    clusters = _number(module, body, "num_cache_clusters", resource, None) or \
        _number(module, body, "number_cache_clusters", resource, None)
    if clusters is None:
        groups = _number(module, body, "num_node_groups", resource, None)
        replicas = _number(module, body, "replicas_per_node_group", resource, 0) or 0
        scaled = _autoscaled(
            run, module, resource,
            f"replication-group/{_text(module, resource, 'replication_group_id', chr(0))}",
            "elasticache:replication-group:")
        groups = scaled.get("NodeGroups", groups)
        replicas = scaled.get("Replicas", replicas)
        clusters = groups * (replicas + 1) if groups else 1
    run.add_kind(module, resource, address, f"nodes ({node_type})",
                 times * clusters * run.hours, "elasticache_node_hours", node_type,
                 "node type")


@prices("aws_opensearch_domain", "aws_elasticsearch_domain")
def _opensearch(run: _Costing, module: Module, resource: Resource, address: str,
                times: float) -> None:
    config = (_blocks(resource.body, "cluster_config") or [{}])[0]

    def search_type(value: Any) -> str:
        return str(value).replace(".elasticsearch", ".search")

    instance_type = search_type(config.get("instance_type", "m4.large.search"))
    count = _number(module, config, "instance_count", resource, 1) or 1
    groups = [("instances", instance_type, count)]
    if config.get("dedicated_master_enabled") is True:
        groups.append(("dedicated masters",
                       search_type(config.get("dedicated_master_type", instance_type)),
                       _number(module, config, "dedicated_master_count", resource, 3) or 3))
    if config.get("warm_enabled") is True:
        groups.append(("UltraWarm", search_type(config.get("warm_type", "")),
                       _number(module, config, "warm_count", resource, 2) or 2))
    for item, kind, number in groups:
        if not run.add_kind(module, resource, address, f"{item} ({kind})",
                            times * number * run.hours, "opensearch_instance_hours", kind,
                            "instance type"):
            return
    ebs = (_blocks(resource.body, "ebs_options") or [{}])[0]
    if ebs.get("ebs_enabled", True) is not False and "volume_size" in ebs:
        kind = str(ebs.get("volume_type", "gp2"))
        size = _number(module, ebs, "volume_size", resource, 10) or 10
        _volume(run, address, "storage", size * count, kind,
                (_number(module, ebs, "iops", resource, 0) or 0), "opensearch_storage",
                "opensearch_iops", times=times)


S3_CLASSES = {  # infracost usage-file key -> storage class in policies/pricing.yaml
    "standard": "STANDARD",
    "standard_infrequent_access": "STANDARD_IA",
    "one_zone_infrequent_access": "ONEZONE_IA",
    "glacier_instant_retrieval": "GLACIER_IR",
    "glacier_flexible_retrieval": "GLACIER",
    "glacier_deep_archive": "DEEP_ARCHIVE",
}
S3_TIERING = {
    "frequent_access_storage_gb": "INTELLIGENT_TIERING",
    "infrequent_access_storage_gb": "STANDARD_IA",
    "archive_access_storage_gb": "GLACIER",
    "deep_archive_access_storage_gb": "DEEP_ARCHIVE",
}


@prices("aws_s3_bucket", usage=(
    *(f"{key}.storage_gb" for key in S3_CLASSES), "standard.monthly_tier_1_requests",
    "standard.monthly_tier_2_requests", *(f"intelligent_tiering.{key}" for key in S3_TIERING)))
def _s3_bucket(run: _Costing, module: Module, resource: Resource, address: str,
               times: float) -> None:
    given = run.usage.overrides.get(address, {})
    if not any(key in given for key in (*S3_CLASSES, "intelligent_tiering")):
        storage = run.usage.assumption("bucket_storage_gb") if run.usage.assume else 0.0
        run.add(address, "storage (STANDARD)", times * storage, "s3_storage", "STANDARD")
        return
    for key, storage_class in S3_CLASSES.items():
        found = given.get(key)
        figures: dict[str, Any] = found if isinstance(found, dict) else {}
        run.add(address, f"storage ({storage_class})",
                times * float(figures.get("storage_gb", 0) or 0), "s3_storage", storage_class)
        if key == "standard":
            run.add(address, "PUT, COPY, POST, LIST requests",
                    times * float(figures.get("monthly_tier_1_requests", 0) or 0) / 1e3,
                    "s3_write_requests")
            run.add(address, "GET and other requests",
                    times * float(figures.get("monthly_tier_2_requests", 0) or 0) / 1e3,
                    "s3_read_requests")
    tiering = given.get("intelligent_tiering")
    for key, storage_class in S3_TIERING.items():
        if isinstance(tiering, dict):
            run.add(address, f"intelligent-tiering storage ({key.split('_storage')[0]})",
                    times * float(tiering.get(key, 0) or 0), "s3_storage", storage_class)


@prices("aws_ecr_repository")
def _ecr(run: _Costing, module: Module, resource: Resource, address: str,
         times: float) -> None:
    storage = run.usage.assumption("image_storage_gb") if run.usage.assume else 0.0
    run.add(address, "image storage", times * storage, "ecr_storage")


# -- network ----------------------------------------------------------------------------------


@prices("aws_lb", "aws_alb")
def _load_balancer(run: _Costing, module: Module, resource: Resource, address: str,
                   times: float) -> None:
    kind = _text(module, resource, "load_balancer_type", "application")
    if not run.add_kind(module, resource, address, f"{kind} load balancer", times * run.hours,
                        "alb_hours", kind, "load balancer type"):
        return
    lcu = run.usage.assumption("lb_lcu") if run.usage.assume else 0.0
    run.add(address, "capacity units", times * lcu * run.hours, "alb_capacity_unit_hours",
            kind)


HOURLY_WITH_DATA = {  # type -> (what it is, its hourly price, its per-GB price)
    "aws_elb": ("classic load balancer", "classic_elb_hours", "classic_elb_data"),
    "aws_nat_gateway": ("NAT gateway", "nat_gateway_hours", "nat_gateway_data"),
}


@prices(*HOURLY_WITH_DATA, usage=("monthly_data_processed_gb",))
def _hourly_with_data(run: _Costing, module: Module, resource: Resource, address: str,
                      times: float) -> None:
    item, hourly, per_gb = HOURLY_WITH_DATA[resource.type]
    run.add(address, item, times * run.hours, hourly)
    run.add(address, "data processed", times * run.usage.of(
        address, "monthly_data_processed_gb", _response_gb(run)), per_gb)


def _response_gb(run: _Costing) -> float:
    if not run.usage.assume:
        return 0.0
    return run.usage.requests * run.usage.assumption("response_kb_per_request") / 1e6


@prices("aws_vpc_endpoint", usage=("monthly_data_processed_gb",))
def _vpc_endpoint(run: _Costing, module: Module, resource: Resource, address: str,
                  times: float) -> None:
    kind = _text(module, resource, "vpc_endpoint_type", "Gateway")
    if kind == "Gateway":
        return  # gateway endpoints (S3, DynamoDB) are free
    subnets = resource.body.get("subnet_ids")  # the count matters, not the ids
    zones = float(len(subnets)) if isinstance(subnets, list) and subnets else 1.0
    if not run.add_kind(module, resource, address, f"endpoint ({kind})",
                        times * zones * run.hours, "vpc_endpoint_hours", kind, "endpoint type"):
        return
    run.add(address, "data processed", times * run.usage.of(
        address, "monthly_data_processed_gb", 0), "vpc_endpoint_data", kind)


@prices("aws_cloudfront_distribution")
def _cloudfront(run: _Costing, module: Module, resource: Resource, address: str,
                times: float) -> None:
    requests = run.usage.requests
    gigabytes = requests * run.usage.assumption("page_kb_per_request") / 1e6 \
        if run.usage.assume else 0.0
    run.add(address, "data out", times * gigabytes, "cloudfront_transfer")
    run.add(address, "requests", times * requests / 1e4, "cloudfront_requests")
    certificate = (_blocks(resource.body, "viewer_certificate") or [{}])[0]
    if str(certificate.get("ssl_support_method", "")) == "vip":
        run.add(address, "dedicated IP custom SSL", times, "cloudfront_dedicated_ip_ssl")


@prices("aws_apigatewayv2_api", usage=("monthly_requests", "monthly_messages",
                                       "monthly_connection_mins", "request_size_kb",
                                       "message_size_kb"))
def _http_api(run: _Costing, module: Module, resource: Resource, address: str,
              times: float) -> None:
    if _text(module, resource, "protocol_type", "HTTP").upper() == "WEBSOCKET":
        # metered in 32 KB steps
        steps = math.ceil(max(run.usage.of(address, "message_size_kb", 32), 1) / 32)
        messages = run.usage.of(address, "monthly_messages", run.usage.requests) * steps
        minutes = run.usage.of(address, "monthly_connection_mins", 0)
        run.add(address, "messages", times * messages / 1e6, "websocket_messages")
        run.add(address, "connection minutes", times * minutes / 1e6,
                "websocket_connection_minutes")
        return
    steps = math.ceil(max(run.usage.of(address, "request_size_kb", 512), 1) / 512)  # 512 KB
    run.add(address, "requests", times * run.usage.monthly_requests(address) * steps / 1e6,
            "http_api_requests")


@prices("aws_api_gateway_rest_api", usage=("monthly_requests",))
def _rest_api(run: _Costing, module: Module, resource: Resource, address: str,
              times: float) -> None:
    run.add(address, "requests", times * run.usage.monthly_requests(address) / 1e6,
            "rest_api_requests")


@prices("aws_route53_zone")
def _route53_zone(run: _Costing, module: Module, resource: Resource, address: str,
                  times: float) -> None:
    run.add(address, "hosted zone", times, "route53_zone")


@prices("aws_route53_record", usage=("monthly_standard_queries",
                                     "monthly_latency_based_queries", "monthly_geo_queries"))
def _route53_record(run: _Costing, module: Module, resource: Resource, address: str,
                    times: float) -> None:
    if "alias" in resource.body and not run.usage.overrides.get(address):
        return  # queries to alias records of AWS resources are free
    default = run.usage.requests * run.usage.assumption("dns_queries_per_request") \
        if run.usage.assume else 0.0
    for key, kind in (("monthly_standard_queries", "simple"),
                      ("monthly_latency_based_queries", "latency"),
                      ("monthly_geo_queries", "geolocation")):
        queries = run.usage.of(address, key, default if kind == "simple" else 0)
        run.add(address, f"{kind} queries", times * queries / 1e6, "route53_queries", kind)


# -- security, monitoring, integration -----------------------------------------------------


@prices("aws_kms_key", "aws_kms_external_key", "aws_kms_replica_key",
        usage=("monthly_requests",))
def _kms_key(run: _Costing, module: Module, resource: Resource, address: str,
             times: float) -> None:
    run.add(address, "key", times, "kms_key")
    requests = run.usage.of(address, "monthly_requests", run.usage.requests *
                            run.usage.assumption("kms_requests_per_request")
                            if run.usage.assume else 0)
    run.add(address, "requests", times * requests / 1e4, "kms_requests")


@prices("aws_secretsmanager_secret", usage=("monthly_requests",))
def _secret(run: _Costing, module: Module, resource: Resource, address: str,
            times: float) -> None:
    run.add(address, "secret", times, "secret")
    requests = run.usage.of(address, "monthly_requests",
                            run.usage.assumption("secret_reads_per_month"))
    run.add(address, "API calls", times * requests / 1e4, "secret_requests")


@prices("aws_ssm_parameter", usage=("parameter_storage_hrs", "monthly_api_interactions",
                                    "api_throughput_limit"))
def _ssm_parameter(run: _Costing, module: Module, resource: Resource, address: str,
                   times: float) -> None:
    if _text(module, resource, "tier", "Standard") != "Advanced":
        return  # standard parameters and their standard throughput are free
    hours = run.usage.of(address, "parameter_storage_hrs", run.hours)
    run.add(address, "advanced parameter", times * hours / run.hours, "ssm_advanced_parameter")
    interactions = run.usage.of(address, "monthly_api_interactions", 0)
    run.add(address, "API interactions", times * interactions / 1e4, "secret_requests")


@prices("aws_cloudwatch_log_group", usage=("monthly_data_ingested_gb", "storage_gb",
                                           "monthly_data_scanned_gb"))
def _log_group(run: _Costing, module: Module, resource: Resource, address: str,
               times: float) -> None:
    ingested = run.usage.of(address, "monthly_data_ingested_gb", run.usage.requests *
                            run.usage.assumption("log_kb_per_request") / 1e6
                            if run.usage.assume else 0)
    run.add(address, "log ingestion", times * ingested, "log_ingestion")
    run.add(address, "log storage", times * run.usage.of(address, "storage_gb", 0),
            "log_storage")
    run.add(address, "Logs Insights scanned", times * run.usage.of(
        address, "monthly_data_scanned_gb", 0), "log_insights_scanned")


@prices("aws_cloudwatch_metric_alarm")
def _alarm(run: _Costing, module: Module, resource: Resource, address: str,
           times: float) -> None:
    queries = _blocks(resource.body, "metric_query")
    metrics = sum(1 for query in queries if _blocks(query, "metric")) or 1
    periods = [_number(module, resource.body, "period", resource, 60) or 60] + [
        _number(module, block, "period", resource, 60) or 60
        for query in queries for block in _blocks(query, "metric")]
    resolution = "high" if min(periods) < 60 else "standard"
    if "ANOMALY_DETECTION_BAND" in str(queries):
        metrics *= 3
    run.add(address, f"alarm metrics ({resolution} resolution)", times * metrics,
            "alarm_metrics", resolution)


@prices("aws_cloudwatch_dashboard")
def _dashboard(run: _Costing, module: Module, resource: Resource, address: str,
               times: float) -> None:
    run.add(address, "dashboard", times, "dashboard")


@prices("aws_sqs_queue", usage=("monthly_requests", "request_size_kb"))
def _sqs(run: _Costing, module: Module, resource: Resource, address: str,
         times: float) -> None:
    kind = "fifo" if _value(module, resource, "fifo_queue", False) is True else "standard"
    # each message is sent, received and deleted: three requests
    requests = run.usage.of(address, "monthly_requests", 3 * run.usage.requests *
                            run.usage.assumption("messages_per_request")
                            if run.usage.assume else 0)
    chunks = math.ceil(max(run.usage.of(address, "request_size_kb", 64), 1) / 64)  # 64 KB each
    run.add(address, f"requests ({kind})", times * requests * chunks / 1e6, "sqs_requests",
            kind)


@prices("aws_sns_topic", usage=("monthly_requests",))
def _sns(run: _Costing, module: Module, resource: Resource, address: str,
         times: float) -> None:
    kind = "fifo" if _value(module, resource, "fifo_topic", False) is True else "standard"
    requests = run.usage.of(address, "monthly_requests", run.usage.requests *
                            run.usage.assumption("messages_per_request")
                            if run.usage.assume else 0)
    run.add(address, f"publishes ({kind})", times * requests / 1e6, "sns_requests", kind)


@prices("aws_cloudwatch_event_bus", usage=("monthly_custom_events",))
def _event_bus(run: _Costing, module: Module, resource: Resource, address: str,
               times: float) -> None:
    events = run.usage.of(address, "monthly_custom_events", run.usage.requests *
                          run.usage.assumption("messages_per_request")
                          if run.usage.assume else 0)
    run.add(address, "custom events", times * events / 1e6, "eventbridge_events")


@prices("aws_scheduler_schedule")
def _schedule(run: _Costing, module: Module, resource: Resource, address: str,
              times: float) -> None:
    expression = _text(module, resource, "schedule_expression", "")
    per_month = _runs_per_month(expression, run.hours)
    if per_month is None:
        run.missing(module, resource, f"the schedule {expression or '(unknown)'} is not one "
                    "microgate can count")
        return
    run.add(address, "invocations", times * per_month / 1e6, "scheduler_invocations")


def _runs_per_month(expression: str, hours: float) -> float | None:
    """How often an EventBridge schedule fires in a month: rate(), at(), or cron() with
    minutes, hours, days of the month and days of the week counted."""
    expression = expression.strip()
    match = re.fullmatch(r"rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)", expression)
    if match:
        every = float(match.group(1)) * {"m": 1 / 60, "h": 1, "d": 24}[match.group(2)[0]]
        return hours / every
    if expression.startswith("at("):
        return 1.0
    match = re.fullmatch(r"cron\((.+)\)", expression)
    fields = match.group(1).split() if match else []
    if len(fields) != 6:
        return None
    minute, hour, day, _, weekday, _ = fields
    per_day = _cron_count(minute, 60) * _cron_count(hour, 24)
    days_in_month = hours / 24
    if weekday not in ("*", "?"):
        days = _cron_count(weekday.upper(), 7, names=WEEKDAYS) * days_in_month / 7
    elif day not in ("*", "?"):
        days = _cron_count(day, 31) if not day.endswith(("L", "W")) else 1.0
    else:
        days = days_in_month
    return per_day * days


WEEKDAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


def _cron_count(field: str, size: int, names: dict[str, int] | None = None) -> float:
    """How many values one cron field allows: *, */n, a-b, a,b,c, a#n."""
    count = 0.0
    for part in field.split(","):
        if part in ("*", "?"):
            return float(size)
        step = re.fullmatch(r"(\*|\d+)/(\d+)", part)
        if step:
            count += size / max(int(step.group(2)), 1)
            continue
        span = re.fullmatch(r"(\w+)-(\w+)", part)
        if span:
            low, high = (_cron_value(value, names) for value in span.groups())
            count += max(high - low + 1, 1)
        elif "#" in part:  # the n-th such weekday: once a month, about 1 week in 4.35
            count += 1 / 4.35
        else:
            count += 1.0
    return count


def _cron_value(value: str, names: dict[str, int] | None) -> int:
    if value.isdigit():
        return int(value)
    return (names or {}).get(value, 0)


@prices("aws_sfn_state_machine", usage=("monthly_transitions", "monthly_requests",
                                        "workflow_duration_ms", "memory_mb"))
def _step_functions(run: _Costing, module: Module, resource: Resource, address: str,
                    times: float) -> None:
    if _text(module, resource, "type", "STANDARD").upper() == "EXPRESS":
        requests = run.usage.of(address, "monthly_requests", run.usage.requests)
        # billed in 100 ms and 64 MB steps
        duration = math.ceil(run.usage.of(address, "workflow_duration_ms", 0) / 100) / 10
        memory_gb = max(64, math.ceil(run.usage.of(address, "memory_mb", 64) / 64) * 64) / 1024
        run.add(address, "requests", times * requests / 1e6, "sfn_express_requests")
        run.add(address, "duration", times * requests * duration * memory_gb / 3600,
                "sfn_express_gb_hours")
        return
    transitions = run.usage.of(address, "monthly_transitions", run.usage.requests *
                               run.usage.assumption("transitions_per_execution")
                               if run.usage.assume else 0)
    run.add(address, "state transitions", times * transitions / 1e3, "sfn_transitions")


def _scheduled_requests(run: _Costing, found: list[tuple[Module, Resource]]) -> None:
    """A Lambda a schedule runs is called as often as the schedule fires, not by the
    traffic: recorded as its usage (unless a usage file gives it)."""
    for module, resource in found:
        if resource.type != "aws_scheduler_schedule":
            continue
        runs = _runs_per_month(_text(module, resource, "schedule_expression", ""), run.hours)
        target = str(resource.body.get("target", ""))
        function = _referenced(module, target, "aws_lambda_function")
        alias = _referenced(module, target, "aws_lambda_alias")
        if function is None and alias is not None:
            function = _referenced(module, alias.body.get("function_name"),
                                   "aws_lambda_function")
        if function is None or runs is None:
            continue
        address = module.address_of(function)
        figures = run.usage.overrides.setdefault(address, {})
        figures.setdefault("monthly_requests", runs)
        if run.usage.assume:
            run.result.assumptions.append(
                f"{address}: run by its schedule, {runs:,.0f} times a month")


# -- the estimate ---------------------------------------------------------------------------


def _data_transfer(run: _Costing, root: Module, found: list[tuple[Module, Resource]]) -> None:
    """Responses served to the internet from the region (CloudFront's are priced on it)."""
    serving = {"aws_apigatewayv2_api", "aws_api_gateway_rest_api", "aws_lb", "aws_alb",
               "aws_elb", "aws_lambda_function_url", "aws_instance", "aws_apprunner_service"}
    if not run.usage.assume or not any(r.type in serving for _, r in found):
        return
    run.add(root.address or "(the app)", "data transfer out", _response_gb(run),
            "data_transfer_out")


def estimate(infra: Path, *, traffic: str, region: str,
             usage: dict[str, dict[str, Any]] | None = None, assume: bool = True,
             boundary: Path | None = None) -> Estimate:
    """The monthly cost of the root module in ``infra`` and the local modules it calls."""
    return estimate_module(load_module(infra, boundary=boundary), traffic=traffic,
                           region=region, usage=usage, assume=assume)


MAX_PLAN_BYTES = 20_000_000


def load_plan(path: Path) -> Module:
    """The resources of a Terraform plan (``terraform show -json PLAN``), as the modules
    the estimate prices: every value is the one Terraform computed, read as a literal."""
    try:
        if path.stat().st_size > MAX_PLAN_BYTES:
            raise MicrogateError(f"{path}: over {MAX_PLAN_BYTES // 1_000_000} MB, not read")
        import json

        plan = json.loads(path.read_bytes())
        root = plan["planned_values"]["root_module"]
        if not isinstance(root, dict):
            raise TypeError
    except OSError as exc:
        raise MicrogateError(f"{path}: cannot read the plan: {exc.strerror}") from None
    except (ValueError, RecursionError, KeyError, TypeError):
        raise MicrogateError(f"{path}: not a Terraform plan in JSON (make it with "
                             "'terraform show -json plan.tfplan')") from None
    return _plan_module(root, "", path, 0)


def _literal(value: Any) -> Any:
    """A plan's value as the literal it is: a "${" in a string is text, never evaluated."""
    if isinstance(value, str):
        return value.replace("${", "$${").replace("%{", "%%{")
    if isinstance(value, list):
        return [_literal(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _literal(item) for key, item in value.items()}
    return value


def _plan_module(data: dict[str, Any], address: str, path: Path, depth: int) -> Module:
    if depth > 50:
        raise MicrogateError(f"{path}: modules nested over 50 deep, not read")
    resources = []
    for item in data.get("resources") or []:
        if not isinstance(item, dict) or item.get("mode", "managed") != "managed":
            continue
        name, index = str(item.get("name", "")), item.get("index")
        if index is not None:
            name += f'["{index}"]' if isinstance(index, str) else f"[{index}]"
        values = item.get("values")
        resources.append(Resource(str(item.get("type", "")), name,
                                  _literal(values) if isinstance(values, dict) else {},
                                  path, None))
    children = [_plan_module(child, str(child.get("address", "")), path, depth + 1)
                for child in data.get("child_modules") or [] if isinstance(child, dict)]
    return Module(folder=path.parent, address=address, settings={}, locals={}, count=1.0,
                  resources=resources, children=children, errors=[], notes=[],
                  boundary=path.parent)


def estimate_module(root: Module, *, traffic: str, region: str,
                    usage: dict[str, dict[str, Any]] | None = None,
                    assume: bool = True) -> Estimate:
    """The monthly cost of ``root`` and the modules it calls."""
    table = pricing()
    result = Estimate(region, price_date=str(table["prices"]["lambda_requests"].get(
        "date", "")))
    usage = dict(usage or {})
    run = _Costing(Pricer(table, region, result.notes), Usage(table, traffic, usage, assume),
                   result, float(table["hours_per_month"]))
    free = set(table["free"])
    free_providers = {f"{name}_" for name in table.get("free_providers", [])}
    found: list[tuple[Module, Resource]] = []
    for module in root.walk():
        result.notes += module.notes
        for path, _, message in module.errors:
            result.unpriced.append(Unpriced(str(path.name), "unreadable Terraform", message,
                                            path, None))
        for resource in module.resources:
            found.append((module, resource))
    _scheduled_requests(run, found)
    services_tasks = 0.0
    for module, resource in found:
        times, note = module.multiplier(resource)
        if note:
            result.notes.append(note)
        times *= module.count
        if resource.type in free or times <= 0 or resource.type.startswith(
                tuple(free_providers)):
            continue
        if not resource.type.startswith("aws_"):
            run.missing(module, resource, "only AWS resources are priced")
            continue
        pricer = PRICERS.get(resource.type)
        address = module.address_of(resource)
        if pricer is None:
            run.missing(module, resource, "no price in policies/pricing.yaml")
            continue
        instances = module.instances(resource)
        if instances is None:
            pricer(run, module, resource, address, times)
        else:  # each instance reads its own each.value
            for suffix, scope in instances:
                pricer(run, scope, resource, address + suffix, module.count)
        if resource.type == "aws_ecs_service":
            services_tasks += times * (_number(module, resource.body, "desired_count",
                                               resource, 1) or 0)
    for module, resource in found:
        if resource.type == "aws_ecs_cluster" and "containerInsights" in str(resource.body):
            run.add(module.address_of(resource), "container insights",
                    max(services_tasks, 1) * 0.5, "ecs_container_insights")
    _data_transfer(run, root, found)
    result.assumptions[:0] = run.usage.describe()
    return result


# -- LLM calls ---------------------------------------------------------------------------


class LlmUse(FrozenRecord):
    """What an LLM connector in microapp.yaml declares."""

    __slots__ = ("name", "model", "calls_per_month", "input_tokens_per_call",
                 "output_tokens_per_call")

    def __init__(self, name: str, model: str | None, calls_per_month: float | None,
                 input_tokens_per_call: float | None,
                 output_tokens_per_call: float | None) -> None:
        self.name = name
        self.model = model
        self.calls_per_month = calls_per_month
        self.input_tokens_per_call = input_tokens_per_call
        self.output_tokens_per_call = output_tokens_per_call


def model_prices(model: str) -> tuple[float, float] | None:
    """(input, output) USD per 1M tokens for a model id: the longest key it starts with."""
    table = pricing()["llm_models"]["prices"]
    matches = [key for key in table if model == key or model.startswith(f"{key}-")]
    if not matches:
        return None
    entry = table[max(matches, key=len)]
    return float(entry["input"]), float(entry["output"])


def add_llm_spend(result: Estimate, uses: Iterable[LlmUse]) -> None:
    for use in uses:
        address = f"llm.{use.name}"
        if not use.model or use.calls_per_month is None or \
                use.input_tokens_per_call is None or use.output_tokens_per_call is None:
            result.unpriced.append(Unpriced(
                address, "llm", "declare model, calls_per_month, "
                "input_tokens_per_call and output_tokens_per_call in microapp.yaml"))
            continue
        found = model_prices(use.model)
        if found is None:
            result.unpriced.append(Unpriced(address, "llm",
                                            f"model {use.model} has no price in "
                                            "policies/pricing.yaml"))
            continue
        input_price, output_price = found
        calls = use.calls_per_month
        result.lines.append(CostLine(address, f"{use.model} input",
                                     calls * use.input_tokens_per_call / 1e6,
                                     "1M tokens", input_price))
        result.lines.append(CostLine(address, f"{use.model} output",
                                     calls * use.output_tokens_per_call / 1e6,
                                     "1M tokens", output_price))
        result.assumptions.append(
            f"{use.name}: {calls:,.0f} calls a month, {use.input_tokens_per_call:,.0f} "
            f"tokens in and {use.output_tokens_per_call:,.0f} out a call (microapp.yaml)")


def cost_of_call(model: str, input_tokens: float, output_tokens: float) -> float | None:
    found = model_prices(model)
    if found is None:
        return None
    return (input_tokens * found[0] + output_tokens * found[1]) / 1e6
