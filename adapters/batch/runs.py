"""Run bookkeeping: the run key, partitions, the batch_runs rows and which customers are pending."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, case, exists, func, select, true, update

from adapters.batch import tables as t
from adapters.batch.scan import bucket_of
from adapters.store import lock_wait
from adapters.store import schema as s
from adapters.store.upsert import insert_ignore
from policy_engine.words import plural

_PART = re.compile(r"^(\d+)/(\d+)$")


@dataclass(frozen=True)
class Partition:
    """Part `index` of `count`: the customers whose stable hash modulo `count` is `index`."""

    index: int = 0
    count: int = 1

    @classmethod
    def parse(cls, text: str) -> Partition:
        """Parse `i/n` (0 ≤ i < n ≤ 4096); raise ValueError otherwise."""
        match = _PART.match(text.strip())
        if not match:
            raise ValueError(f"not a part I/N: {text!r}; write I/N such as 0/4 (part 0 of 4)")
        index, count = int(match[1]), int(match[2])
        if not 0 < count <= 4096 or not 0 <= index < count:
            raise ValueError(f"out of range: {text!r}; write I/N with 0 <= I < N <= 4096, such as 0/{max(count, 2)}")
        return cls(index, count)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, customer_id: str) -> bool:
        """Whether this part holds the customer."""
        return self.count == 1 or bucket_of(customer_id) % self.count == self.index

    def where(self) -> Any:
        """SQL condition on batch_results for the customers of this part."""
        if self.count == 1:
            return true()
        return (t.batch_results.c.bucket % self.count) == self.index


def make_run_id(as_of: date, policy_version: str) -> str:
    """A run is keyed by the as-of date and the policy version (which covers rules/portfolio.yaml)."""
    return f"{as_of.isoformat()}:{policy_version}"


OnWait = Callable[[str], None] | None
"""Told when a write waits over 2 s for another process's SQLite write lock (lock_wait.write)."""


def start_run(engine: Engine, run_id: str, part: Partition, as_of: date, policy_version: str,
              on_wait: OnWait = None, began: float | None = None) -> int:  # fmt: skip
    """Create or reopen the run's row for this part; return which attempt this is. `began`: when the attempt
    began (Unix seconds, its `seconds` counted from then; default now)."""
    when = time.time() if began is None else began
    return lock_wait.write(engine, lambda conn: _start(conn, run_id, part, (as_of, policy_version), when), on_wait)


def _start(conn: Connection, run_id: str, part: Partition, run: tuple[date, str], began: float) -> int:
    as_of, policy_version = run
    r = t.batch_runs
    key = (r.c.run_id == run_id) & (r.c.part == str(part))
    insert_ignore(conn, r, ["run_id", "part"], {
        "run_id": run_id, "part": str(part), "as_of": as_of, "policy_version": policy_version,
        "status": "new", "started_at": datetime.now(UTC),
        "attempts": 0, "seconds_all_attempts": 0.0, "attempts_ended": 0,
    })  # fmt: skip
    # With no attempt under way a busy period begins now; with one (another process, or one killed outright
    # that will never end) it goes on, and its time is added once no attempt is under way (_finish).
    idle = r.c.attempts_ended == r.c.attempts
    conn.execute(update(r).where(key).values(status="running", attempts=r.c.attempts + 1, finished_at=None,
                                             busy_since=case((idle, began), else_=r.c.busy_since)))  # fmt: skip
    return int(conn.execute(select(r.c.attempts).where(key)).scalar_one())


def complete_attempts(engine: Engine, run_id: str, part: Partition) -> tuple[int, float | None] | None:
    """The attempts of the part and their seconds together (None: unknown) when its row says `complete`,
    else None (new, running or failed)."""
    r = t.batch_runs
    with engine.connect() as conn:
        row = conn.execute(select(r.c.status, r.c.attempts, r.c.seconds_all_attempts, r.c.attempts_ended)
                           .where(r.c.run_id == run_id, r.c.part == str(part))).first()  # fmt: skip
    if row is None or row.status != "complete":
        return None
    return int(row.attempts), known_total(row._mapping)


def attempts_begun(engine: Engine, run_id: str, part: Partition) -> int:
    """The attempts begun at the part, ended or not; 0 when it has no row yet (none ever began: a first night)."""
    r = t.batch_runs
    with engine.connect() as conn:
        attempts = conn.execute(select(r.c.attempts).where(r.c.run_id == run_id, r.c.part == str(part))).scalar()
    return int(attempts or 0)


