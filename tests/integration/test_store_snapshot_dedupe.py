"""Decision-log snapshots are stored once by content (decision_snapshots) and still replay and verify."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Table, create_engine, delete, event, func, select, update

from adapters.store import SqlStore, open_store
from adapters.store import schema as s
from adapters.store.audit import log_row, sha256_hex, write_log_rows
from adapters.store.replay import Replayer
from adapters.store.upsert import insert_ignore_many
from policy_engine.domain.models import CustomerSnapshot
from tests.integration.conftest import PG_URL

AS_OF = date(2026, 11, 22)


@pytest.fixture(scope="module")
def policy() -> Any:
    """The shipped rules, compiled once."""
    try:
        from policy_engine.api import load_policy

        return load_policy()
    except Exception as exc:  # pragma: no cover - only while the core is being built
        pytest.skip(f"policy core not loadable: {exc}")


def _count(store: SqlStore, table: Table) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _decide(store: SqlStore, policy: Any, snapshot: CustomerSnapshot, source: str = "service") -> None:
    store.record_policy(policy)
    store.record_decision(snapshot, policy.evaluate(snapshot, as_of=AS_OF), source=source)


def test_two_decisions_on_the_same_snapshot_store_its_text_once(
    db_url: str,
    policy: Any,
    make_snapshot: Callable[..., CustomerSnapshot],
) -> None:
    store = open_store(db_url)
    snapshot = make_snapshot("C1")

    _decide(store, policy, snapshot, source="service")
    _decide(store, policy, snapshot, source="cli")
    _decide(store, policy, make_snapshot("C2"))

    assert _count(store, s.decision_log) == 3
    assert _count(store, s.decision_snapshots) == 2
    with store.engine.connect() as conn:
        own_copies = conn.execute(select(func.count()).where(s.decision_log.c.snapshot_json.is_not(None)))
        assert own_copies.scalar_one() == 0
        stored = conn.execute(select(s.decision_snapshots.c.snapshot_hash, s.decision_snapshots.c.snapshot_json))
        assert all(sha256_hex(text) == key for key, text in stored)
    entries = store.history("C1")
    assert [e.source for e in entries] == ["service", "cli"]
    assert all(e.snapshot_intact() for e in entries)
    assert all(e.snapshot is not None and e.snapshot.model_dump() == snapshot.model_dump() for e in entries)
    assert entries[0].snapshot_hash == entries[1].snapshot_hash == sha256_hex(snapshot.model_dump_json())


def test_decisions_replay_exactly_after_deduplication(
    db_url: str,
    policy: Any,
    make_snapshot: Callable[..., CustomerSnapshot],
) -> None:
    store = open_store(db_url)
    snapshot = make_snapshot("C1")
    decision = policy.evaluate(snapshot, as_of=AS_OF)
    store.record_policy(policy)

    store.record_decision(snapshot, decision, source="service")
    store.record_decisions([(snapshot, decision)] * 3, source="batch")  # duplicates within one write

    results = [Replayer(store.policy_files).replay(e) for e in store.history("C1")]
    assert [(r.reproduces, r.diffs) for r in results] == [(True, [])] * 4
    assert _count(store, s.decision_snapshots) == 1


def test_the_background_writer_stores_a_repeated_snapshot_once(
    db_url: str,
    policy: Any,
    make_snapshot: Callable[..., CustomerSnapshot],
) -> None:
    store = open_store(db_url, background_audit=True)
    snapshot = make_snapshot("C1")
    decision = policy.evaluate(snapshot, as_of=AS_OF)

    for _ in range(40):
        store.record_decision(snapshot, decision, source="service")
    store.flush()
    for _ in range(10):  # later batches find it stored already
        store.record_decision(snapshot, decision, source="service")
    store.close()

    reopened = open_store(db_url)
    assert len(reopened.history("C1")) == 50
    assert _count(reopened, s.decision_snapshots) == 1


def test_a_chunk_of_log_rows_is_two_statements_whatever_its_size(
    db_url: str,
    policy: Any,
    make_snapshot: Callable[..., CustomerSnapshot],
) -> None:
    store = open_store(db_url)
    snapshots = [make_snapshot(f"C{i % 40}") for i in range(120)]  # 40 distinct, each three times
    now = datetime.now(UTC)
    rows = [log_row(snap, policy.evaluate(snap, as_of=AS_OF), source="batch", decided_at=now) for snap in snapshots]
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    with store.engine.begin() as conn:
        write_log_rows(conn, rows[:60])
    with store.engine.begin() as conn:
        write_log_rows(conn, rows[60:])  # the same 40 snapshots again: nothing new to store

    writes = [q for q in statements if q.lstrip().upper().startswith("INSERT")]
    assert len(writes) == 4 and not [q for q in statements if q.lstrip().upper().startswith("SELECT")]
    assert _count(store, s.decision_snapshots) == 40 and _count(store, s.decision_log) == 120
    assert all(e.snapshot_intact() for e in store.history("C7"))


def test_an_edited_snapshot_text_is_detected_in_every_decision_that_references_it(
    db_url: str,
    policy: Any,
    make_snapshot: Callable[..., CustomerSnapshot],
) -> None:
    store = open_store(db_url)
    snapshot = make_snapshot("C1")
    _decide(store, policy, snapshot)
    _decide(store, policy, snapshot)
    _decide(store, policy, make_snapshot("C2"))
    forged = snapshot.model_copy(update={"current_limit": snapshot.current_limit * 10})  # type: ignore[operator]
    with store.engine.begin() as conn:
        conn.execute(
            update(s.decision_snapshots)
            .where(s.decision_snapshots.c.snapshot_hash == sha256_hex(snapshot.model_dump_json()))
            .values(snapshot_json=forged.model_dump_json())
        )

    entries = store.history("C1")
    results = [Replayer(store.policy_files).replay(e) for e in entries]

    assert [e.snapshot_intact() for e in entries] == [False, False]
    assert [(r.reproduces, r.diffs) for r in results] == [
        (False, ["snapshot: stored copy does not match its hash"])
    ] * 2
    assert store.history("C2")[0].snapshot_intact()  # other snapshots are untouched


def test_history_still_lists_a_decision_whose_snapshot_is_garbled_or_gone(
    db_url: str,
    policy: Any,
    make_snapshot: Callable[..., CustomerSnapshot],
) -> None:
    store = open_store(db_url)
    _decide(store, policy, make_snapshot("C1"))
    _decide(store, policy, make_snapshot("C2"))
    hash_of = {c: sha256_hex(make_snapshot(c).model_dump_json()) for c in ("C1", "C2")}
    with store.engine.begin() as conn:
        snaps = s.decision_snapshots
        conn.execute(update(snaps).where(snaps.c.snapshot_hash == hash_of["C1"]).values(snapshot_json="{not json"))
        conn.execute(delete(snaps).where(snaps.c.snapshot_hash == hash_of["C2"]))

    [garbled] = store.history("C1")
    [gone] = store.history("C2")

    assert (garbled.snapshot, garbled.snapshot_intact()) == (None, False)
    assert (gone.snapshot_json, gone.snapshot, gone.snapshot_intact()) == (None, None, False)
    replayer = Replayer(store.policy_files)
    assert replayer.replay(garbled).reproduces is False
    assert replayer.replay(gone).diffs == [f"snapshot: no stored copy under {hash_of['C2'][:12]}"]


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="CREDIT_POLICY_PG_URL is not set")
def test_concurrent_writers_of_the_same_snapshots_wait_and_skip_on_postgresql() -> None:
    from tests.integration.conftest import reset_postgres

    reset_postgres(PG_URL)
    open_store(PG_URL).close()
    engine = create_engine(PG_URL)
    now = datetime.now(UTC)

    def rows(*keys: str) -> list[dict[str, object]]:
        return [{"snapshot_hash": k, "snapshot_json": k, "first_seen": now} for k in keys]

    errors: list[BaseException] = []
    with engine.connect() as first:
        first.begin()
        insert_ignore_many(first, s.decision_snapshots, ["snapshot_hash"], rows("a", "b"))

        def second_writer() -> None:
            try:
                with engine.begin() as conn:  # blocks on "a" until the first commits, then skips it
                    insert_ignore_many(conn, s.decision_snapshots, ["snapshot_hash"], rows("a", "b", "c"))
            except BaseException as exc:  # pragma: no cover - the failure is asserted below
                errors.append(exc)

        thread = threading.Thread(target=second_writer)
        thread.start()
        time.sleep(0.5)
        first.commit()
    thread.join(30)

    with engine.connect() as conn:
        stored = sorted(conn.execute(select(s.decision_snapshots.c.snapshot_hash)).scalars())
    engine.dispose()
    assert errors == [] and not thread.is_alive()
    assert stored == ["a", "b", "c"]


def test_insert_ignore_many_counts_only_the_rows_it_inserted(db_url: str) -> None:
    store = open_store(db_url)
    now = datetime.now(UTC)

    def row(text: str) -> dict[str, Any]:
        return {"snapshot_hash": sha256_hex(text), "snapshot_json": text, "first_seen": now}

    with store.engine.begin() as conn:
        assert insert_ignore_many(conn, s.decision_snapshots, ["snapshot_hash"], [row("a"), row("b")]) == 2
    with store.engine.begin() as conn:  # "a" is there already, as if another writer had stored it
        assert insert_ignore_many(conn, s.decision_snapshots, ["snapshot_hash"], [row("a"), row("c")]) == 1
        assert insert_ignore_many(conn, s.decision_snapshots, ["snapshot_hash"], [row("a"), row("b")]) == 0
        assert insert_ignore_many(conn, s.decision_snapshots, ["snapshot_hash"], []) == 0
    assert _count(store, s.decision_snapshots) == 3

