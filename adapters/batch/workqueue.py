"""The day's work queue from a run: reviews due, urgent reviews, collection reminders, follow-ups, holds."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Connection, case, func, select

from adapters.batch import tables as t
from adapters.batch.files import make_private_folder, spreadsheet_safe, written_whole
from adapters.store import schema as s

CATEGORIES = ("urgent_review", "hold", "review_due", "collection", "follow_up", "limit_action", "give_up_review")
"""Queue categories, most pressing first."""

CSV_COLUMNS = ("category", "due_on", "severity", "customer_id", "name", "code", "target_id", "rule_id", "message",
               "gather")
"""The queue file's columns; `gather` (a review's items to collect, joined by `; `) came last, so a
sheet reading the others by position still reads them."""
GATHER_SEPARATOR = "; "


def category_of(code: str, severity: str) -> str:
    """The queue category of an action code (CONTRACT.md action codes)."""
    if code == "CREDIT_REVIEW":
        return "urgent_review" if severity == "urgent" else "review_due"
    # Any code but the fixed ones is a follow-up rule's own (rules/README.md: `action`), not a limit action.
    return {
        "HOLD_ORDERS": "hold",
        "COLLECTION_REMINDER": "collection",
        "REDUCE_LIMIT": "limit_action",
        "REQUEST_COLLATERAL": "limit_action",
    }.get(code, "follow_up")


def _rank() -> Any:
    a = t.batch_actions.c
    return case(
        (a.code == "CREDIT_REVIEW", case((a.severity == "urgent", 0), else_=2)),
        (a.code == "HOLD_ORDERS", 1),
        (a.code == "COLLECTION_REMINDER", 3),
        (a.code.in_(("REDUCE_LIMIT", "REQUEST_COLLATERAL")), 5),
        else_=4,  # FOLLOW_UP, and a follow-up rule's own code
    )


def iter_queue(
    conn: Connection, run_id: str, day: date, categories: set[str] | None = None
) -> Iterator[dict[str, Any]]:
    """Actions of the run due on or before `day`, most pressing first, then the give-up reviews."""
    a, c = t.batch_actions, s.customers
    query = (
        select(a.c.due_on, a.c.severity, a.c.customer_id, c.c.name, a.c.code, a.c.target_id, a.c.rule_id,
               a.c.message, a.c.gather)  # fmt: skip
        .select_from(a.outerjoin(c, c.c.customer_id == a.c.customer_id))
        .where(a.c.run_id == run_id, a.c.due_on <= day)
        .order_by(_rank(), a.c.due_on, a.c.customer_id, a.c.target_id)
        .execution_options(yield_per=5000)
    )
    for row in conn.execute(query):
        item = dict(row._mapping)
        item["name"] = item["name"] or ""
        item["gather"] = json.loads(item["gather"]) if item["gather"] else []  # NULL: none, or stored before 0005
        item["category"] = category_of(item["code"], item["severity"])
        if categories is None or item["category"] in categories:
            yield item
    if categories is None or "give_up_review" in categories:
        yield from _give_up(conn, run_id, day)


def count_queue(conn: Connection, run_id: str, day: date, categories: set[str] | None = None) -> int:
    """How many items `iter_queue` yields, counted by the database (one row per action code and
    severity, plus the give-up reviews) rather than by reading every item."""
    a, p, c = t.batch_actions.c, t.batch_portfolio, s.customers
    per_code = conn.execute(select(a.code, a.severity, func.count()).where(a.run_id == run_id, a.due_on <= day)
                            .group_by(a.code, a.severity))  # fmt: skip
    total = sum(n for code, severity, n in per_code
                if categories is None or category_of(code, severity) in categories)  # fmt: skip
    if categories is None or "give_up_review" in categories:
        total += conn.execute(select(func.count()).select_from(p.join(c, c.c.customer_id == p.c.customer_id))
                              .where(p.c.run_id == run_id, p.c.give_up.is_(True))).scalar_one()  # fmt: skip
    return int(total)


def _give_up(conn: Connection, run_id: str, day: date) -> Iterator[dict[str, Any]]:
    p, c = t.batch_portfolio, s.customers
    query = (
        select(p.c.customer_id, c.c.name, p.c.sales)
        .select_from(p.join(c, c.c.customer_id == p.c.customer_id))
        .where(p.c.run_id == run_id, p.c.give_up.is_(True))
        .order_by(p.c.sales_key, p.c.customer_id)
    )
    for customer_id, name, sales in conn.execute(query):
        yield {"category": "give_up_review", "due_on": day, "severity": "info", "customer_id": customer_id,
               "name": name or "", "code": "GIVE_UP_REVIEW", "target_id": "", "rule_id": "portfolio.give_up",
               "message": f"Bottom of class C by sales ({sales}): consider giving up (放弃约5%的C类客户)",
               "gather": []}  # fmt: skip


TEXT_COLUMNS = ("customer_id", "name", "target_id", "message")
"""Columns that carry text from the customer records (imported data), not codes of ours: an id may start with
`=` as well as a name may."""


def write_csv(items: Iterator[dict[str, Any]], out: TextIO) -> Counter[str]:
    """Write queue items as CSV (text from the records made spreadsheet-safe); return the count per category."""
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    counts: Counter[str] = Counter()
    for item in items:
        writer.writerow({**item, **{c: spreadsheet_safe(item.get(c)) for c in TEXT_COLUMNS},
                         "gather": GATHER_SEPARATOR.join(item.get("gather") or ())})  # fmt: skip
        counts[item["category"]] += 1
    return counts


def export_csv(
    conn: Connection, run_id: str, day: date, path: Path, categories: set[str] | None = None
) -> Counter[str]:
    """Write the day's queue to a CSV file, for spreadsheets: UTF-8 with a byte-order mark, without
    which Excel reads Chinese names in the system's code page and garbles them."""
    make_private_folder(path.parent)  # a new file and a folder made for it: the owner's only (files.PRIVATE_FILE)
    with written_whole(path, encoding="utf-8-sig", newline="") as out:
        return write_csv(iter_queue(conn, run_id, day, categories), out)