def known_total(row: Mapping[Any, Any]) -> float | None:
    """A batch_runs row's `seconds_all_attempts` when known: every attempt that began has ended (an attempt
    still under way or killed outright has not), and it was kept (migration 0006)."""
    total = row["seconds_all_attempts"]
    return None if total is None or row["attempts_ended"] != row["attempts"] else round(float(total), 2)


def finish_run(engine: Engine, run_id: str, part: Partition, status: str, counts: dict[str, int],
               seconds: float, on_wait: OnWait = None, ended_at: float | None = None) -> float | None:  # fmt: skip
    """Record how the attempt ended and the part's totals; return the seconds of all its attempts so far
    (None when unknown: a part from before migration 0006, another attempt under way or killed outright).
    A `failed` attempt leaves a part another process completed meanwhile as that one recorded it.
    `ended_at`: when the attempt's `seconds` were measured (Unix seconds; default now). The time spent
    after it, counting the part or waiting for the write lock, is in neither figure: a lone attempt's
    seconds and its part's seconds over all attempts are the same."""
    now = time.time() if ended_at is None else ended_at
    return lock_wait.write(engine, lambda conn: _finish(conn, run_id, part, (status, counts), (seconds, now)),
                           on_wait)  # fmt: skip


def _finish(conn: Connection, run_id: str, part: Partition, ended_as: tuple[str, dict[str, int]],
            timed: tuple[float, float]) -> float | None:  # fmt: skip
    (status, counts), (seconds, now) = ended_as, timed
    r = t.batch_runs
    key = (r.c.run_id == run_id) & (r.c.part == str(part))
    # The last attempt under way to end closes the busy period, from its start or this attempt's if earlier
    # (this attempt's seconds count from before the store was opened): overlapping attempts count once.
    began = case((r.c.busy_since < now - seconds, r.c.busy_since), else_=now - seconds)
    closes = r.c.attempts_ended + 1 == r.c.attempts
    total = case((closes, r.c.seconds_all_attempts + (now - began)), else_=r.c.seconds_all_attempts)
    ended: dict[str, Any] = {"status": status, "finished_at": datetime.now(UTC), "seconds": seconds,
                             **{name: counts.get(name) for name in ("customers", "ok", "quarantined", "skipped")}}
    if status == "failed":  # another process may have completed the part meanwhile: its row stands
        done = r.c.status == "complete"
        ended = {name: case((done, r.c[name]), else_=value) for name, value in ended.items()}
    conn.execute(update(r).where(key).values(**ended, seconds_all_attempts=total,
                                             attempts_ended=r.c.attempts_ended + 1))
    return known_total(conn.execute(select(r.c.seconds_all_attempts, r.c.attempts, r.c.attempts_ended)
                                    .where(key)).one()._mapping)  # fmt: skip


def status_counts(conn: Connection, run_id: str, part: Partition) -> dict[str, int]:
    """How many customers of the part are settled in the run, by status."""
    r = t.batch_results
    rows = conn.execute(
        select(r.c.status, func.count()).where(r.c.run_id == run_id, part.where()).group_by(r.c.status)
    )
    return {status: int(n) for status, n in rows}


def quarantined(conn: Connection, run_id: str, part: Partition, limit: int) -> list[tuple[str, str]]:
    """Up to `limit` of the part's quarantined customers in the run with their errors, by customer id."""
    r = t.batch_results
    rows = conn.execute(
        select(r.c.customer_id, r.c.error)
        .where(r.c.run_id == run_id, r.c.status == "quarantined", part.where())
        .order_by(r.c.customer_id)
        .limit(limit)
    )
    return [(str(customer_id), error or "") for customer_id, error in rows]


def newer_profiles(conn: Connection, run_id: str, part: Partition, as_of: date) -> int:
    """How many of the part's customers the run decided hold a profile of a later as-of, which the
    run left as it was (a run resumed or taken again after a later day's run)."""
    p, r = s.credit_profiles, t.batch_results
    if not conn.execute(select(exists().where(p.c.as_of > as_of))).scalar():
        return 0  # the usual night: no later profile anywhere, no join over the part
    joined = r.join(p, p.c.customer_id == r.c.customer_id)
    query = select(func.count()).select_from(joined).where(
        r.c.run_id == run_id, r.c.status == "ok", part.where(), p.c.as_of > as_of)
    return int(conn.execute(query).scalar_one())


def clear_quarantine(engine: Engine, run_id: str, part: Partition, on_wait: OnWait = None) -> int:
    """Forget the part's quarantined customers so the run takes them again (after the data is fixed)."""
    r = t.batch_results
    forget = r.delete().where(r.c.run_id == run_id, r.c.status == "quarantined", part.where())
    return lock_wait.write(engine, lambda conn: int(conn.execute(forget).rowcount or 0), on_wait)


