"""Migrations upgrade an empty database and one left at the first migration."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import inspect, text

from adapters.store import make_engine, migrate, open_store
from adapters.store.revisions import current_revision, head_revision


def test_migrations_upgrade_an_empty_database_to_head(db_url: str) -> None:
    engine = make_engine(db_url)

    migrate(engine)

    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"customers", "invoices", "orders", "financial_statements", "staff_signals", "assessments",
            "contacts", "credit_profiles", "decision_log", "policy_versions"} <= tables  # fmt: skip


def test_migrations_upgrade_a_database_from_the_first_migration_keeping_its_data(db_url: str) -> None:
    engine = make_engine(db_url)
    _store_at_with_one_invoice(engine, "0001", "12.50", "0")

    store = open_store(db_url)

    assert current_revision(engine) == head_revision()
    assert "decision_log" in inspect(engine).get_table_names()
    snapshot = store.get_snapshot("C1")
    assert snapshot.name == "Early"
    assert str(snapshot.invoices[0].amount) in {"12.5", "12.50"}


def _store_at_with_one_invoice(engine: Any, revision: str, amount: str, paid_amount: str) -> None:
    """The store migrated to `revision` only, holding customer C1 ('Early') with invoice I1 as an earlier release
    kept it (the money as the text given: decimal text on SQLite, numeric on PostgreSQL)."""
    migrate(engine, revision)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO customers (customer_id, name) VALUES ('C1', 'Early')"))
        conn.execute(text("INSERT INTO invoices (invoice_id, customer_id, issued_on, due_on, amount, paid_amount) "
                          "VALUES ('I1', 'C1', :d, :d, :amount, :paid)"),
                     {"d": date(2026, 1, 1), "amount": amount, "paid": paid_amount})  # fmt: skip


def test_opening_a_store_at_head_twice_is_a_no_op(db_url: str) -> None:
    open_store(db_url).close()

    store = open_store(db_url)

    assert current_revision(store.engine) == head_revision()


def test_the_sqlite_store_runs_in_wal_mode_with_foreign_keys_on(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = open_store(f"sqlite:///{tmp_path / 'x.sqlite'}")

    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_migrations_step_back_to_the_first_and_up_again(db_url: str) -> None:
    from adapters.store.revisions import downgrade

    engine = make_engine(db_url)
    migrate(engine)

    downgrade(engine, "0001")
    assert "decision_log" not in inspect(engine).get_table_names()
    migrate(engine)

    assert current_revision(engine) == head_revision()
    assert "decision_log" in inspect(engine).get_table_names()


def _before_0004(row: dict[str, Any]) -> dict[str, Any]:
    """A log_row row as revisions before 0004 stored it: without the `build` column 0004 added."""
    return {k: v for k, v in row.items() if k != "build"}


def _log_at_0002(engine: Any, policy: Any, snapshots: list[Any]) -> None:
    """Decisions written the way revision 0002 wrote them: every entry with its own snapshot copy."""
    from adapters.store import schema as s
    from adapters.store.audit import log_row, record_policy_files

    with engine.begin() as conn:
        record_policy_files(conn, policy.version, policy.files)
        for snapshot in snapshots:
            row = log_row(snapshot, policy.evaluate(snapshot, as_of=date(2026, 11, 22)), source="service")
            conn.execute(s.decision_log.insert(), [_before_0004(row)])


def test_a_store_at_0002_with_logged_decisions_keeps_them_readable_and_replayable(db_url: str, make_snapshot) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select, update

    from adapters.store import schema as s
    from adapters.store.audit import sha256_hex
    from adapters.store.replay import Replayer
    from policy_engine.api import load_policy

    policy = load_policy()
    engine = make_engine(db_url)
    migrate(engine, "0002")
    snapshot = make_snapshot("C1")
    _log_at_0002(engine, policy, [snapshot, snapshot, make_snapshot("C2")])

    store = open_store(db_url)
    store.record_decision(snapshot, policy.evaluate(snapshot, as_of=date(2026, 11, 22)), source="batch")

    assert current_revision(engine) == head_revision()
    entries = store.history("C1")
    assert [e.source for e in entries] == ["service", "service", "batch"]
    assert all(e.snapshot_intact() and e.snapshot == snapshot for e in entries)
    assert [Replayer(store.policy_files).replay(e).reproduces for e in entries] == [True, True, True]
    with engine.connect() as conn:  # old entries keep their own copy; the new one references the shared one
        own = conn.execute(select(s.decision_log.c.id).where(s.decision_log.c.snapshot_json.is_not(None)))
        assert len(own.all()) == 3
        assert conn.execute(select(func.count()).select_from(s.decision_snapshots)).scalar_one() == 1
    with engine.begin() as conn:  # an old entry's own copy is still checked against its own hash
        first = entries[0].id
        conn.execute(update(s.decision_log).where(s.decision_log.c.id == first).values(snapshot_json="{}"))
    assert [e.snapshot_intact() for e in store.history("C1")] == [False, True, True]
    assert store.history("C2")[0].snapshot_hash == sha256_hex(make_snapshot("C2").model_dump_json())


def test_stepping_back_to_0002_puts_each_snapshot_back_into_its_entry(db_url: str, make_snapshot) -> None:  # type: ignore[no-untyped-def]
    from adapters.store.revisions import downgrade
    from policy_engine.api import load_policy

    policy = load_policy()
    store = open_store(db_url)
    store.record_policy(policy)
    snapshot = make_snapshot("C1")
    decision = policy.evaluate(snapshot, as_of=date(2026, 11, 22))
    store.record_decisions([(snapshot, decision), (snapshot, decision)], source="batch")
    store.close()
    engine = make_engine(db_url)

    downgrade(engine, "0002")

    assert "decision_snapshots" not in inspect(engine).get_table_names()
    with engine.connect() as conn:
        texts = conn.execute(text("SELECT snapshot_json FROM decision_log")).scalars().all()
    assert texts == [snapshot.model_dump_json()] * 2
    reopened = open_store(db_url)
    assert [e.snapshot_intact() for e in reopened.history("C1")] == [True, True]


def test_a_store_at_0003_with_logged_decisions_upgrades_with_their_build_unknown(db_url: str, make_snapshot) -> None:  # type: ignore[no-untyped-def]
    from adapters.store.audit import log_row, record_policy_files, write_log_rows
    from adapters.store.replay import Replayer
    from adapters.store.revisions import downgrade
    from policy_engine.api import load_policy
    from policy_engine.build import build_id

    policy = load_policy()
    engine = make_engine(db_url)
    migrate(engine, "0003")
    snapshot = make_snapshot("C1")
    decision = policy.evaluate(snapshot, as_of=date(2026, 11, 22))
    with engine.begin() as conn:  # written the way 0003 wrote them: snapshot shared, no build
        record_policy_files(conn, policy.version, policy.files)
        write_log_rows(conn, [_before_0004(log_row(snapshot, decision, source="batch")) for _ in range(2)])

    store = open_store(db_url)
    store.record_decision(snapshot, decision, source="service")

    assert current_revision(engine) == head_revision()
    assert "build" in {c["name"] for c in inspect(engine).get_columns("decision_log")}
    entries = store.history("C1")
    assert [e.build for e in entries] == [None, None, build_id()]
    assert [Replayer(store.policy_files).replay(e).reproduces for e in entries] == [True, True, True]
    store.close()
    downgrade(engine, "0003")  # stepping back drops the column and keeps every entry
    assert "build" not in {c["name"] for c in inspect(engine).get_columns("decision_log")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM decision_log")).scalar_one() == 3
    engine.dispose()


def test_a_store_at_0004_with_a_batch_run_keeps_its_actions_and_reads_them_with_nothing_to_gather(
    db_url: str,
) -> None:
    from adapters.batch.workqueue import iter_queue
    from adapters.store.revisions import downgrade

    engine = make_engine(db_url)
    migrate(engine, "0004")
    with engine.begin() as conn:  # an action as the batch stored it before the gather column
        conn.execute(text("INSERT INTO batch_actions (run_id, customer_id, code, due_on, severity, target_id, "
                          "rule_id, message) VALUES ('R1', 'C1', 'CREDIT_REVIEW', :d, 'info', '', 'review.c', "
                          "'Credit review every month; gather: trade credit certificate')"),
                     {"d": date(2026, 11, 22)})  # fmt: skip

    open_store(db_url).close()

    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        [item] = list(iter_queue(conn, "R1", date(2026, 11, 22), {"review_due"}))
    assert item["gather"] == [] and item["message"].endswith("trade credit certificate")
    downgrade(engine, "0004")  # stepping back drops the column and keeps the run's actions
    assert "gather" not in {c["name"] for c in inspect(engine).get_columns("batch_actions")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM batch_actions")).scalar_one() == 1
    engine.dispose()


def test_a_store_at_0005_with_a_batch_run_upgrades_with_its_time_over_all_attempts_unknown(db_url: str) -> None:
    from adapters.batch.runs_list import list_runs
    from adapters.store.revisions import downgrade

    engine = make_engine(db_url)
    migrate(engine, "0005")
    with engine.begin() as conn:  # a part as the batch stored it before the sum over attempts was kept
        conn.execute(text("INSERT INTO batch_runs (run_id, part, as_of, policy_version, status, started_at, "
                          "attempts, seconds) VALUES ('R1', '0/1', :d, 'p', 'complete', :d, 2, 12.5)"),
                     {"d": date(2026, 11, 22)})  # fmt: skip

    open_store(db_url).close()

    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        [part] = list_runs(conn, 20)
    assert (part["seconds"], part["seconds_all_attempts"]) == (12.5, None)  # unknown, not the last attempt's
    downgrade(engine, "0005")  # stepping back drops the column and keeps the run
    assert "seconds_all_attempts" not in {c["name"] for c in inspect(engine).get_columns("batch_runs")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT seconds FROM batch_runs")).scalar_one() == 12.5
    engine.dispose()


def test_a_migration_that_finds_the_store_migrated_under_its_lock_runs_nothing_and_says_from_where(
        db_url: str, monkeypatch: Any) -> None:
    from adapters.store import revisions

    engine = make_engine(db_url)
    assert migrate(engine, "0005") is None  # an empty database
    assert migrate(engine) == "0005"
    ran: list[Any] = []
    monkeypatch.setattr(revisions.command, "upgrade", lambda *args: ran.append(args))
    monkeypatch.setattr(revisions, "current_revision", lambda _: "0005")  # as read before another process migrated

    assert migrate(engine) == head_revision()  # read again under the lock: another process had done it

    assert ran == [] and current_revision(engine) == head_revision()
    engine.dispose()


def test_a_store_at_0006_upgrades_with_its_ended_parts_time_known_and_a_running_parts_unknown(db_url: str) -> None:
    from adapters.batch.runs_list import list_runs
    from adapters.store.revisions import downgrade

    engine = make_engine(db_url)
    migrate(engine, "0006")
    with engine.begin() as conn:  # one part complete after two attempts, one still `running` (alive or killed)
        for part, status in (("0/2", "complete"), ("1/2", "running")):
            conn.execute(text("INSERT INTO batch_runs (run_id, part, as_of, policy_version, status, started_at, "
                              "attempts, seconds, seconds_all_attempts) VALUES ('R1', :p, :d, 'p', :s, :d, 2, 12.5, "
                              "20.0)"), {"p": part, "s": status, "d": date(2026, 11, 22)})  # fmt: skip

    open_store(db_url).close()

    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        parts = {p["part"]: p["seconds_all_attempts"] for p in list_runs(conn, 20)}
        ended = dict(conn.execute(text("SELECT part, attempts_ended FROM batch_runs")).all())  # type: ignore[arg-type]
    assert parts == {"0/2": 20.0, "1/2": None} and ended == {"0/2": 2, "1/2": 1}
    downgrade(engine, "0006")  # stepping back drops the two columns and keeps the runs
    assert {"attempts_ended", "busy_since"}.isdisjoint(c["name"] for c in inspect(engine).get_columns("batch_runs"))
    engine.dispose()


def test_a_store_at_0007_holding_a_negative_zero_amount_upgrades_to_an_unsigned_zero(db_url: str) -> None:
    """An earlier release kept "-0.00" as sent in SQLite; this one refuses a minus sign on money that may not be
    negative, so without 0008 the customer read as a stored record that is invalid (quarantined by the batch)."""
    engine = make_engine(db_url)
    _store_at_with_one_invoice(engine, "0007", "-0.00", "-0")

    store = open_store(db_url)

    assert current_revision(engine) == head_revision()
    invoice = store.get_snapshot("C1").invoices[0]
    assert (str(invoice.amount), str(invoice.paid_amount)) in {("0.00", "0"), ("0", "0")}
    assert not invoice.amount.is_signed() and not invoice.paid_amount.is_signed()


def test_0008_leaves_money_that_is_not_zero_as_it_was(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    migrate(engine, "0007")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO customers (customer_id, name) VALUES ('C1', 'Early')"))
        conn.execute(text("INSERT INTO financial_statements (customer_id, period_end, equity, net_profit, cash) "
                          "VALUES ('C1', '2025-12-31', '-0.01', '-120.50', '-0.000')"))  # fmt: skip

    migrate(engine)

    with engine.connect() as conn:
        row = conn.execute(text("SELECT equity, net_profit, cash FROM financial_statements")).one()
    assert tuple(row) == ("-0.01", "-120.50", "0.000")
