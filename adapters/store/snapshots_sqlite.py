"""SQLite: one customer's whole snapshot in ONE statement (child rows aggregated by SQLite's JSON functions).

`snapshots.load_snapshots` runs seven indexed SELECTs and turns ~50 rows into dicts through
SQLAlchemy's result machinery, which cost ~1 ms a customer, twice the decision itself. Here SQLite
assembles each child list as one JSON array in C and Python decodes it with `json.loads`: ~0.35 ms,
most of it the snapshot's validation. Money is
stored as decimal text on SQLite (types.ExactDecimal) and dates as ISO text, so both reach the
snapshot's validation exactly as stored.

SQLite before 3.44 has no ORDER BY inside an aggregate, so the lists are sorted here, on the same
keys as `load_snapshots` (ISO dates sort as text), and the two loaders give equal snapshots (tested).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection

from adapters.store.rawsql import fetch_all
from adapters.store.snapshots import (
    ASSESSMENT_FIELDS,
    CUSTOMER_FIELDS,
    FINANCIAL_FIELDS,
    INVOICE_FIELDS,
    ORDER_FIELDS,
    SIGNAL_FIELDS,
    assessment_sql,
    contact_sql,
    known_by,
    last_contact,
    snapshot_from_record,
)
from policy_engine.domain.models import CustomerSnapshot

_CHILDREN: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("invoices", "invoices", INVOICE_FIELDS, ("issued_on", "invoice_id")),
    ("orders", "orders", ORDER_FIELDS, ("ordered_on", "order_id")),
    ("financials", "financial_statements", FINANCIAL_FIELDS, ("period_end",)),
    ("signals", "staff_signals", SIGNAL_FIELDS, ("observed_on", "code")),
)


def _array(alias: str, fields: Sequence[str]) -> str:
    return "json_array(" + ", ".join(f"{alias}.{f}" for f in fields) + ")"


def _select() -> str:
    parts = [f"c.{f}" for f in CUSTOMER_FIELDS] + ["p.grade AS current_grade", "p.credit_limit AS current_limit",
                                                  "p.value_class"]
    for key, table, fields, _order in _CHILDREN:
        parts.append(f"(SELECT json_group_array({_array('t', fields)}) FROM {table} t "
                     f"WHERE t.customer_id = :id) AS {key}")
    parts.append(
        f"(SELECT {_array('a', ASSESSMENT_FIELDS)} FROM assessments a WHERE a.customer_id = :id "
        f"AND {assessment_sql('a.assessed_on', ':as_of')} ORDER BY a.assessed_on DESC NULLS LAST, a.id DESC LIMIT 1) "
        "AS assessment"
    )
    parts.append(f"(SELECT {contact_sql('k.contacted_on', ':as_of')} FROM contacts k WHERE k.customer_id = :id) "
                 "AS contacted")
    return (
        "SELECT " + ",\n  ".join(parts) + "\nFROM customers c LEFT JOIN credit_profiles p "
        "ON p.customer_id = c.customer_id WHERE c.customer_id = :id"
    )


_SQL = _select()
_COLUMNS = (*CUSTOMER_FIELDS, "current_grade", "current_limit", "value_class", *(key for key, *_rest in _CHILDREN),
            "assessment", "contacted")


def _sort_key(fields: Sequence[str], order: Sequence[str]) -> Any:
    return itemgetter(*(fields.index(f) for f in order))


def _lenient_key(key: Any) -> Any:
    """For rows another tool wrote with a number or NULL where text belongs (the columns are NOT NULL
    text): NULL first, as SQLite sorts it; everything else as text. Validation then names the field."""

    def lenient(item: list[Any]) -> tuple[tuple[bool, str], ...]:
        values = key(item)
        values = values if isinstance(values, tuple) else (values,)
        return tuple((v is not None, "" if v is None else str(v)) for v in values)

    return lenient


_KEYS = {key: (fields, _sort_key(fields, order)) for key, _table, fields, order in _CHILDREN}
_DECODE = json.JSONDecoder(parse_float=Decimal).decode  # a REAL written by another tool stays exact


def load_snapshot_sqlite(
    conn: Connection, ids: Sequence[str], as_of: date | None = None
) -> dict[str, CustomerSnapshot]:
    """Load the snapshot of `ids[0]` as known on `as_of` (one customer; absent when unknown; default: the
    latest) in one statement; more than one id goes to `snapshots.load_snapshots`."""
    if not ids:
        return {}
    if len(ids) > 1:
        from adapters.store.snapshots import load_snapshots

        return load_snapshots(conn, ids, as_of)
    # The driver's own cursor: SQLAlchemy's result machinery costs more than the query (~65 µs of ~110).
    rows = fetch_all(conn, _SQL, {"id": ids[0], "as_of": known_by(as_of).isoformat()})
    if not rows:
        return {}
    data = dict(zip(_COLUMNS, rows[0], strict=True))
    for key, (fields, sort_key) in _KEYS.items():
        items = _DECODE(data[key])
        try:
            items.sort(key=sort_key)
        except TypeError:
            items.sort(key=_lenient_key(sort_key))
        data[key] = [dict(zip(fields, item, strict=True)) for item in items]
    assessment = data["assessment"]
    data["assessment"] = dict(zip(ASSESSMENT_FIELDS, _DECODE(assessment), strict=True)) if assessment else None
    data["last_contact_on"] = last_contact(data["last_contact_on"], data.pop("contacted"), as_of)
    return {data["customer_id"]: snapshot_from_record(data)}
