"""The service's decision-log writer loses nothing a database would take: a refused entry costs
itself alone, and a database that is briefly away is waited for."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from typing import Any

import pytest
from sqlalchemy.exc import DataError, OperationalError

from adapters.store import audit_writer
from adapters.store.audit_writer import AuditWriter


class FakeDatabase:
    """Takes rows, refusing poisoned ones (the whole statement fails, as in a real database) and
    failing the first `outages` inserts as if the server were restarting."""

    def __init__(self, outages: int = 0):
        self.rows: list[dict[str, Any]] = []
        self.attempts = 0
        self.outages = outages

    def insert(self, rows: list[dict[str, Any]]) -> None:
        self.attempts += 1
        if self.outages:
            self.outages -= 1
            raise OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"))
        if any(r.get("poison") for r in rows):
            raise DataError("INSERT", {}, Exception("text fields cannot contain NUL (0x00) bytes"))
        self.rows += rows


def _row(customer_id: str, poison: bool = False) -> dict[str, Any]:
    return {"customer_id": customer_id, "poison": poison}


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_writer, "RETRY_DELAYS", (0.001, 0.001, 0.001))


def test_an_entry_the_database_refuses_costs_itself_alone_not_its_batch(caplog: pytest.LogCaptureFixture) -> None:
    db = FakeDatabase()
    writer = AuditWriter(_row, db.insert)

    for i in range(10):
        writer.put(f"C{i}", poison=(i == 4))
    writer.close()

    assert [r["customer_id"] for r in db.rows] == [f"C{i}" for i in range(10) if i != 4]
    assert writer.failures == 1
    lost = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(lost) == 1 and "customer C4" in lost[0].getMessage()


def test_a_database_that_is_briefly_away_is_retried_and_nothing_is_lost() -> None:
    db = FakeDatabase(outages=2)
    writer = AuditWriter(_row, db.insert)

    for i in range(5):
        writer.put(f"C{i}")
    writer.close()

    assert len(db.rows) == 5 and writer.failures == 0


def test_a_refusal_for_the_content_is_not_retried_in_vain() -> None:
    db = FakeDatabase()
    writer = AuditWriter(_row, db.insert)

    writer.put("C1", poison=True)
    writer.close()

    assert db.attempts == 1 and writer.failures == 1


def test_an_entry_that_cannot_become_a_row_is_counted_and_the_others_are_written() -> None:
    def to_row(customer_id: str) -> dict[str, Any]:
        if customer_id == "bad":
            raise ValueError("unknown decision source")
        return _row(customer_id)

    db = FakeDatabase()
    writer = AuditWriter(to_row, db.insert)

    for customer_id in ("C1", "bad", "C2"):
        writer.put(customer_id)
    writer.close()

    assert [r["customer_id"] for r in db.rows] == ["C1", "C2"] and writer.failures == 1


def test_a_database_that_stays_away_loses_the_entries_counted_and_the_writer_goes_on() -> None:
    db = FakeDatabase(outages=1_000)
    writer = AuditWriter(_row, db.insert)

    writer.put("C1")
    writer.put("C2")
    writer.flush()
    db.outages = 0
    writer.put("C3")
    writer.close()

    assert writer.failures == 2 and [r["customer_id"] for r in db.rows] == ["C3"]


def test_a_database_still_away_after_the_retries_costs_one_round_of_retries_not_one_per_entry(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Row by row, 500 entries would each wait out the retries: the writer would stall for most of an hour.
    db = FakeDatabase(outages=1_000)
    writer = AuditWriter(_row, db.insert)

    writer._write([((f"C{i}",), {}) for i in range(10)])  # one batch, as the thread would take it
    writer.close()

    assert db.attempts == len(audit_writer.RETRY_DELAYS) + 1 and writer.failures == 10
    [lost] = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert lost.startswith("10 decision-log entries were not written (refused by the database: OperationalError)")


def test_entries_that_come_close_together_share_one_commit() -> None:
    # A commit costs ~0.4 ms on SQLite whatever it holds: one per entry cost more than the entries.
    db = FakeDatabase()
    writer = AuditWriter(_row, db.insert, linger=1.0)

    for i in range(50):
        writer.put(f"C{i}")
    writer.flush()

    assert db.attempts == 1 and len(db.rows) == 50
    writer.close()


def test_flush_and_close_do_not_wait_out_the_gathering() -> None:
    db = FakeDatabase()
    writer = AuditWriter(_row, db.insert, linger=60.0)
    done = threading.Event()

    def flush_then_close() -> None:
        writer.put("C1")
        writer.flush()
        writer.put("C2")
        writer.close()
        done.set()

    threading.Thread(target=flush_then_close, daemon=True).start()

    assert done.wait(10), "flush()/close() waited for the 60 s linger"
    assert [r["customer_id"] for r in db.rows] == ["C1", "C2"]


@pytest.mark.parametrize(("value", "seconds"), [(None, audit_writer.LINGER_S), ("", audit_writer.LINGER_S),
                                                ("0", 0.0), ("5", 0.005), (" 250.5 ", 0.2505), ("1000", 1.0)])
def test_the_gathering_time_comes_from_the_environment(value: str | None, seconds: float,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    if value is None:
        monkeypatch.delenv(audit_writer.LINGER_ENV_VAR, raising=False)
    else:
        monkeypatch.setenv(audit_writer.LINGER_ENV_VAR, value)
    assert audit_writer.linger_from_env() == pytest.approx(seconds)
    writer = AuditWriter(_row, FakeDatabase().insert)
    assert writer._linger == pytest.approx(seconds)
    writer.close()


@pytest.mark.parametrize("value", ["abc", "-1", "1001", "nan", "inf", "1e9"])
def test_a_bad_gathering_time_is_refused_naming_the_variable(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(audit_writer.LINGER_ENV_VAR, value)
    with pytest.raises(ValueError, match=r"\$CREDIT_POLICY_LOG_LINGER_MS: expected milliseconds from 0 to 1,000"):
        audit_writer.linger_from_env()


class GatedDatabase(FakeDatabase):
    """A database that takes nothing until the gate opens: the queue fills up behind it."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()

    def insert(self, rows: list[dict[str, Any]]) -> None:
        self.gate.wait(30)
        super().insert(rows)