def iter_customers(engine: Engine, run_id: str, part: Partition, page: int, descending: bool = False,
                   bounds: tuple[str | None, str | None] = (None, None)
                   ) -> Iterator[list[tuple[str, bool]]]:  # fmt: skip
    """The part's customers as (id, done in this run), in pages, walking the key (no long reads): up the key,
    or down it when `descending`, from `bounds[0]` (included; None: the first that way) to `bounds[1]`
    (excluded; None: to the last)."""
    c, r = s.customers.c.customer_id, t.batch_results
    joined = s.customers.outerjoin(r, (r.c.customer_id == c) & (r.c.run_id == run_id))
    first, stop = bounds
    query = select(c, r.c.customer_id.is_not(None)).select_from(joined).order_by(c.desc() if descending else c)
    if stop is not None:
        query = query.where(c > stop if descending else c < stop)
    after = None if first is None else (c <= first if descending else c >= first)
    while True:
        with engine.connect() as conn:
            rows = conn.execute(query.limit(page) if after is None else query.where(after).limit(page)).all()
        if not rows:
            return
        yield [(cid, bool(done)) for cid, done in rows if part.holds(cid)]
        after = c < rows[-1][0] if descending else c > rows[-1][0]


def count_customers(engine: Engine, run_id: str, part: Partition) -> tuple[int, int]:
    """(customers in the part, of which already settled in this run)."""
    total = done = 0
    for page in iter_customers(engine, run_id, part, 20_000):
        total += len(page)
        done += sum(1 for _, d in page if d)
    return total, done


def latest_run(conn: Connection, on_or_before: date | None = None) -> str | None:
    """The newest run (by as-of date, then start time), optionally not after a date."""
    r = t.batch_runs
    query = select(r.c.run_id).order_by(r.c.as_of.desc(), r.c.started_at.desc()).limit(1)
    if on_or_before is not None:
        query = query.where(r.c.as_of <= on_or_before)
    found = conn.execute(query).scalar()
    return None if found is None else str(found)


def resolve_run(conn: Connection, run: str | None) -> str | None:
    """A run id from a full id, a unique prefix such as the as-of date, or None for the newest."""
    if not run:
        return latest_run(conn)
    r = t.batch_runs
    ids = sorted(set(conn.execute(select(r.c.run_id).where(r.c.run_id.startswith(run, autoescape=True))).scalars()))
    if run in ids:
        return run
    if len(ids) > 1:
        # A bare date matches every policy version run that day: the newest one is meant.
        starts = conn.execute(
            select(r.c.run_id).where(r.c.run_id.in_(ids)).order_by(r.c.started_at.desc()).limit(1)
        ).scalar()
        return None if starts is None else str(starts)
    return ids[0] if ids else None


def unfinished(conn: Connection, run_id: str) -> str | None:
    """What keeps the run from being complete, in words for an operator (`part 0/1 failed; 800 of
    3,000 customers settled`), or None when every part of it is complete."""
    r = t.batch_runs
    rows = conn.execute(select(r.c.part, r.c.status).where(r.c.run_id == run_id))
    states = {str(part): str(status) for part, status in rows}
    counts = sorted({Partition.parse(part).count for part in states})
    if not counts or any(all(states.get(str(Partition(i, n))) == "complete" for i in range(n)) for n in counts):
        return None  # every part of one split is complete (a run is normally split one way only)
    parts = [str(Partition(i, counts[0])) for i in range(counts[0])]
    missing = [f"part {part} {states.get(part, 'not started')}" for part in parts if states.get(part) != "complete"]
    more = len(missing) - 4
    shown = "; ".join(missing[:4]) + (f" (and {more} more {plural(more, 'part')})" if more > 0 else "")
    settled = conn.execute(select(func.count()).where(t.batch_results.c.run_id == run_id)).scalar_one()
    customers = conn.execute(select(func.count()).select_from(s.customers)).scalar_one()
    return f"{shown}; {settled:,} of {customers:,} {plural(customers, 'customer')} settled"


def run_info(conn: Connection, run_id: str) -> dict[str, Any]:
    """The run's key fields and its parts' rows."""
    r = t.batch_runs
    rows = [dict(row._mapping) for row in conn.execute(select(r).where(r.c.run_id == run_id).order_by(r.c.part))]
    first = rows[0] if rows else {}
    return {
        "run_id": run_id,
        "as_of": first.get("as_of"),
        "policy_version": first.get("policy_version", ""),
        "parts": rows,
        "unfinished": unfinished(conn, run_id),
    }
