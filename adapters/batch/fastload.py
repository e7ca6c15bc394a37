"""Snapshots for the batch, read with plain SQL: the store's loader without the ORM row layer.

Same fields and ordering as adapters.store.snapshots.load_snapshots (the test
test_batch_fastload checks they give equal snapshots); values go to pydantic as the driver returns
them (ISO text and decimal text on SQLite), so validation is exactly the model's. Half the batch's
time per customer was row processing there; this is the hot path of the nightly run. The statements
run on the driver's own cursor (adapters/store/rawsql.py), a chunk's ids passed as one parameter.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
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


def _cols(fields: Sequence[str], prefix: str = "") -> str:
    return ", ".join(f"{prefix}{f}" for f in fields)


_CHILDREN = (
    ("invoices", INVOICE_FIELDS, "invoices", "issued_on, invoice_id"),
    ("orders", ORDER_FIELDS, "orders", "ordered_on, order_id"),
    ("financials", FINANCIAL_FIELDS, "financial_statements", "period_end"),
    ("signals", SIGNAL_FIELDS, "staff_signals", "observed_on, code"),
)


class _Statements:
    """The chunk's SELECTs in one driver's dialect: they run on its own cursor (`rawsql.fetch_all`),
    where SQLAlchemy's row layer cost ~40 µs a customer per child table. The chunk's ids travel as
    one parameter: a JSON array on SQLite (`json_each`), an array on PostgreSQL (`= ANY`)."""

    def __init__(self, ids: str, run_id: str, day: str):
        self.children = {
            key: f"SELECT customer_id, {_cols(fields)} FROM {table} WHERE customer_id {ids} "
                 f"ORDER BY customer_id, {order}"
            for key, fields, table, order in _CHILDREN
        }
        self.customers = (
            f"SELECT {_cols(CUSTOMER_FIELDS, 'c.')}, cp.grade, cp.credit_limit, cp.value_class, bp.value_class "
            "FROM customers c LEFT JOIN credit_profiles cp ON cp.customer_id = c.customer_id "
            f"LEFT JOIN batch_portfolio bp ON bp.run_id = {run_id} AND bp.customer_id = c.customer_id "
            f"WHERE c.customer_id {ids}"
        )
        # The contact and the assessment known on the evaluation date (snapshots.contact_sql, assessment_sql).
        self.assessments = (f"SELECT customer_id, id, {_cols(ASSESSMENT_FIELDS)} FROM assessments "
                            f"WHERE customer_id {ids} AND {assessment_sql('assessed_on', day)} "
                            "ORDER BY customer_id, id")
        self.contacts = (f"SELECT customer_id, {contact_sql('contacted_on', day)} FROM contacts "
                         f"WHERE customer_id {ids} GROUP BY customer_id")


_SQLITE = _Statements("IN (SELECT value FROM json_each(:ids))", ":run_id", ":as_of")
_POSTGRES = _Statements("= ANY(%(ids)s)", "%(run_id)s", "%(as_of)s::date")


def _statements(conn: Connection) -> tuple[_Statements, Any, Any]:
    """The dialect's statements, how it passes the chunk's ids and how the evaluation date."""
    if conn.dialect.name == "sqlite":
        return _SQLITE, json.dumps, date.isoformat  # dates are ISO text in SQLite
    return _POSTGRES, list, lambda day: day


_N_CUSTOMER = len(CUSTOMER_FIELDS)


@dataclass
class Loaded:
    """A chunk's raw snapshot data plus what the batch needs beside it."""

    data: dict[str, dict[str, Any]]
    prev_value_class: dict[str, str]


_DATES = frozenset({"issued_on", "due_on", "paid_on", "ordered_on", "period_end", "observed_on", "assessed_on",
                    "relationship_since", "last_contact_on", "last_review_on"})  # fmt: skip


def _iso_day(text: str) -> date:
    """date.fromisoformat for `YYYY-MM-DD` alone: on Python 3.11 it also reads a week date (`2019-W47-5`, the only
    other form of ten characters), which the model refuses as text. Then the batch evaluated a stored row that the
    store's own loader (EvaluateCustomer by id) refuses; now it is left as text, and the model quarantines it."""
    if len(text) != 10 or text[7] != "-":
        raise ValueError(text)
    return date.fromisoformat(text)


