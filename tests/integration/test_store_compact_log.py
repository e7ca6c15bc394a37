"""`credit-policy compact-log`: old entries' own snapshot copies move into decision_snapshots, evidence kept."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update
from typer.testing import CliRunner

from adapters.store import make_engine, migrate, open_store
from adapters.store import schema as s
from adapters.store.audit import log_row, record_policy_files, sha256_hex
from adapters.store.compact import (
    DEFAULT_BATCH,
    HASH_MISMATCH,
    MAX_BATCH,
    SHARED_COPY_DIFFERS,
    CompactError,
    compact_log,
    open_log_engine,
)
from adapters.store.replay import Replayer
from policy_engine.domain.models import CustomerSnapshot

AS_OF = date(2026, 11, 22)
CUSTOMERS = ("C1", "C2", "C3", "C4", "C5")


def _before_0004(row: dict[str, Any]) -> dict[str, Any]:
    """A log_row row as revisions before 0004 stored it: without the `build` column 0004 added."""
    return {k: v for k, v in row.items() if k != "build"}


@pytest.fixture(scope="module")
def policy() -> Any:
    """The shipped rules, compiled once."""
    from policy_engine.api import load_policy

    return load_policy()


@pytest.fixture
def old_log(db_url: str, policy: Any, make_snapshot: Callable[..., CustomerSnapshot]) -> Iterator[Engine]:
    """A store at 0002 with 23 logged decisions on 5 distinct snapshots (each entry its own copy), upgraded."""
    engine = make_engine(db_url)
    migrate(engine, "0002")
    snapshots = {c: make_snapshot(c) for c in CUSTOMERS}
    decisions = {c: policy.evaluate(snap, as_of=AS_OF) for c, snap in snapshots.items()}
    with engine.begin() as conn:  # written the way 0002 wrote them
        record_policy_files(conn, policy.version, policy.files)
        for i in range(23):
            c = CUSTOMERS[i % len(CUSTOMERS)]
            row = log_row(snapshots[c], decisions[c], source="service")
            conn.execute(s.decision_log.insert(), [_before_0004(row)])
    migrate(engine)
    yield engine
    engine.dispose()


def _runner() -> Callable[..., Any]:
    from policy_engine.cli import build_app

    app = build_app()
    return lambda *args: CliRunner().invoke(app, list(args))


@pytest.fixture
def run(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Any]:
    """Run `credit-policy <args>` against the test database (passed through $CREDIT_POLICY_DB)."""
    monkeypatch.setenv("CREDIT_POLICY_DB", db_url)
    monkeypatch.chdir(tmp_path)
    return _runner()


def _dump(engine: Engine) -> tuple[list[Any], list[Any]]:
    with engine.connect() as conn:
        log = conn.execute(select(s.decision_log).order_by(s.decision_log.c.id)).all()
        snaps = conn.execute(select(s.decision_snapshots).order_by(s.decision_snapshots.c.snapshot_hash)).all()
    return [tuple(r) for r in log], [tuple(r) for r in snaps]


def _own_copies(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        query = select(s.decision_log.c.id).where(s.decision_log.c.snapshot_json.is_not(None))
        return list(conn.execute(query.order_by(s.decision_log.c.id)).scalars())


def _all_entries(db_url: str) -> list[Any]:
    store = open_store(db_url)
    try:
        return [e for c in CUSTOMERS for e in store.history(c)]
    finally:
        store.close()


def _all_replay(db_url: str) -> list[bool | None]:
    store = open_store(db_url)
    try:
        replayer = Replayer(store.policy_files)
        return [replayer.replay(e).reproduces for c in CUSTOMERS for e in store.history(c)]
    finally:
        store.close()


def _history_outputs(run: Callable[..., Any]) -> list[str]:
    """`history` as a table and as JSON for every customer, and with --replay for one (each compiles the rules)."""
    outputs = []
    for args in [[c, *extra] for c in CUSTOMERS for extra in ([], ["--json"])] + [["C2", "--replay", "--json"]]:
        result = run("history", *args)
        assert result.exit_code == 0, result.stderr
        outputs.append(result.stdout)
    return outputs


def test_compaction_moves_every_copy_once_and_history_and_replay_are_unchanged(
    old_log: Engine, db_url: str, run: Callable[..., Any], policy: Any, make_snapshot: Callable[..., CustomerSnapshot]
) -> None:
    store = open_store(db_url)  # an entry written since 0003 already shares C1's text
    store.record_decision(make_snapshot("C1"), policy.evaluate(make_snapshot("C1"), as_of=AS_OF), source="batch")
    store.close()
    history_before = _history_outputs(run)
    texts = {c: make_snapshot(c).model_dump_json() for c in CUSTOMERS}

    result = run("compact-log")

    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["status"], summary["rows_with_own_copy"], summary["rows_moved"]) == ("done", 23, 23)
    assert summary["snapshots_added"] == 4  # C1's was stored by the new entry
    assert summary["bytes_moved"] == sum(len(texts[CUSTOMERS[i % 5]].encode()) for i in range(23))
    assert (summary["rows_refused"], summary["refused"], summary["chunks"]) == (0, [], 1)
    assert _own_copies(old_log) == []
    with old_log.connect() as conn:
        stored = conn.execute(select(s.decision_snapshots.c.snapshot_hash, s.decision_snapshots.c.snapshot_json)).all()
    assert sorted(t for _, t in stored) == sorted(texts.values())  # each distinct text once
    assert all(sha256_hex(t) == h for h, t in stored)
    entries = _all_entries(db_url)
    assert len(entries) == 24 and all(e.snapshot_intact() for e in entries)
    assert _all_replay(db_url) == [True] * 24
    assert _history_outputs(run) == history_before


def test_a_tampered_entry_is_refused_and_left_exactly_as_it_was(
    old_log: Engine, db_url: str, run: Callable[..., Any]
) -> None:
    log = s.decision_log
    with old_log.begin() as conn:
        ids = list(conn.execute(select(log.c.id).order_by(log.c.id)).scalars())
        edited = conn.execute(select(log.c.snapshot_json).where(log.c.id == ids[7])).scalar_one()
        forged = edited.replace('"current_limit":"50000.00"', '"current_limit":"500000.00"')
        assert forged != edited
        conn.execute(update(log).where(log.c.id == ids[7]).values(snapshot_json=forged))
    row_before = _dump(old_log)[0][7]

    result = run("compact-log", "--batch", "5")

    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["rows_moved"] == 22 and summary["rows_refused"] == 1
    assert summary["refused"] == [{"id": ids[7], "reason": HASH_MISMATCH}]
    assert f"refused #{ids[7]}: hash_mismatch" in result.stderr
    assert _own_copies(old_log) == [ids[7]]
    assert _dump(old_log)[0][7] == row_before  # untouched, still its own (altered) copy
    intact = {e.id: e.snapshot_intact() for e in _all_entries(db_url)}
    assert [i for i, ok in intact.items() if not ok] == [ids[7]]
    again = json.loads(run("compact-log").stdout)  # refused again, never moved
    assert (again["rows_moved"], again["refused"]) == (0, summary["refused"])


def test_an_altered_shared_copy_never_replaces_an_entrys_genuine_one(
    old_log: Engine, db_url: str, make_snapshot: Callable[..., CustomerSnapshot]
) -> None:
    genuine = make_snapshot("C2").model_dump_json()
    key = sha256_hex(genuine)
    with old_log.begin() as conn:  # someone altered the shared copy of C2's snapshot
        conn.execute(
            s.decision_snapshots.insert().values(snapshot_hash=key, snapshot_json=genuine.replace("C2", "C9"),
                                                 first_seen=datetime.now(UTC))
        )  # fmt: skip

    summary = compact_log(old_log)

    c2 = [e.id for e in _all_entries(db_url) if e.customer_id == "C2"]
    assert summary.rows_moved == 23 - len(c2)
    assert sorted(r.id for r in summary.refused) == c2
    assert {r.reason for r in summary.refused} == {SHARED_COPY_DIFFERS}
    assert _own_copies(old_log) == c2
    assert all(e.snapshot_intact() for e in _all_entries(db_url))  # C2's entries still read their own copy


def test_an_interrupted_run_loses_nothing_and_the_next_run_finishes(old_log: Engine, db_url: str) -> None:
    ids = _own_copies(old_log)

    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt  # after the first chunk committed

    with pytest.raises(KeyboardInterrupt):
        compact_log(old_log, batch=10, progress=interrupt)

    assert _own_copies(old_log) == ids[10:]  # the first chunk moved, the rest untouched
    assert all(e.snapshot_intact() for e in _all_entries(db_url))
    seen: list[tuple[int, int]] = []
    resumed = compact_log(old_log, batch=10, progress=lambda done, total: seen.append((done, total)))
    assert (resumed.rows_with_own_copy, resumed.rows_moved, resumed.chunks) == (13, 13, 2)
    assert resumed.snapshots_added == 0  # the first chunk stored all five
    assert seen == [(10, 13), (13, 13)]
    assert _own_copies(old_log) == []
    assert _all_replay(db_url) == [True] * 23


def test_a_second_run_does_nothing(old_log: Engine) -> None:
    compact_log(old_log, batch=7)
    after_first = _dump(old_log)

    second = compact_log(old_log, batch=7)

    assert (second.rows_with_own_copy, second.rows_moved, second.snapshots_added, second.chunks) == (0, 0, 0, 0)
    assert _dump(old_log) == after_first


def test_a_dry_run_counts_what_would_move_and_changes_nothing(old_log: Engine, run: Callable[..., Any]) -> None:
    before = _dump(old_log)

    dry = run("compact-log", "--dry-run", "--batch", "4")

    assert dry.exit_code == 0, dry.stderr
    assert _dump(old_log) == before
    real = run("compact-log", "--batch", "4")
    counted, done = json.loads(dry.stdout), json.loads(real.stdout)
    assert counted["status"] == "dry_run" and done["status"] == "done"
    for key in ("rows_with_own_copy", "rows_moved", "snapshots_added", "bytes_moved", "rows_refused", "chunks"):
        assert counted[key] == done[key], key
    assert counted["snapshots_added"] == 5  # distinct across chunks, not once per chunk


def test_compaction_beside_the_service_writing_and_a_second_compaction(
    old_log: Engine, db_url: str, policy: Any, make_snapshot: Callable[..., CustomerSnapshot]
) -> None:
    snapshots = [make_snapshot(c) for c in (*CUSTOMERS, "C6")]
    decisions = [(snap, policy.evaluate(snap, as_of=AS_OF)) for snap in snapshots]
    errors: list[BaseException] = []
    results = []

    def service() -> None:
        store = open_store(db_url, background_audit=True)
        try:
            for i in range(60):
                snap, decision = decisions[i % len(decisions)]
                store.record_decision(snap, decision, source="service")
                if i % 10 == 9:
                    store.flush()
        except BaseException as exc:  # pragma: no cover - asserted below
            errors.append(exc)
        finally:
            store.close()

    def compaction() -> None:
        try:
            results.append(compact_log(old_log, batch=2))
        except BaseException as exc:  # pragma: no cover - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=f) for f in (service, compaction, compaction)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert sum(r.rows_moved for r in results) == 23  # each entry moved by exactly one run
    assert sum(r.snapshots_added for r in results) <= 5
    assert _own_copies(old_log) == []
    with old_log.connect() as conn:
        assert conn.execute(select(func.count()).select_from(s.decision_snapshots)).scalar_one() == 6
        assert conn.execute(select(func.count()).select_from(s.decision_log)).scalar_one() == 83
    entries = _all_entries(db_url)
    assert len(entries) == 23 + 50 and all(e.snapshot_intact() for e in entries)  # C6's ten not listed here


def test_vacuum_gives_the_space_back(old_log: Engine, db_url: str, run: Callable[..., Any]) -> None:
    with old_log.connect() as raw:  # start from a packed file (the 0003 rebuild left free pages)
        raw.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
            "VACUUM" if old_log.dialect.name == "sqlite" else "VACUUM decision_log"
        )

    result = run("compact-log", "--vacuum")

    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["rows_moved"] == 23 and summary["vacuum"]["ran"]
    if old_log.dialect.name == "sqlite":
        size = summary["size"]
        assert size["measure"] == "sqlite file + WAL"
        assert size["bytes_after"] < size["bytes_before"] - summary["bytes_moved"] // 2
        assert size["bytes_after"] == Path(old_log.url.database or "").stat().st_size  # WAL truncated
    else:
        assert summary["vacuum"]["ran"] == ["VACUUM (ANALYZE) decision_log, decision_snapshots"]
    assert _all_replay(db_url) == [True] * 23


def test_a_store_before_0003_is_refused_by_name_and_upgraded_on_request(
    db_url: str, run: Callable[..., Any], policy: Any, make_snapshot: Callable[..., CustomerSnapshot]
) -> None:
    engine = make_engine(db_url)
    migrate(engine, "0002")
    with engine.begin() as conn:
        snap = make_snapshot("C1")
        row = log_row(snap, policy.evaluate(snap, as_of=AS_OF), source="cli")
        conn.execute(s.decision_log.insert(), [_before_0004(row)])

    refused = run("compact-log")
    upgraded = run("compact-log", "--upgrade")

    assert refused.exit_code == 2 and refused.stdout == ""
    assert "revision 0002, before 0003" in refused.stderr and "--upgrade" in refused.stderr
    assert upgraded.exit_code == 0, upgraded.stderr
    assert json.loads(upgraded.stdout)["rows_moved"] == 1
    assert _own_copies(engine) == []
    engine.dispose()


def test_bad_urls_and_foreign_databases_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CREDIT_POLICY_DB", f"sqlite:///{tmp_path / 'default.sqlite'}")
    run = _runner()
    missing = tmp_path / "nowhere.sqlite"
    empty = tmp_path / "empty.sqlite"
    make_engine(f"sqlite:///{empty}").connect().close()

    for url, message in [
        (f"sqlite:///{missing}", f"no store at {missing}"),
        (f"sqlite:///{empty}", "the database is empty (no tables; nothing was created in it)"),
        ("not a url", "not a database URL"),
        ("sqlite://", "an in-memory SQLite database has no decision log"),
        (f"sqlite:///file:{empty}?uri=true", "SQLite URI filenames (file:…) are not taken here"),
        ("nosuchdb://host/db", "cannot open the store nosuchdb://host/db: no database 'nosuchdb' here"),
        ("postgresql+psycopg://u:secret@127.0.0.1:1/db",
         "cannot open the store postgresql+psycopg://u:***@127.0.0.1:1/db"),
    ]:
        with pytest.raises(CompactError, match=re.escape(message)):
            open_log_engine(url)
        result = run("compact-log", "--db", url)
        assert result.exit_code == 2 and message in result.stderr and "secret" not in result.stderr
    assert not missing.exists()  # never created
    assert run("compact-log", "--batch", str(MAX_BATCH + 1)).exit_code == 2
    assert run("compact-log", "--dry-run", "--vacuum").exit_code == 2


def test_the_command_line_bounds_match_the_module() -> None:
    from policy_engine.cli import store_cmds

    assert (store_cmds.COMPACT_BATCH, store_cmds.COMPACT_MAX_BATCH) == (DEFAULT_BATCH, MAX_BATCH)
