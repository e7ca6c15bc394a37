"""The run report: grade and value-class distribution, grade migration, limit changes, exposure, queue.

Aggregates stream over the run's rows (memory does not grow with the portfolio); the page is one
self-contained HTML file with inline SVG charts, and a CSV holds one line per customer.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import DictLoader, Environment, select_autoescape
from sqlalchemy import Connection, Engine, func, select

from adapters.batch import charts, runs
from adapters.batch import tables as t
from adapters.batch.files import written_whole
from adapters.batch.report_template import TEMPLATE
from adapters.batch.scan import portfolio_summary
from adapters.batch.workqueue import CATEGORIES, category_of
from policy_engine.domain.values import GRADE_RANK, GRADES
from policy_engine.portfolio import TopN

CSV_COLUMNS = ("customer_id", "status", "prev_grade", "grade", "grade_class", "prev_value_class", "value_class",
               "score", "prev_limit", "credit_limit", "limit_change", "exposure", "currency", "next_review_on",
               "review_rule", "error")  # fmt: skip
LIMIT_BANDS = ("cut > 50%", "cut 20–50%", "cut < 20%", "unchanged", "up < 20%", "up 20–50%", "up > 50%", "new limit")
ZERO = Decimal(0)


def _band(prev: Decimal | None, new: Decimal) -> str:
    if prev is None:
        return "new limit"
    if new == prev:
        return "unchanged"
    if prev == 0:
        return "up > 50%"
    change = (new - prev) / prev
    if change < 0:
        return "cut > 50%" if change < Decimal("-0.5") else "cut 20–50%" if change <= Decimal("-0.2") else "cut < 20%"
    return "up > 50%" if change > Decimal("0.5") else "up 20–50%" if change >= Decimal("0.2") else "up < 20%"


class _Totals:
    """Streaming aggregates of a run's results."""

    def __init__(self) -> None:
        self.status: Counter[str] = Counter()
        self.grades: Counter[str] = Counter()
        self.prev_grades: Counter[str] = Counter()
        self.migration: dict[str, Counter[str]] = defaultdict(Counter)
        self.bands: Counter[str] = Counter()
        self.by_grade_class: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])
        self.by_value_class: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])
        self.limit_before, self.limit_after = ZERO, ZERO
        self.value_moves: Counter[tuple[str, str]] = Counter()
        self.upgrades = self.downgrades = 0
        self.raised, self.cut = TopN(10), TopN(10)
        self.quarantined: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        self.status[row["status"]] += 1
        if row["status"] != "ok":
            if row["status"] == "quarantined" and len(self.quarantined) < 50:
                self.quarantined.append(row)
            return
        grade, prev = row["grade"], row["prev_grade"] or "new"
        limit, prev_limit = row["credit_limit"], row["prev_limit"]
        self.grades[grade] += 1
        self.prev_grades[prev] += 1
        self.migration[prev][grade] += 1
        if prev != "new" and GRADE_RANK[grade] != GRADE_RANK[prev]:
            if GRADE_RANK[grade] < GRADE_RANK[prev]:
                self.upgrades += 1
            else:
                self.downgrades += 1
        self.bands[_band(prev_limit, limit)] += 1
        self.limit_after += limit
        self.limit_before += prev_limit or ZERO
        change = limit - (prev_limit or ZERO)
        self.raised.offer(row["customer_id"], float(change) if change > 0 else None, (prev_limit, limit, prev, grade))
        self.cut.offer(row["customer_id"], float(-change) if change < 0 else None, (prev_limit, limit, prev, grade))
        for key, table in ((row["grade_class"], self.by_grade_class), (row["value_class"] or "–", self.by_value_class)):
            table[key][0] += 1
            table[key][1] += row["exposure"]
            table[key][2] += limit
        self.value_moves[(row["prev_value_class"] or "–", row["value_class"] or "–")] += 1


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


