"""The decision log: what was decided, when, by which policy version, on which input, and why."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import Connection, RowMapping, Select, func, select

from adapters.store import schema as s
from adapters.store.snapshots import snapshot_from_record
from adapters.store.upsert import insert_ignore, insert_ignore_many
from policy_engine.build import build_id
from policy_engine.domain.models import CustomerDecision, CustomerSnapshot, OrderDecision, OrderRequest

_M = TypeVar("_M", bound=BaseModel)

SOURCES = frozenset({"cli", "service", "batch", "simulate", "test"})


def canonical_json(data: Any) -> str:
    """JSON with sorted keys and no spaces: the same data always gives the same text."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def snapshot_json_and_hash(snapshot: CustomerSnapshot) -> tuple[str, str]:
    """The JSON copy of a snapshot and its sha256.

    pydantic writes fields in declaration order and the snapshot holds no free-form maps, so the
    same snapshot always gives the same text; its Rust serializer is ~5x faster than json.dumps.
    """
    text = snapshot.model_dump_json()
    return text, sha256_hex(text)


def sha256_hex(text: str) -> str:
    """The sha256 of a text's UTF-8 bytes."""
    return hashlib.sha256(text.encode()).hexdigest()


def fired_rule_ids(decision: CustomerDecision, order: OrderDecision | None = None) -> list[str]:
    """The rules that fired: those behind a reason or action, or marked fired in the trace."""
    ids = {r.rule_id for r in decision.reasons} | {a.rule_id for a in decision.actions}
    ids |= {t.rule_id for t in decision.trace if t.fired}
    if order is not None:
        ids |= {r.rule_id for r in order.reasons}
    return sorted(i for i in ids if i)


def log_row(
    snapshot: CustomerSnapshot,
    decision: CustomerDecision,
    *,
    source: str,
    order: OrderDecision | None = None,
    order_request: OrderRequest | None = None,
    decided_at: datetime | None = None,
) -> dict[str, Any]:
    """The decision_log row for one decision, with its snapshot text: write it with `write_log_rows`."""
    if source not in SOURCES:
        raise ValueError(f"unknown decision source {source!r}; expected one of {sorted(SOURCES)}")
    snapshot_text, snapshot_hash = snapshot_json_and_hash(snapshot)
    return {
        "customer_id": decision.customer_id,
        "decided_at": decided_at or datetime.now(UTC),
        "as_of": decision.as_of,
        "source": source,
        "policy_version": decision.policy_version,
        "snapshot_hash": snapshot_hash,
        "snapshot_json": snapshot_text,
        "decision_json": decision.model_dump_json(),
        "order_json": _order_json(order, decision) if order else None,
        # without None: an order without a currency is logged as before it had one, so an older build still reads it
        "order_request_json": order_request.model_dump_json(exclude_none=True) if order_request else None,
        "fired_rules": canonical_json(fired_rule_ids(decision, order)),
        "grade": decision.grade,
        "credit_limit": decision.credit_limit,
        "outcome": order.outcome if order else None,
        "explained": bool(decision.trace),
        "build": build_id(),  # the decision code of this process: cached, one constant string per row
    }


def _order_json(order: OrderDecision, decision: CustomerDecision) -> str:
    """An order decision's JSON, without the customer decision it embeds when that is the entry's own
    `decision` (stored once, in decision_json; `_parse` puts it back): ~2 KB less per order check."""
    if order.customer is decision:
        return order.model_dump_json(exclude={"customer"})
    return order.model_dump_json()


