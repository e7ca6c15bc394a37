"""The SQL adapter of the CustomerStore port (SQLite embedded, PostgreSQL in production)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import DBAPIError

from adapters.store import schema as s
from adapters.store.audit import (
    SOURCES,
    LoggedDecision,
    history,
    log_row,
    policy_files,
    record_policy_files,
    write_log_rows,
)
from adapters.store.audit_writer import AuditWriter
from adapters.store.engine import database_unavailable, make_engine, require_sqlite_json, scrub_password
from adapters.store.lock_wait import write
from adapters.store.schema_head import require_schema_head
from adapters.store.snapshots import load_snapshots, replace_snapshot
from adapters.store.snapshots_pg import load_snapshots_pg
from adapters.store.snapshots_sqlite import load_snapshot_sqlite
from adapters.store.upsert import upsert
from policy_engine.build import build_id
from policy_engine.domain.errors import CustomerNotFound, StoredRecordInvalid, StoreUnavailable, violations_from
from policy_engine.domain.models import CustomerDecision, CustomerSnapshot, OrderDecision, OrderRequest
from policy_engine.ports import CustomerStore, PolicyFiles

RECORDING = "to record the decision"
"""What a decision written now waits for the write lock for (lock_wait.waiting_line): said, because
`evaluate --db` and `check-order --db` otherwise only read and would not be expected to wait for it."""


class SqlStore(CustomerStore):
    """Customer records, credit profiles and the decision log in one SQL database."""

    def __init__(self, engine: Engine, *, background_audit: bool = False):
        self.engine = engine
        self._known_versions: set[str] = set()
        self._writer = AuditWriter(log_row, self._insert_log_rows) if background_audit else None
        self._failures_seen = 0
        # One customer in a single statement: on PostgreSQL one round trip instead of seven, on SQLite
        # the child rows as JSON arrays built in C instead of ~50 rows through SQLAlchemy.
        self._load = load_snapshots_pg if self.dialect == "postgresql" else load_snapshot_sqlite
        build_id()  # the decision code every entry names: hashed now, as loaded, once per process (~2 ms)

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    def _reader(self) -> Connection:
        """A connection for reads. On PostgreSQL in autocommit: under READ COMMITTED each statement
        sees its own snapshot anyway, and it saves the BEGIN and ROLLBACK round trips."""
        conn = self.engine.connect()
        if self.dialect == "postgresql":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        return conn

    def close(self) -> None:
        """Write what the decision log still has queued, then release the connection pool."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self.engine.dispose()

    def flush(self) -> None:
        """Wait until every decision recorded so far is in the database."""
        if self._writer is not None:
            self._writer.flush()

    def new_log_failures(self) -> int:
        """Decision-log entries the background writer could not write since the previous call (each
        is also logged at error level); 0 without one. Call from one thread (the service's)."""
        if self._writer is None:
            return 0
        total = self._writer.failures  # only the writer thread adds to it
        new, self._failures_seen = total - self._failures_seen, total
        return new

    def log_backlog(self) -> int:
        """Decisions the background writer holds and has not committed yet; 0 without one. Any thread."""
        writer = self._writer
        return writer.backlog if writer is not None else 0

    def mirror_log_backlog(self, target: Any) -> None:
        """Keep `target.value` (a counter shared with another process) equal to log_backlog()."""
        if self._writer is not None:
            self._writer.mirror = target
            target.value = self._writer.backlog

    def _insert_log_rows(self, rows: list[dict[str, Any]]) -> None:
        with self.engine.begin() as conn:
            write_log_rows(conn, rows)

    def get_snapshot(self, customer_id: str, as_of: date | None = None) -> CustomerSnapshot:
        """Load one customer's snapshot as known on `as_of` (one statement); raise CustomerNotFound,
        StoredRecordInvalid for a record that is not a valid snapshot, or StoreUnavailable when the
        database cannot be reached."""
        try:
            with self._reader() as conn:
                found = self._load(conn, [customer_id], as_of)
        except ValidationError as exc:
            raise StoredRecordInvalid(customer_id, violations_from(exc)) from exc
        except DBAPIError as exc:
            if not database_unavailable(exc):
                raise
            raise StoreUnavailable(scrub_password(f"{type(exc).__name__}: {exc.orig}",
                                                  self.engine.url.render_as_string(hide_password=False))) from exc
        if customer_id not in found:
            raise CustomerNotFound(customer_id)
        return found[customer_id]

    def get_snapshots(self, customer_ids: Sequence[str], as_of: date | None = None) -> list[CustomerSnapshot]:
        """Load many snapshots as known on `as_of` with one query per table; unknown ids are left out, order is kept."""
        with self._reader() as conn:
            # Many at once: one IN query per table beats per-customer subqueries (measured on PostgreSQL).
            found = load_snapshots(conn, list(customer_ids), as_of)
        return [found[i] for i in customer_ids if i in found]

    def iter_customer_ids(self, chunk_size: int = 1000) -> Iterator[list[str]]:
        """Every customer id in ascending order, paged by key so the walk never holds a long read."""
        column = s.customers.c.customer_id
        after: str | None = None
        while True:
            query = select(column).order_by(column).limit(chunk_size)
            if after is not None:
                query = query.where(column > after)
            with self.engine.connect() as conn:
                ids = list(conn.execute(query).scalars())
            if not ids:
                return
            yield ids
            after = ids[-1]

    def save_snapshot(self, snapshot: CustomerSnapshot) -> None:
        """Store a whole snapshot, replacing what the store held for that customer."""
        with self.engine.begin() as conn:
            replace_snapshot(conn, snapshot)

    def save_profile(self, decision: CustomerDecision) -> None:
        """Make `decision` the customer's current credit profile (the customer must exist)."""
        row = {
            "customer_id": decision.customer_id,
            "grade": decision.grade,
            "grade_class": decision.grade_class,
            "value_class": decision.value_class,
            "credit_limit": decision.credit_limit,
            "currency": decision.currency,
            "limit_valid_until": decision.limit_valid_until,
            "next_review_on": decision.next_review_on,
            "score": decision.score,
            "policy_version": decision.policy_version,
            "as_of": decision.as_of,
        }
        with self.engine.begin() as conn:
            upsert(conn, s.credit_profiles, ["customer_id"], [row])

    def record_policy(self, policy: PolicyFiles | str, files: Mapping[str, str] | None = None, *,
                      on_wait: Callable[[str], None] | None = None) -> None:  # fmt: skip
        """Keep the rule files of a policy version (once per version): pass a Policy, or version and files.
        `on_wait(line)` is told when the write waits over 2 s for another process's SQLite write lock."""
        if isinstance(policy, str):
            version, files = policy, files or {}
        else:
            version, files = policy.version, policy.files
        if version in self._known_versions:
            return
        write(self.engine, lambda conn: record_policy_files(conn, version, files), on_wait, RECORDING)
        self._known_versions.add(version)

    def record_decision(
        self,
        snapshot: CustomerSnapshot,
        decision: CustomerDecision,
        *,
        source: str,
        order: OrderDecision | None = None,
        order_request: OrderRequest | None = None,
        policy: PolicyFiles | None = None,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        """Append one decision to the audit log: now in its own transaction, or queued for the writer.

        `policy`: the rule files of the decision's policy version, kept (once per version) in the same
        transaction, so a decision locked out leaves nothing of itself behind. `on_wait(line)` is told when
        writing it now waits over 2 s for another process's SQLite write lock."""
        if source not in SOURCES:
            raise ValueError(f"unknown decision source {source!r}; expected one of {sorted(SOURCES)}")
        if policy is not None and policy.version != decision.policy_version:
            raise ValueError(f"the rule files given are of policy version {policy.version}, "
                             f"the decision of {decision.policy_version}")
        when = datetime.now(UTC)
        if self._writer is not None:
            if policy is not None:  # the queued decision needs its files in the store first
                self.record_policy(policy, on_wait=on_wait)
            self._writer.put(
                snapshot, decision, source=source, order=order, order_request=order_request, decided_at=when
            )
            return
        row = log_row(snapshot, decision, source=source, order=order, order_request=order_request, decided_at=when)
        files = policy if policy is not None and policy.version not in self._known_versions else None

        def files_then_decision(conn: Connection) -> None:
            if files is not None:
                record_policy_files(conn, files.version, files.files)
            write_log_rows(conn, [row])

        write(self.engine, files_then_decision, on_wait, RECORDING)
        if files is not None:
            self._known_versions.add(files.version)

    def record_decisions(self, decisions: Sequence[tuple[CustomerSnapshot, CustomerDecision]], *, source: str) -> None:
        """Append many customer decisions in one transaction."""
        now = datetime.now(UTC)
        rows = [log_row(snap, dec, source=source, decided_at=now) for snap, dec in decisions]
        if rows:
            self._insert_log_rows(rows)

    def history(self, customer_id: str, last: int | None = None) -> list[LoggedDecision]:
        """A customer's logged decisions, oldest first."""
        self.flush()
        with self.engine.connect() as conn:
            return history(conn, customer_id, last)

    def policy_files(self, version: str) -> dict[str, str] | None:
        """The rule files of a recorded policy version."""
        with self.engine.connect() as conn:
            return policy_files(conn, version)


def open_store(url: str | None = None, *, upgrade: bool = True, background_audit: bool = False,
               on_wait: Callable[[str], None] | None = None, require_head: bool = False) -> SqlStore:  # fmt: skip
    """Open the store at `url` (default: $CREDIT_POLICY_DB or the embedded SQLite file), migrated to head.

    `background_audit=True` (the service) writes the decision log from a background thread in
    batches, so a decision waits for a queue put instead of a commit; call `close()` at shutdown.
    `on_wait(line)` is told when the migration waits over 2 s for another process's SQLite write lock.
    `upgrade=False, require_head=True` (a process opening a store its service migrated): StoreAtAnotherRevision
    (schema_head.py) unless it is at this code's schema.
    """
    engine = make_engine(url)
    require_sqlite_json(engine)
    if require_head and not upgrade:
        try:
            require_schema_head(engine)
        except BaseException:
            engine.dispose()
            raise
    if upgrade:
        # Here, not at the top: alembic (and the mako and pygments it imports) is ~0.15 CPU-s of an engine
        # worker's start, which opens a store the front process migrated and never migrates one itself.
        from adapters.store.revisions import migrate

        migrate(engine, on_wait=on_wait)
    return SqlStore(engine, background_audit=background_audit)
