"""The run report: grade and value-class distribution, grade migration, limit changes, exposure, queue.

Aggregates stream over the run's rows (memory does not grow with the portfolio); the page is one
self-contained HTML file with inline SVG charts, and a CSV holds one line per customer.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import DictLoader, Environment, select_autoescape
from sqlalchemy import Connection, Engine, func, select

from adapters.batch import charts, runs
from adapters.batch import tables as t
from adapters.batch.files import make_private_folder, spreadsheet_safe, written_whole
from adapters.batch.report_template import TEMPLATE
from adapters.batch.report_totals import LIMIT_BANDS, Totals
from adapters.batch.scan import portfolio_summary
from adapters.batch.workqueue import CATEGORIES, category_of
from adapters.store import schema as s
from policy_engine.domain.values import GRADE_RANK, GRADES

CSV_COLUMNS = ("customer_id", "status", "prev_grade", "grade", "grade_class", "prev_value_class", "value_class",
               "score", "prev_limit", "credit_limit", "limit_change", "exposure", "currency", "next_review_on",
               "review_rule", "error")  # fmt: skip
ZERO = Decimal(0)


def _rows(conn: Connection, run_id: str) -> Any:
    r = t.batch_results
    query = select(r).where(r.c.run_id == run_id).order_by(r.c.customer_id)
    return conn.execute(query.execution_options(yield_per=5000))


def _queue_counts(conn: Connection, run_id: str, day: Any) -> dict[str, int]:
    a = t.batch_actions
    counts: Counter[str] = Counter()
    query = select(a.c.code, a.c.severity, func.count()).where(a.c.run_id == run_id, a.c.due_on <= day)
    for code, severity, n in conn.execute(query.group_by(a.c.code, a.c.severity)):
        counts[category_of(code, severity)] += n
    p = t.batch_portfolio
    counts["give_up_review"] = conn.execute(
        select(func.count()).where(p.c.run_id == run_id, p.c.give_up.is_(True))
    ).scalar_one()
    return {c: counts.get(c, 0) for c in CATEGORIES}


def sales_rows(portfolio: dict[str, Any]) -> list[dict[str, Any]]:
    """The portfolio pass's figures per currency (a run from before they were kept: its one total)."""
    if "by_currency" in portfolio:
        return list(portfolio["by_currency"])
    return [{"currency": None, "customers": portfolio.get("customers", 0),
             "total_sales": portfolio.get("total_sales", "0"), "classes": portfolio.get("classes", {})}]  # fmt: skip


