"""`microgate fleet report --html`: one static page a manager can open, no scripts, no
network: counts, cost against budget as an SVG bar chart, expiry, template drift, risk."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from html import escape
from pathlib import Path

from packaging.version import InvalidVersion, Version

from scaffold.platform.fleet import NEAR_EXPIRY_DAYS, AppRow

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1f2933}
h1{margin-bottom:.2rem} .meta{color:#616e7c;margin-top:0}
.cards{display:flex;gap:1rem;flex-wrap:wrap} .card{border:1px solid #d9e2ec;border-radius:8px;
padding:.8rem 1.2rem;min-width:9rem} .card b{font-size:1.8rem;display:block}
table{border-collapse:collapse;margin:.5rem 0 1.5rem} th,td{text-align:left;padding:.25rem .8rem;
border-bottom:1px solid #e4e7eb} th{background:#f5f7fa}
.over{color:#ba2525;font-weight:600} .warn{color:#b44d12}
"""


def _version(text: str) -> Version | None:
    try:
        return Version(text.removeprefix("v"))
    except InvalidVersion:
        return None


def current_version(rows: list[AppRow], given: str | None = None) -> str:
    if given:
        return given
    versions = [(v, row.template_version) for row in rows
                if (v := _version(row.template_version)) is not None]
    return max(versions)[1] if versions else ""


def behind(rows: list[AppRow], current: str) -> list[AppRow]:
    target = _version(current)
    if target is None:
        return []
    return [row for row in rows if row.ok and (v := _version(row.template_version)) is not None
            and v < target]


def _counts(title: str, counter: Counter[str]) -> str:
    cells = "".join(f"<tr><td>{escape(key)}</td><td>{value}</td></tr>"
                    for key, value in sorted(counter.items()))
    return f"<table><tr><th>{escape(title)}</th><th>apps</th></tr>{cells}</table>"


def _money(value: float) -> str:
    return f"${value:,.2f}" if value < 100 else f"${value:,.0f}"


def cost_chart(rows: list[AppRow]) -> str:
    """One bar per app: its estimated monthly cost as a share of its budget; the line is
    the budget (100%), red bars are over it."""
    priced = [r for r in rows if r.ok and r.cost_usd is not None and r.budget_usd]
    if not priced:
        return "<p>No app has an estimate.</p>"

    def share(row: AppRow) -> float:
        return (row.cost_usd or 0) / (row.budget_usd or 1)

    priced.sort(key=lambda r: (-share(r), r.name))
    label_width, bar_width, row_height = 180, 520, 22
    scale = max(1.0, max(share(r) for r in priced)) * 1.05
    budget_x = label_width + bar_width / scale
    height = row_height * len(priced) + 40
    parts = [f'<svg id="cost-chart" role="img" xmlns="http://www.w3.org/2000/svg" '
             f'width="{label_width + bar_width + 200}" height="{height}" '
             'aria-label="Estimated monthly cost as a share of the budget, per app">',
             f'<text x="{budget_x:.1f}" y="12" text-anchor="middle" font-size="11">budget'
             '</text>']
    for index, row in enumerate(priced):
        y = 20 + index * row_height
        cost, budget = row.cost_usd or 0, row.budget_usd or 0
        width = max(2.0, bar_width * share(row) / scale)
        colour = "#d64545" if cost > budget else "#3e7cb1"
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 14}" text-anchor="end" font-size="12">'
            f'{escape(row.name)}</text>'
            f'<rect class="bar" x="{label_width}" y="{y + 3}" width="{width:.1f}" height="14" '
            f'fill="{colour}"><title>{escape(row.name)}: {_money(cost)} of {_money(budget)}'
            f'</title></rect>'
            f'<text x="{label_width + bar_width + 8}" y="{y + 14}" font-size="12">'
            f'{_money(cost)} of {_money(budget)} ({share(row):.0%})</text>')
    parts.append(f'<line x1="{budget_x:.1f}" x2="{budget_x:.1f}" y1="16" y2="{height}" '
                 'stroke="#1f2933" stroke-width="2" stroke-dasharray="4 3"/>')
    parts.append("</svg>")
    return "".join(parts)