def _typed(conn: Connection, fields: Sequence[str]) -> list[tuple[int, Any]]:
    """(position, converter) for SQLite's text dates: C-level parsing ahead of the model's checks.

    A value the converter refuses is left as text, so the model reports it (and the customer is quarantined).
    Money stays text, as the store's loader hands it over: Decimal() also reads ' 1000 ', '1_000', '1e3', '+5' and
    '.5', which the model refuses as text, so the batch evaluated rows the store refuses. The model's own reading
    of a plain amount (value_schemas.py, "decimal plain") is cheaper than Decimal() and then its Decimal branch, too.
    """
    if conn.dialect.name != "sqlite":
        return []
    return [(i, _iso_day) for i, f in enumerate(fields) if f in _DATES]


def _convert(row: list[Any], converters: list[tuple[int, Any]]) -> list[Any]:
    for i, convert in converters:
        value = row[i]
        if value is not None and value.__class__ is str:
            try:
                row[i] = convert(value)
            except (ValueError, ArithmeticError):
                pass
    return row


def _grouped(conn: Connection, query: str, params: dict[str, Any],
             fields: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    converters = _typed(conn, fields)
    for row in fetch_all(conn, query, params):
        grouped[row[0]].append(dict(zip(fields, _convert(list(row[1:]), converters), strict=True)))
    return grouped


def load_raw(conn: Connection, ids: Sequence[str], run_id: str, as_of: date | None = None) -> Loaded:
    """The chunk's customers, as known on `as_of` (default: the latest), as dicts ready for
    CustomerSnapshot.model_validate (unknown ids absent)."""
    data: dict[str, dict[str, Any]] = {}
    previous: dict[str, str] = {}
    customer_types = _typed(conn, CUSTOMER_FIELDS)
    sql, id_param, day_param = _statements(conn)
    for row in fetch_all(conn, sql.customers, {"ids": id_param(list(ids)), "run_id": run_id}):
        values = dict(zip(CUSTOMER_FIELDS, _convert(list(row[:_N_CUSTOMER]), customer_types), strict=True))
        values["current_grade"] = row[_N_CUSTOMER]
        values["current_limit"] = row[_N_CUSTOMER + 1]
        previous[values["customer_id"]] = row[_N_CUSTOMER + 2] or ""
        # This run's class, so that it drives the rules (follow-ups by class); without one (simulate, a
        # customer the portfolio pass left out) the stored profile's, from the last run, as the store's loader.
        values["value_class"] = row[_N_CUSTOMER + 3] or row[_N_CUSTOMER + 2] or ""
        data[values["customer_id"]] = values
    if not data:
        return Loaded({}, {})
    found = {"ids": id_param(list(data))}
    for key, fields, _table, _order in _CHILDREN:
        children = _grouped(conn, sql.children[key], found, fields)
        for customer_id, values in data.items():
            values[key] = children.get(customer_id, [])
    _known_on(conn, sql, {**found, "as_of": day_param(known_by(as_of))}, data, as_of)
    return Loaded(data, previous)


def _known_on(conn: Connection, sql: _Statements, params: dict[str, Any], data: dict[str, dict[str, Any]],
              as_of: date | None) -> None:
    """Each customer's 5C assessment and last contact as known on `as_of`, into `data`."""
    for customer_id, rows in _grouped(conn, sql.assessments, params, ("id", *ASSESSMENT_FIELDS)).items():
        # The newest assessment date wins; an undated one only when nothing is dated (as the store).
        best = max(rows, key=lambda r: (r["assessed_on"] is not None, str(r["assessed_on"] or ""), r["id"]))
        best.pop("id")
        data[customer_id]["assessment"] = best
    for customer_id, contacted in fetch_all(conn, sql.contacts, params):
        values = data[customer_id]
        last = last_contact(values["last_contact_on"], contacted, as_of)
        if last is not values["last_contact_on"]:
            values["last_contact_on"] = _convert([last], _typed(conn, ("last_contact_on",)))[0]


def validate(values: dict[str, Any]) -> CustomerSnapshot:
    """One customer's snapshot, validated by the model (a broken record raises ValidationError)."""
    return snapshot_from_record(values)