def _abc_curve(conn: Connection, run_id: str, portfolio: dict[str, Any]) -> tuple[list[tuple[float, float]], Any]:
    """Cumulative share of sales at every 1% of customers, best-selling first, and its currency: with
    several, the curve of the currency with the most customers (each currency is ranked on its own)."""
    rows = sales_rows(portfolio)
    row = max(rows, key=lambda r: (r["customers"], r["currency"] or ""))  # sales_rows gives one at least
    customers, total = row["customers"], Decimal(row["total_sales"] or "0")
    if not customers or total <= 0:
        return [], None
    p, c = t.batch_portfolio, s.customers
    step, running, points = max(customers // 100, 1), ZERO, []
    query = select(p.c.sales).where(p.c.run_id == run_id).order_by(p.c.sales_key.desc(), p.c.customer_id)
    if len(rows) > 1:
        query = query.join(c, c.c.customer_id == p.c.customer_id).where(c.c.currency == row["currency"])
    for i, sales in enumerate(conn.execute(query.execution_options(yield_per=10_000)).scalars(), start=1):
        running += sales
        if i % step == 0 or i == customers:
            points.append((i / customers, float(running / total)))
    return points, row["currency"] if len(rows) > 1 else None


def build_report(engine: Engine, run_id: str) -> dict[str, Any]:
    """Everything the report shows, as plain data."""
    with engine.connect() as conn:
        info = runs.run_info(conn, run_id)
        portfolio = portfolio_summary(conn, run_id) or {}
        totals = Totals()
        for row in _rows(conn, run_id):
            totals.add(dict(row._mapping))
        day = info["as_of"]
        queue = _queue_counts(conn, run_id, day)
        curve, curve_currency = _abc_curve(conn, run_id, portfolio)
    return {"info": info, "portfolio": portfolio, "totals": totals, "queue": queue, "curve": curve,
            "curve_currency": curve_currency, "generated_at": datetime.now(UTC)}  # fmt: skip


def _money(value: Any) -> str:
    if value is None or value == "":
        return "–"
    return f"{Decimal(value):,.0f}"


def _charts(data: dict[str, Any]) -> dict[str, str]:
    totals: Totals = data["totals"]
    prev_order = [*GRADES]
    grade_chart = charts.grouped_bars(
        GRADES, [("previous", [totals.prev_grades.get(g, 0) for g in prev_order], "#cbd5e1"),
                 ("this run", [totals.grades.get(g, 0) for g in GRADES], "#2563eb")],
        title="customers by grade",
    )  # fmt: skip
    value_chart = _value_chart(sales_rows(data["portfolio"]))
    several = len(totals.money) > 1
    exposure_rows = [(f"{name} class {k}" + (f" ({cur})" if several else ""), [float(e[1]), float(e[2])])
                     for cur in totals.currencies for name, table in (("grade", "by_grade_class"),
                                                                      ("value", "by_value_class"))
                     for k in "ABC" if (e := getattr(totals.money[cur], table).get(k))]  # fmt: skip
    exposure_chart = charts.horizontal_bars(exposure_rows, [("exposure", "#dc2626"), ("credit limit", "#2563eb")],
                                            title="exposure and limits by class")  # fmt: skip
    band_counts = [totals.bands.get(b, 0) for b in LIMIT_BANDS]
    bands_chart = charts.grouped_bars([b.replace("unchanged", "same") for b in LIMIT_BANDS],
                                      [("customers", band_counts, "#7c3aed")], width=720, title="limit changes")
    cutoffs = data["portfolio"].get("cutoffs", {})
    labels = (("a_cumulative", "A"), ("b_cumulative", "A+B"))
    marks = [(float(cutoffs[k]), f"{label} {float(cutoffs[k]):.0%}") for k, label in labels if k in cutoffs]
    curve = charts.curve(data["curve"], marks, title="ABC curve")
    return {"grades": grade_chart, "value": value_chart, "exposure": exposure_chart, "bands": bands_chart,
            "curve": curve}  # fmt: skip


SALES_COLOURS = ("#16a34a", "#0891b2", "#ca8a04", "#9333ea", "#db2777")


def _value_chart(rows: list[dict[str, Any]]) -> str:
    """Share of customers per class across the book; share of sales per class within each currency
    (one series each: a share of yuan and dollars added together would mean nothing)."""
    customers = sum(r["customers"] for r in rows) or 1
    series = [("share of customers %", [100 * sum(r["classes"].get(k, {}).get("customers", 0) for r in rows)
                                        / customers for k in "ABC"], "#94a3b8")]  # fmt: skip
    for i, row in enumerate(rows):
        total = Decimal(row["total_sales"]) or Decimal(1)
        label = "share of sales %" + (f" ({row['currency']})" if len(rows) > 1 else "")
        shares = [float(100 * Decimal(row["classes"].get(k, {}).get("sales") or "0") / total) for k in "ABC"]
        series.append((label, shares, SALES_COLOURS[i % len(SALES_COLOURS)]))
    return charts.grouped_bars(["A", "B", "C"], series, title="value classes")


def _heat(count: int, peak: int) -> str:
    if not count:
        return ""
    alpha = 0.12 + 0.78 * count / peak if peak else 0
    return f"background: rgba(37, 99, 235, {alpha:.2f}); color: {'#fff' if alpha > 0.5 else '#0f172a'}"


def render_html(data: dict[str, Any]) -> str:
    """The report page."""
    env = Environment(loader=DictLoader({"report.html": TEMPLATE}), autoescape=select_autoescape(["html"]))
    env.filters["money"] = _money
    totals: Totals = data["totals"]
    env.filters["prev_count"] = lambda grade: totals.prev_grades.get(grade, 0)
    prev_rows = [g for g in ("new", *GRADES) if totals.prev_grades.get(g)]
    peak = max((n for row in totals.migration.values() for n in row.values()), default=0)
    return env.get_template("report.html").render(
        **data, charts=_charts(data), grades=GRADES, prev_rows=prev_rows, peak=peak, heat=_heat,
        categories=CATEGORIES, rank=GRADE_RANK, bands=LIMIT_BANDS, currencies=totals.currencies,
        sales_rows=sales_rows(data["portfolio"]), ranking_groups=ranking_groups,
        classes={k: [g for g in GRADES if g[0] == k] for k in "ABC"},
    )


def ranking_groups(entries: list[dict[str, Any]]) -> list[tuple[str | None, list[dict[str, Any]]]]:
    """A ranking by an amount (sales) split by currency: each currency's top N in turn, as the portfolio
    pass keeps it; one group, its currency None, when there is one (or the run predates the split)."""
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for entry in entries:
        groups.setdefault(entry.get("currency"), []).append(entry)
    return list(groups.items()) if len(groups) > 1 else [(None, entries)]


def write_csv(engine: Engine, run_id: str, path: Path) -> int:
    """One line per customer of the run; returns how many."""
    n = 0
    with engine.connect() as conn, written_whole(path, newline="") as out:  # new: 0600 (files.PRIVATE_FILE)
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in _rows(conn, run_id):
            writer.writerow(csv_row(dict(row._mapping)))
            n += 1
    return n


def csv_row(item: dict[str, Any]) -> dict[str, Any]:
    """One customer's CSV line: its limit change, and text from the records (the id, an error that may quote
    a value) made spreadsheet-safe."""
    if item["credit_limit"] is not None:
        item["limit_change"] = item["credit_limit"] - (item["prev_limit"] or ZERO)
    return {**item, **{c: spreadsheet_safe(item[c]) for c in ("customer_id", "error") if c in item}}


def write_report(engine: Engine, run_id: str, out_dir: Path) -> dict[str, Path]:
    """Write `report-<as_of>-<policy>.html` and `.csv` (plus the summary as JSON) into `out_dir`."""
    data = build_report(engine, run_id)
    make_private_folder(out_dir)  # 0700 when new: it holds every customer's grade, limit and exposure
    info = data["info"]
    stem = f"report-{info['as_of']}-{info['policy_version'][:12]}"
    paths = {"html": out_dir / f"{stem}.html", "csv": out_dir / f"{stem}.csv", "json": out_dir / f"{stem}.json"}
    page, summary = render_html(data), json.dumps(summary_json(data), indent=2, default=str)
    # All three are written beside their names before any takes its place: a CSV that fails half way
    # (a kill, a full disk) leaves the previous report whole, not a new page beside the old CSV.
    with written_whole(paths["html"]) as html, written_whole(paths["json"]) as js:
        html.write(page)
        js.write(summary)
        html.flush()
        js.flush()
        write_csv(engine, run_id, paths["csv"])
    return paths


def summary_json(data: dict[str, Any]) -> dict[str, Any]:
    """The report's figures as JSON (for scripts and tests)."""
    totals: Totals = data["totals"]
    single = totals.single
    return {
        "run_id": data["info"]["run_id"],
        "complete": data["info"]["unfinished"] is None,
        "unfinished": data["info"]["unfinished"],
        "status": dict(totals.status),
        "grades": dict(totals.grades),
        "previous_grades": dict(totals.prev_grades),
        "migration": {k: dict(v) for k, v in totals.migration.items()},
        "upgrades": totals.upgrades,
        "downgrades": totals.downgrades,
        "limit_bands": dict(totals.bands),
        # the totals across the book only in one currency: null when several (see by_currency)
        "limit_before": None if single is None else str(single.limit_before),
        "limit_after": None if single is None else str(single.limit_after),
        "exposure_by_grade_class": totals.by_class("by_grade_class"),
        "exposure_by_value_class": totals.by_class("by_value_class"),
        "by_currency": [totals.money[c].as_json(c) for c in totals.currencies],
        "largest_limit_increases": totals.limit_moves("raised"),
        "largest_limit_cuts": totals.limit_moves("cut"),
        "queue": data["queue"],
        "portfolio": data["portfolio"],
    }