def _abc_curve(conn: Connection, run_id: str, customers: int, total: Decimal) -> list[tuple[float, float]]:
    """Cumulative share of sales at every 1% of customers, best-selling first."""
    if not customers or total <= 0:
        return []
    p = t.batch_portfolio
    step, running, points = max(customers // 100, 1), ZERO, []
    query = select(p.c.sales).where(p.c.run_id == run_id).order_by(p.c.sales_key.desc(), p.c.customer_id)
    for i, sales in enumerate(conn.execute(query.execution_options(yield_per=10_000)).scalars(), start=1):
        running += sales
        if i % step == 0 or i == customers:
            points.append((i / customers, float(running / total)))
    return points


def build_report(engine: Engine, run_id: str) -> dict[str, Any]:
    """Everything the report shows, as plain data."""
    with engine.connect() as conn:
        info = runs.run_info(conn, run_id)
        portfolio = portfolio_summary(conn, run_id) or {}
        totals = _Totals()
        for row in _rows(conn, run_id):
            totals.add(dict(row._mapping))
        day = info["as_of"]
        queue = _queue_counts(conn, run_id, day)
        curve = _abc_curve(conn, run_id, portfolio.get("customers", 0), Decimal(portfolio.get("total_sales", "0")))
    return {"info": info, "portfolio": portfolio, "totals": totals, "queue": queue, "curve": curve,
            "generated_at": datetime.now(UTC)}  # fmt: skip


def _money(value: Any) -> str:
    if value is None or value == "":
        return "–"
    return f"{Decimal(value):,.0f}"


def _charts(data: dict[str, Any]) -> dict[str, str]:
    totals: _Totals = data["totals"]
    prev_order = [*GRADES]
    grade_chart = charts.grouped_bars(
        GRADES, [("previous", [totals.prev_grades.get(g, 0) for g in prev_order], "#cbd5e1"),
                 ("this run", [totals.grades.get(g, 0) for g in GRADES], "#2563eb")],
        title="customers by grade",
    )  # fmt: skip
    classes = data["portfolio"].get("classes", {})
    total_customers = sum(c["customers"] for c in classes.values()) or 1
    total_sales = sum(Decimal(c["sales"]) for c in classes.values()) or Decimal(1)
    value_chart = charts.grouped_bars(
        ["A", "B", "C"],
        [("share of customers %", [100 * classes.get(k, {}).get("customers", 0) / total_customers for k in "ABC"],
          "#94a3b8"),
         ("share of sales %", [float(100 * Decimal(classes.get(k, {}).get("sales", "0")) / total_sales) for k in "ABC"],
          "#16a34a")],
        title="value classes",
    )  # fmt: skip
    exposure_rows = [(f"grade class {k}", [float(totals.by_grade_class[k][1]), float(totals.by_grade_class[k][2])])
                     for k in "ABC" if k in totals.by_grade_class]  # fmt: skip
    exposure_rows += [(f"value class {k}", [float(totals.by_value_class[k][1]), float(totals.by_value_class[k][2])])
                      for k in "ABC" if k in totals.by_value_class]  # fmt: skip
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


def _heat(count: int, peak: int) -> str:
    if not count:
        return ""
    alpha = 0.12 + 0.78 * count / peak if peak else 0
    return f"background: rgba(37, 99, 235, {alpha:.2f}); color: {'#fff' if alpha > 0.5 else '#0f172a'}"


def render_html(data: dict[str, Any]) -> str:
    """The report page."""
    env = Environment(loader=DictLoader({"report.html": TEMPLATE}), autoescape=select_autoescape(["html"]))
    env.filters["money"] = _money
    totals: _Totals = data["totals"]
    env.filters["prev_count"] = lambda grade: totals.prev_grades.get(grade, 0)
    prev_rows = [g for g in ("new", *GRADES) if totals.prev_grades.get(g)]
    peak = max((n for row in totals.migration.values() for n in row.values()), default=0)
    return env.get_template("report.html").render(
        **data, charts=_charts(data), grades=GRADES, prev_rows=prev_rows, peak=peak, heat=_heat,
        categories=CATEGORIES, rank=GRADE_RANK, bands=LIMIT_BANDS,
        classes={k: [g for g in GRADES if g[0] == k] for k in "ABC"},
    )


def write_csv(engine: Engine, run_id: str, path: Path) -> int:
    """One line per customer of the run; returns how many."""
    n = 0
    with engine.connect() as conn, written_whole(path, newline="") as out:
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in _rows(conn, run_id):
            item = dict(row._mapping)
            if item["credit_limit"] is not None:
                item["limit_change"] = item["credit_limit"] - (item["prev_limit"] or ZERO)
            writer.writerow(item)
            n += 1
    return n


def write_report(engine: Engine, run_id: str, out_dir: Path) -> dict[str, Path]:
    """Write `report-<as_of>-<policy>.html` and `.csv` (plus the summary as JSON) into `out_dir`."""
    data = build_report(engine, run_id)
    out_dir.mkdir(parents=True, exist_ok=True)
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
    totals: _Totals = data["totals"]
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
        "limit_before": str(totals.limit_before),
        "limit_after": str(totals.limit_after),
        "exposure_by_grade_class": {k: [str(x) for x in v] for k, v in totals.by_grade_class.items()},
        "exposure_by_value_class": {k: [str(x) for x in v] for k, v in totals.by_value_class.items()},
        "queue": data["queue"],
        "portfolio": data["portfolio"],
    }