def test_a_writer_falling_behind_says_so_once_and_says_when_it_has_caught_up(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(audit_writer, "QUEUE_BOUND", 40)
    monkeypatch.setattr(audit_writer, "BEHIND", 10)
    caplog.set_level(logging.INFO, logger=audit_writer.__name__)
    db = GatedDatabase()
    writer = AuditWriter(_row, db.insert, linger=0.0)

    for i in range(30):
        writer.put(f"C{i}")
    said = [(r.levelname, r.getMessage(), getattr(r, "fields", {})) for r in caplog.records]
    assert [(level, message) for level, message, _ in said] == [("WARNING", "decision log behind")]
    assert said[0][2]["bound"] == 40 and said[0][2]["queued"] >= 10

    db.gate.set()
    writer.flush()
    writer.close()
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["decision log behind", "decision log caught up"]
    assert len(db.rows) == 30


def test_a_full_queue_makes_callers_wait_and_is_logged_as_an_error_nothing_is_dropped(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(audit_writer, "QUEUE_BOUND", 5)
    monkeypatch.setattr(audit_writer, "BEHIND", 3)
    db = GatedDatabase()
    writer = AuditWriter(_row, db.insert, linger=0.0)
    done = threading.Event()

    def caller() -> None:
        for i in range(12):
            writer.put(f"C{i}")
        done.set()

    threading.Thread(target=caller, daemon=True).start()
    assert not done.wait(0.5)  # waiting for room, not dropping
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == ["decision log full"]

    db.gate.set()
    assert done.wait(10)
    writer.close()
    assert [r["customer_id"] for r in db.rows] == [f"C{i}" for i in range(12)]


def test_the_backlog_counts_what_is_not_written_yet_and_its_mirror_follows_it() -> None:
    db = GatedDatabase()
    writer = AuditWriter(_row, db.insert, linger=0.0)
    mirror = type("Shared", (), {"value": -1})()
    writer.mirror = mirror

    for i in range(7):
        writer.put(f"C{i}")
    # The first entry is being written (stuck at the gate), the other six are queued: all seven count.
    assert (writer.backlog, mirror.value) == (7, 7)

    db.gate.set()
    writer.flush()
    assert writer.backlog == 0
    assert _settles_at(mirror, 0)  # caught up with nothing more coming: the mirror says so too
    writer.close()
    assert len(db.rows) == 7


def test_the_backlog_still_counts_entries_the_writer_is_retrying(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_writer, "RETRY_DELAYS", (0.5, 0.5, 0.5))
    db = FakeDatabase(outages=1_000)
    writer = AuditWriter(_row, db.insert, linger=0.0)

    writer.put("C1")
    writer.put("C2")
    while db.attempts < 2:  # the first batch is being retried
        threading.Event().wait(0.001)
    assert writer.backlog == 2
    db.outages = 0
    writer.close()
    assert writer.backlog == 0 and len(db.rows) == 2 and writer.failures == 0


class SlowMirror:
    """A shared counter that the caller's thread sets slowly: between its reading the backlog and
    setting it, the writer commits the entry and sets the lower count first."""

    def __init__(self) -> None:
        self._value = -1

    @property
    def value(self) -> int:
        return self._value

    @value.setter
    def value(self, count: int) -> None:
        if threading.current_thread() is threading.main_thread():
            time.sleep(0.002)
        self._value = count


def test_the_mirror_ends_at_zero_however_the_callers_and_the_writer_cross() -> None:
    db = FakeDatabase()
    writer = AuditWriter(_row, db.insert, linger=0.0)
    mirror = writer.mirror = SlowMirror()

    for i in range(20):
        writer.put(f"C{i}")
    writer.flush()

    assert writer.backlog == 0
    assert _settles_at(mirror, 0), mirror.value
    writer.close()


def _settles_at(mirror: Any, count: int, timeout: float = 2.0) -> bool:
    """Whether the mirror comes to `count` (the writer sets it just after its commit, so just after
    flush() returns) and stays there."""
    deadline = time.monotonic() + timeout
    while mirror.value != count:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    time.sleep(0.05)
    return bool(mirror.value == count)


def test_a_store_locked_by_another_process_is_said_to_be_locked_not_only_refused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """SQLite's `database is locked` (another process held the write lock for the driver's whole wait) reads as
    a lock, naming who may hold it: before, only `refused a write (OperationalError)`, as for a server away."""
    attempts: list[int] = []

    def locked(rows: list[dict[str, Any]]) -> None:
        attempts.append(len(rows))
        raise OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))

    writer = AuditWriter(_row, locked)
    writer._write([(("C1",), {})])
    writer.close()

    retried = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    [lost] = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(attempts) == len(audit_writer.RETRY_DELAYS) + 1 and writer.failures == 1
    assert retried and all("locked by another process (another batch, an import" in m for m in retried)
    assert "not written (locked by another process" in lost and "customer C1" in lost
