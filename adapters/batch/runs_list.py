"""The runs in the store, newest first, for `credit-policy runs`: each part's status and what it has settled."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from adapters.batch import tables as t
from adapters.batch.runs import Partition, known_total
from adapters.store import schema as s

FIELDS = ("run_id", "as_of", "policy_version", "part", "status", "attempts", "customers", "settled", "ok",
          "quarantined", "skipped", "started_at", "finished_at", "last_settled_at", "seconds",
          "seconds_all_attempts")  # fmt: skip


def list_runs(conn: Connection, limit: int) -> list[dict[str, Any]]:
    """The parts of the newest `limit` runs (by as-of date, then start), each with its settled customers
    counted in batch_results: a part stopped without a word (kill -9) still says `running` in batch_runs,
    and the time its last customer settled is what tells the two apart."""
    r = t.batch_runs
    newest = (select(r.c.run_id, func.max(r.c.as_of).label("as_of"), func.max(r.c.started_at).label("started"))
              .group_by(r.c.run_id).order_by(func.max(r.c.as_of).desc(), func.max(r.c.started_at).desc())
              .limit(limit).subquery())  # fmt: skip
    query = (select(r).join(newest, newest.c.run_id == r.c.run_id)
             .order_by(newest.c.as_of.desc(), newest.c.started.desc(), r.c.part))  # fmt: skip
    return [_part(conn, dict(row._mapping)) for row in conn.execute(query)]


def _part(conn: Connection, row: dict[str, Any]) -> dict[str, Any]:
    part, b = Partition.parse(row["part"]), t.batch_results
    counts = {status: (n, last) for status, n, last in conn.execute(
        select(b.c.status, func.count(), func.max(b.c.decided_at))
        .where(b.c.run_id == row["run_id"], part.where()).group_by(b.c.status))}  # fmt: skip
    row.update({status: counts.get(status, (0, None))[0] for status in ("ok", "quarantined", "skipped")})
    row["settled"] = sum(n for n, _ in counts.values())
    row["last_settled_at"] = max((last for _, last in counts.values() if last is not None), default=None)
    if row["status"] != "complete" and part.count == 1:  # counted when an attempt ends; a crash leaves none
        row["customers"] = conn.execute(select(func.count()).select_from(s.customers)).scalar_one()
    row["seconds"] = None if row["seconds"] is None else round(row["seconds"], 2)  # as the batch's summary gives it
    row["seconds_all_attempts"] = known_total(row)
    return {field: row.get(field) for field in FIELDS}