def _with_customer(order_text: str | None, decision_text: str) -> str | None:
    """The full order decision JSON of an entry: as stored, or with the entry's customer decision put
    back where the writer left it out (entries written before that kept it in)."""
    if order_text is None:
        return None
    data = json.loads(order_text)
    if "customer" in data:
        return order_text
    data["customer"] = json.loads(decision_text)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def write_log_rows(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Append `log_row` rows to the decision log, each snapshot text stored once by its hash.

    Two statements whatever the number of rows: one insert-if-absent of the distinct snapshots
    (deduplicated here first, sorted by hash so concurrent writers lock keys in the same order),
    then the log rows, which reference their snapshot by `snapshot_hash` and leave
    `snapshot_json` NULL. Call inside the transaction that should hold them.
    """
    if not rows:
        return
    snapshots: dict[str, dict[str, Any]] = {}
    entries = []
    for row in rows:
        text = row["snapshot_json"]
        if text is not None and row["snapshot_hash"] not in snapshots:
            snapshots[row["snapshot_hash"]] = {
                "snapshot_hash": row["snapshot_hash"],
                "snapshot_json": text,
                "first_seen": row["decided_at"],
            }
        entries.append({**row, "snapshot_json": None})
    insert_ignore_many(conn, s.decision_snapshots, ["snapshot_hash"], [snapshots[h] for h in sorted(snapshots)])
    conn.execute(s.decision_log.insert(), entries)


def record_policy_files(conn: Connection, version: str, files: Mapping[str, str]) -> None:
    """Keep the rule files of a policy version once (later calls for the same version do nothing)."""
    row = {"version": version, "files_json": canonical_json(dict(files)), "first_seen": datetime.now(UTC)}
    insert_ignore(conn, s.policy_versions, ["version"], row)


def policy_files(conn: Connection, version: str) -> dict[str, str] | None:
    """The rule files of a recorded policy version, or None when that version was never recorded."""
    text = conn.execute(select(s.policy_versions.c.files_json).where(s.policy_versions.c.version == version))
    found = text.scalar_one_or_none()
    return None if found is None else dict(json.loads(found))


@dataclass(frozen=True)
class LoggedDecision:
    """One decision_log entry, parsed back into domain objects."""

    id: int
    customer_id: str
    decided_at: datetime
    as_of: date
    source: str
    policy_version: str
    snapshot_hash: str
    grade: str
    credit_limit: Decimal
    outcome: str | None
    explained: bool
    fired_rules: list[str]
    snapshot_json: str | None
    """The logged input: the entry's own copy (written before 0003) or the shared one by hash;
    None when no text is stored under the hash (deleted)."""
    decision_json: str
    order_json: str | None
    """The order decision as JSON, whole (its customer decision put back when it was stored once)."""
    snapshot: CustomerSnapshot | None
    """The logged input parsed; None when the text is missing or the model refuses it."""
    decision: CustomerDecision
    order: OrderDecision | None
    order_request: OrderRequest | None
    build: str | None = None
    """The build of the decision code that logged it (`policy_engine.build.build_id()`); None for
    entries written before migration 0004 recorded it."""

    def snapshot_intact(self) -> bool:
        """Whether the stored snapshot text (own copy or shared by hash) hashes to the recorded hash."""
        return self.snapshot_json is not None and sha256_hex(self.snapshot_json) == self.snapshot_hash


def _lenient(model: type[_M], text: str) -> _M:
    """Parse a logged output; one the model would now refuse is still shown, unvalidated."""
    try:
        return model.model_validate_json(text)
    except ValidationError:
        return model.model_construct(**json.loads(text))


def _snapshot(text: str | None) -> CustomerSnapshot | None:
    if text is None:
        return None
    try:
        return CustomerSnapshot.model_validate_json(text)
    except ValidationError:
        pass
    try:  # logged before control characters were refused in free text: read them as spaces, as the store does
        return snapshot_from_record(json.loads(text))
    except (ValidationError, ValueError, TypeError, AttributeError):  # altered text, or a model that changed
        return None  # since: shown, never replayed


def _parse(row: RowMapping) -> LoggedDecision:
    order = _with_customer(row["order_json"], row["decision_json"])
    request = row["order_request_json"]
    snapshot_text = row["snapshot_json"]
    return LoggedDecision(
        id=row["id"],
        customer_id=row["customer_id"],
        decided_at=row["decided_at"],
        as_of=row["as_of"],
        source=row["source"],
        policy_version=row["policy_version"],
        snapshot_hash=row["snapshot_hash"],
        grade=row["grade"],
        credit_limit=row["credit_limit"],
        outcome=row["outcome"],
        explained=bool(row["explained"]),
        fired_rules=json.loads(row["fired_rules"]),
        snapshot_json=snapshot_text,
        decision_json=row["decision_json"],
        order_json=order,
        snapshot=_snapshot(snapshot_text),
        decision=_lenient(CustomerDecision, row["decision_json"]),
        order=_lenient(OrderDecision, order) if order else None,
        order_request=OrderRequest.model_validate_json(request) if request else None,
        build=row["build"],
    )


def history(conn: Connection, customer_id: str, last: int | None = None) -> list[LoggedDecision]:
    """A customer's logged decisions, oldest first (only the newest `last` when given)."""
    t = s.decision_log
    query = log_entries_query().where(t.c.customer_id == customer_id).order_by(t.c.id.desc())
    if last is not None:
        query = query.limit(last)
    rows = [_parse(r._mapping) for r in conn.execute(query)]
    return rows[::-1]


def log_entries_query() -> Select[Any]:
    """decision_log with each entry's snapshot text resolved: its own copy when it has one (entries
    written before 0003), else the one stored under its hash in decision_snapshots (NULL if none).
    Every reader of the log selects through this."""
    t, snaps = s.decision_log, s.decision_snapshots
    columns = [c for c in t.c if c.name != "snapshot_json"]
    text = func.coalesce(t.c.snapshot_json, snaps.c.snapshot_json).label("snapshot_json")
    return select(*columns, text).select_from(t.outerjoin(snaps, snaps.c.snapshot_hash == t.c.snapshot_hash))
