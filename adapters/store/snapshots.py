"""Customer snapshots ⇄ rows: one round of indexed queries per batch of customers.

The store holds every contact and 5C assessment, a snapshot one of each: loaded for an evaluation
date, it holds the contact and the assessment known on that date (`as_of`; without one, the latest).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, Date, Table, bindparam, case, delete, func, or_, select

from adapters.store import schema as s
from adapters.store.upsert import upsert
from policy_engine.domain.models import CustomerSnapshot
from policy_engine.domain.values import TEXT_CONTROL_CHARACTERS

CUSTOMER_FIELDS = (
    "customer_id", "name", "size", "segment", "relationship_since", "currency",
    "last_contact_on", "last_review_on",
)  # fmt: skip
INVOICE_FIELDS = (
    "invoice_id", "issued_on", "due_on", "amount", "paid_amount", "paid_on",
    "payment_term_days", "due_date_changes",
)  # fmt: skip
ORDER_FIELDS = ("order_id", "ordered_on", "amount", "status")
FINANCIAL_FIELDS = (
    "period_end", "current_assets", "current_liabilities", "inventory", "cash", "total_assets",
    "total_liabilities", "equity", "revenue", "net_profit",
)  # fmt: skip
SIGNAL_FIELDS = ("code", "observed_on", "note")
ASSESSMENT_FIELDS = ("character", "capacity", "capital", "collateral", "conditions", "assessed_on")

_CHILDREN: tuple[tuple[str, Table, tuple[str, ...], tuple[str, ...]], ...] = (
    ("invoices", s.invoices, INVOICE_FIELDS, ("issued_on", "invoice_id")),
    ("orders", s.orders, ORDER_FIELDS, ("ordered_on", "order_id")),
    ("financials", s.financial_statements, FINANCIAL_FIELDS, ("period_end",)),
    ("signals", s.staff_signals, SIGNAL_FIELDS, ("observed_on", "code")),
)


class _Queries:
    """The snapshot SELECTs, built once (composing one costs more than running it on an indexed key).

    Two families: `customer_id = :id` for one customer, whose fixed SQL text PostgreSQL prepares
    once and plans never again, and `customer_id IN (…)` for many.
    """

    def __init__(self, single: bool):
        self.single = single
        self.children = {key: self._child(table, fields, order) for key, table, fields, order in _CHILDREN}
        day, a, k = bindparam("as_of", type_=Date), s.assessments.c, s.contacts.c
        self.assessments = self._child(s.assessments, ("id", *ASSESSMENT_FIELDS), ("id",)).where(
            or_(a.assessed_on.is_(None), a.assessed_on <= day))
        c, p = s.customers, s.credit_profiles
        self.customers = (
            select(*(c.c[f] for f in CUSTOMER_FIELDS), p.c.grade, p.c.credit_limit, p.c.value_class)
            .select_from(c.outerjoin(p, p.c.customer_id == c.c.customer_id))
            .where(self._match(c.c.customer_id))
        )
        self.contacts = (  # as contact_sql() says, in SQLAlchemy's words
            select(k.customer_id, func.coalesce(func.max(case((k.contacted_on <= day, k.contacted_on))),
                                                func.max(k.contacted_on)))
            .where(self._match(k.customer_id))
            .group_by(k.customer_id)
        )

    def _match(self, column: Any) -> Any:
        return column == bindparam("id") if self.single else column.in_(bindparam("ids", expanding=True))

    def _child(self, table: Table, fields: Sequence[str], order: Sequence[str]) -> Any:
        return (
            select(table.c.customer_id, *(table.c[f] for f in fields))
            .where(self._match(table.c.customer_id))
            .order_by(table.c.customer_id, *(table.c[o] for o in order))
        )

    def params(self, ids: Sequence[str], as_of: date | None) -> dict[str, Any]:
        """Bind parameters for these ids and evaluation date."""
        key: dict[str, Any] = {"id": ids[0]} if self.single else {"ids": list(ids)}
        return {**key, "as_of": known_by(as_of)}


def known_by(as_of: date | None) -> date:
    """The day the loaders cut contacts and assessments at: `as_of`, or without one every day (the latest)."""
    return as_of or date.max


def contact_sql(column: str, day: str) -> str:
    """SQL for a customer's last contact on `day` (a parameter) or before, else its latest, after `day`:
    features/as_stood.py then reads the contact as unknown, as for a snapshot's own last contact after
    as_of (contacts before the store's first are not in it, so none by `day` is not "never contacted").
    The contacts index (customer_id, contacted_on) covers it."""
    return f"coalesce(max(CASE WHEN {column} <= {day} THEN {column} END), max({column}))"


def assessment_sql(column: str, day: str) -> str:
    """SQL for an assessment known on `day`: made by then, or undated (no date to cut by: taken as known,
    and ranked below every dated one)."""
    return f"({column} IS NULL OR {column} <= {day})"


def last_contact(recorded: Any, contacted: Any, as_of: date | None) -> Any:
    """The snapshot's last contact: of the record's own and the contacts table's (contact_sql), the latest
    on or before `as_of`, else the latest. Dates as date objects or ISO text (they order as their text)."""
    known = [day for day in (recorded, contacted) if day is not None]
    cut = known_by(as_of).isoformat()
    by_then = [day for day in known if str(day) <= cut]
    return max(by_then or known, key=str, default=None)


_ONE, _MANY = _Queries(single=True), _Queries(single=False)


def _by_customer(conn: Connection, query: Any, params: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in conn.execute(query, params):
        values = row._asdict()
        grouped[values.pop("customer_id")].append(values)
    return grouped


def _customers(conn: Connection, q: _Queries, params: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    for row in conn.execute(q.customers, params):
        values = row._asdict()
        values["current_grade"] = values.pop("grade")
        values["current_limit"] = values.pop("credit_limit")
        found[values["customer_id"]] = values
    return found


def _latest_assessments(conn: Connection, q: _Queries, params: dict[str, Any]) -> dict[str, dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for customer_id, rows in _by_customer(conn, q.assessments, params).items():
        # The newest assessment date wins; an undated one only when nothing is dated.
        best = max(rows, key=lambda r: (r["assessed_on"] is not None, r["assessed_on"] or 0, r["id"]))
        best.pop("id")
        latest[customer_id] = best
    return latest


def load_snapshots(conn: Connection, ids: Sequence[str], as_of: date | None = None) -> dict[str, CustomerSnapshot]:
    """Load the snapshots of `ids` as known on `as_of` (default: the latest; unknown ids are simply absent)
    with one query per table."""
    if not ids:
        return {}
    q = _ONE if len(ids) == 1 else _MANY
    params = q.params(ids, as_of)
    customers = _customers(conn, q, params)
    if not customers:
        return {}
    if len(customers) < len(ids):
        q = _ONE if len(customers) == 1 else _MANY
        params = q.params(list(customers), as_of)
    children = {key: _by_customer(conn, q.children[key], params) for key, _t, _f, _o in _CHILDREN}
    contacts = dict(conn.execute(q.contacts, params).all())
    assessments = _latest_assessments(conn, q, params)
    result = {}
    for customer_id, data in customers.items():
        for key, _table, _fields, _order in _CHILDREN:
            data[key] = children[key].get(customer_id, [])
        data["assessment"] = assessments.get(customer_id)
        data["last_contact_on"] = last_contact(data["last_contact_on"], contacts.get(customer_id), as_of)
        result[customer_id] = snapshot_from_record(data)
    return result


_TEXT_CONTROL = re.compile(f"[{TEXT_CONTROL_CHARACTERS}]")


def snapshot_from_record(data: dict[str, Any]) -> CustomerSnapshot:
    """A stored customer's snapshot, validated. Free text (name, segment, signal notes) with control
    characters, stored before input refused them or written by other tools, has them replaced by
    spaces: text never decides anything, and a stray \\x01 in a name must not make the customer
    impossible to evaluate. (Identifiers are left as they are: changing one would change whose record
    it is.) A customer without a credit profile row has no value class (NULL): not computed, ""."""
    if data.get("value_class") is None:
        data["value_class"] = ""
    for key in ("name", "segment"):
        value = data.get(key)
        if isinstance(value, str) and _TEXT_CONTROL.search(value):
            data[key] = _TEXT_CONTROL.sub(" ", value)
    for signal in data.get("signals") or ():
        note = signal.get("note") if isinstance(signal, dict) else None
        if isinstance(note, str) and _TEXT_CONTROL.search(note):
            signal["note"] = _TEXT_CONTROL.sub(" ", note)
    return CustomerSnapshot.model_validate(data)


def replace_snapshot(conn: Connection, snapshot: CustomerSnapshot) -> None:
    """Store a whole snapshot: upsert the customer, replace its invoices, orders, statements, signals."""
    cid = snapshot.customer_id
    upsert(conn, s.customers, ["customer_id"], [{f: getattr(snapshot, f) for f in CUSTOMER_FIELDS}])
    for key, table, fields, _order in _CHILDREN:
        conn.execute(delete(table).where(table.c.customer_id == cid))
        rows = [{"customer_id": cid, **{f: getattr(item, f) for f in fields}} for item in getattr(snapshot, key)]
        if rows:
            conn.execute(table.insert(), rows)
    conn.execute(delete(s.assessments).where(s.assessments.c.customer_id == cid))
    if snapshot.assessment is not None:
        values = {f: getattr(snapshot.assessment, f) for f in ASSESSMENT_FIELDS}
        conn.execute(s.assessments.insert(), [{"customer_id": cid, **values}])
    if snapshot.current_grade is not None or snapshot.current_limit is not None or snapshot.value_class:
        profile = {
            "customer_id": cid,
            "grade": snapshot.current_grade,
            "credit_limit": snapshot.current_limit,
            "value_class": snapshot.value_class,
        }
        profile["grade_class"] = snapshot.current_grade[0] if snapshot.current_grade else None
        upsert(conn, s.credit_profiles, ["customer_id"], [profile])
    else:
        conn.execute(delete(s.credit_profiles).where(s.credit_profiles.c.customer_id == cid))