def render_html(rows: list[AppRow], current: str, today: dt.date | None = None) -> str:
    today = today or dt.date.today()
    good = [r for r in rows if r.ok]
    broken = [r for r in rows if not r.ok]
    late = sorted((r for r in good if r.days_left is not None
                   and r.days_left < NEAR_EXPIRY_DAYS), key=lambda r: r.days_left or 0)
    old = behind(rows, current)
    over = [r for r in good if r.cost_usd is not None and r.budget_usd is not None
            and r.cost_usd > r.budget_usd]
    cards = [("apps", len(rows)), ("over budget", len(over)), ("past expiry",
             sum(1 for r in late if (r.days_left or 0) < 0)),
             ("behind template", len(old)), ("unreadable", len(broken))]
    html = [
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<title>Micro-app fleet</title>", f"<style>{STYLE}</style></head><body>",
        "<h1>Micro-app fleet</h1>",
        f"<p class=\"meta\">{len(rows)} apps on {today.isoformat()}; current template "
        f"{escape(current or 'unknown')}</p>",
        "<div class=\"cards\">" + "".join(
            f"<div class=\"card\"><b>{value}</b>{escape(label)}</div>" for label, value in cards)
        + "</div>",
        "<h2>By tier and runtime</h2><div class=\"cards\">",
        _counts("tier", Counter(f"tier {r.tier}" for r in good)),
        _counts("runtime", Counter(r.runtime for r in good)),
        _counts("risk (as described)", Counter(r.risk or "unknown" for r in good)),
        "</div>",
        "<h2>Estimated monthly cost against budget</h2>", cost_chart(rows),
        f"<h2>Past or near expiry (within {NEAR_EXPIRY_DAYS} days)</h2>",
    ]
    if late:
        html.append("<table><tr><th>app</th><th>owner</th><th>expires</th><th>days</th></tr>"
                    + "".join(
                        f"<tr><td>{escape(r.name)}</td><td>{escape(r.owner)}</td>"
                        f"<td>{escape(r.expires)}</td><td class=\""
                        f"{'over' if (r.days_left or 0) < 0 else 'warn'}\">{r.days_left}"
                        "</td></tr>" for r in late) + "</table>")
    else:
        html.append("<p>None.</p>")
    html.append(f"<h2>Behind the current template ({escape(current or 'unknown')})</h2>")
    html.append("<table><tr><th>app</th><th>template</th></tr>" + "".join(
        f"<tr><td>{escape(r.name)}</td><td>{escape(r.template_version)}</td></tr>"
        for r in sorted(old, key=lambda r: r.name)) + "</table>" if old else "<p>None.</p>")
    html.append("<h2>Every app</h2><table><tr><th>app</th><th>owner</th><th>tier</th>"
                "<th>runtime</th><th>cost</th><th>budget</th><th>expires</th>"
                "<th>template</th><th>last check</th><th>risk</th></tr>")
    for r in good:
        cost = "-" if r.cost_usd is None else f"${r.cost_usd:,.2f}"
        html.append(f"<tr><td>{escape(r.name)}</td><td>{escape(r.owner)}</td><td>{r.tier}</td>"
                    f"<td>{escape(r.runtime)}</td><td>{cost}</td><td>{_money(r.budget_usd or 0)}"
                    f"</td><td>{escape(r.expires)}</td><td>{escape(r.template_version)}</td>"
                    f"<td>{escape(r.last_check)}</td><td>{escape(r.risk)}</td></tr>")
    html.append("</table>")
    if broken:
        html.append("<h2>Unreadable repos</h2><table><tr><th>folder</th><th>problem</th></tr>"
                    + "".join(f"<tr><td>{escape(r.path)}</td><td>{escape(r.problem)}</td></tr>"
                              for r in broken) + "</table>")
    html.append("</body></html>\n")
    return "\n".join(html)


def write_report(rows: list[AppRow], output: Path, current: str | None = None) -> str:
    version = current_version(rows, current)
    output.write_text(render_html(rows, version), encoding="utf-8")
    return version
