"""The SQL adapter of the store port: snapshots round-trip exactly, profiles feed the snapshot."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from adapters.store import open_store
from policy_engine.domain.errors import CustomerNotFound, StoredRecordInvalid
from policy_engine.domain.models import CustomerDecision, CustomerSnapshot


def test_a_saved_snapshot_loads_back_identical_with_exact_decimals(
    db_url: str, make_snapshot: Callable[..., CustomerSnapshot]
) -> None:
    store = open_store(db_url)
    snapshot = make_snapshot("C1")

    store.save_snapshot(snapshot)
    loaded = store.get_snapshot("C1")

    assert loaded.model_dump(mode="json") == snapshot.model_dump(mode="json")
    assert loaded.invoices[0].amount == Decimal("99999999.123456")
    assert str(loaded.financials[0].net_profit) == "-0.000001"


def test_an_unknown_customer_id_raises_customer_not_found(db_url: str) -> None:
    store = open_store(db_url)

    with pytest.raises(CustomerNotFound):
        store.get_snapshot("nobody")


def test_many_snapshots_load_at_once_in_the_order_asked_skipping_unknown_ids(
    db_url: str, make_snapshot: Callable[..., CustomerSnapshot]
) -> None:
    store = open_store(db_url)
    for cid in ("C1", "C2", "C3"):
        store.save_snapshot(make_snapshot(cid))

    loaded = store.get_snapshots(["C3", "missing", "C1"])

    assert [s.customer_id for s in loaded] == ["C3", "C1"]
    assert loaded[0].invoices[0].invoice_id == "C3-I1"


def test_customer_ids_are_walked_in_chunks(db_url: str, make_snapshot: Callable[..., CustomerSnapshot]) -> None:
    store = open_store(db_url)
    for i in range(5):
        store.save_snapshot(make_snapshot(f"C{i}"))

    chunks = list(store.iter_customer_ids(chunk_size=2))

    assert chunks == [["C0", "C1"], ["C2", "C3"], ["C4"]]


def test_saving_a_profile_gives_the_snapshot_its_current_grade_and_limit(
    db_url: str, make_snapshot: Callable[..., CustomerSnapshot]
) -> None:
    store = open_store(db_url)
    store.save_snapshot(make_snapshot("C1"))
    decision = CustomerDecision(
        customer_id="C1", policy_version="v1", as_of=date(2026, 11, 22), score=71.5, grade="BBB",
        grade_class="B", value_class="A", credit_limit=Decimal("80000.00"), currency="CNY",
        limit_valid_until=date(2027, 2, 22), exposure=Decimal("0"), available_credit=Decimal("80000.00"),
        next_review_on=date(2027, 2, 22),
    )  # fmt: skip

    store.save_profile(decision)
    loaded = store.get_snapshot("C1")

    assert loaded.current_grade == "BBB"
    assert loaded.current_limit == Decimal("80000.00")


def test_the_profiles_value_class_reaches_the_snapshot_by_id_and_in_bulk(
    db_url: str, make_snapshot: Callable[..., CustomerSnapshot]
) -> None:
    store = open_store(db_url)
    for cid in ("C1", "C2"):
        store.save_snapshot(make_snapshot(cid))
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE credit_profiles SET value_class = 'A' WHERE customer_id = 'C1'"))
        conn.execute(text("DELETE FROM credit_profiles WHERE customer_id = 'C2'"))

    by_id = store.get_snapshot("C1").value_class
    in_bulk = {s.customer_id: s.value_class for s in store.get_snapshots(["C1", "C2"])}

    assert (by_id, in_bulk) == ("A", {"C1": "A", "C2": ""})  # no profile row: not computed


def test_a_snapshot_with_a_value_class_is_saved_and_loads_back_with_it(
    db_url: str, make_snapshot: Callable[..., CustomerSnapshot]
) -> None:
    store = open_store(db_url)
    snapshot = make_snapshot("C1").model_copy(update={"value_class": "C"})

    store.save_snapshot(snapshot)

    assert store.get_snapshot("C1") == snapshot
    assert store.get_snapshots(["C1"]) == [snapshot]


def test_the_latest_contact_sets_last_contact_on(db_url: str, make_snapshot: Callable[..., CustomerSnapshot]) -> None:
    from adapters.store import schema as s

    store = open_store(db_url)
    store.save_snapshot(make_snapshot("C1"))
    with store.engine.begin() as conn:
        conn.execute(
            s.contacts.insert(),
            [{"customer_id": "C1", "contacted_on": date(2026, 11, 20), "channel": "visit"}],
        )

    loaded = store.get_snapshot("C1")

    assert loaded.last_contact_on == date(2026, 11, 20)


def test_money_at_the_domain_bound_is_stored_exactly(
    db_url: str, make_snapshot: Callable[..., CustomerSnapshot]
) -> None:
    store = open_store(db_url)
    big = make_snapshot("C1").model_dump(mode="json")
    big["invoices"] = big["invoices"][:1]  # the snapshot's total must stay within the bound too
    big["orders"] = []
    big["invoices"][0].update(amount="999999999999999.999999", paid_amount="0", paid_on=None)  # unpaid: no date
    snapshot = CustomerSnapshot.model_validate(big)

    store.save_snapshot(snapshot)

    assert store.get_snapshot("C1").invoices[0].amount == Decimal("999999999999999.999999")


def test_stored_free_text_with_control_characters_loads_with_spaces_and_a_broken_record_is_named(
    db_url: str, make_snapshot: Callable[..., CustomerSnapshot]
) -> None:
    """Text stored before input refused control characters (or by another tool) must not make a
    customer impossible to evaluate; a record that is invalid for a reason that matters is named."""
    store = open_store(db_url)
    for customer_id in ("C1", "C2"):
        store.save_snapshot(make_snapshot(customer_id))
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE customers SET name = :n WHERE customer_id = 'C1'"), {"n": "Acme\x01Trading\x0b"})
        conn.execute(text("UPDATE customers SET currency = 'cny' WHERE customer_id = 'C2'"))

    loaded = store.get_snapshot("C1")
    with pytest.raises(StoredRecordInvalid) as caught:
        store.get_snapshot("C2")

    assert loaded.name == "Acme Trading" and [s.name for s in store.get_snapshots(["C1"])] == ["Acme Trading"]
    assert caught.value.customer_id == "C2"
    assert str(caught.value) == ("the stored record of customer 'C2' is invalid (currency: not an ISO 4217 currency "
                                 "code in use (three capital letters such as CNY, EUR, USD); did you mean 'CNY'?); "
                                 "fix it in the store")
    store.close()


def test_one_customer_in_one_statement_gives_the_snapshot_the_per_table_queries_give(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """SQLite's single-statement loader (the service's by-id path) against the seven-query loader, over
    a demo portfolio (every kind of child, signals, assessments, contacts) and the awkward cases:
    assessments dated and undated, children inserted out of key order on one day, a contact after
    last_contact_on, a customer with nothing but its record."""
    from adapters.store import schema as s
    from adapters.store.snapshots import load_snapshots
    from adapters.store.snapshots_sqlite import load_snapshot_sqlite
    from tests.integration.test_batch_support import make_portfolio

    def assessment(customer_id: str, score: int, on: date | None) -> dict[str, object]:
        return {"customer_id": customer_id, "assessed_on": on,
                **dict.fromkeys(("character", "capacity", "capital", "collateral", "conditions"), score)}

    store = open_store(make_portfolio(tmp_path, customers=120))
    with store.engine.begin() as conn:
        conn.execute(s.customers.insert(), [
            {"customer_id": c, "name": c.title(), "size": "small", "segment": "retail", "currency": "CNY"}
            for c in ("BARE", "UNDATED", "DATED")])
        conn.execute(s.assessments.insert(), [
            assessment("UNDATED", 5, None),
            assessment("DATED", 3, None), assessment("DATED", 2, date(2026, 9, 1)),
            assessment("DATED", 4, date(2026, 10, 1)),
        ])
        conn.execute(s.invoices.insert(), [  # out of key order, on one day
            {"customer_id": "DATED", "invoice_id": f"Z-{n}", "issued_on": date(2026, 1, 5),
             "due_on": date(2026, 2, 4), "amount": Decimal("10.50"), "paid_amount": Decimal("0"),
             "payment_term_days": 30, "due_date_changes": 0} for n in (9, 1, 5)
        ])
        conn.execute(s.contacts.insert(), [{"customer_id": "DATED", "contacted_on": date(2026, 11, 21),
                                            "channel": "visit"}])
    ids = [i for chunk in store.iter_customer_ids(1000) for i in chunk]

    with store.engine.connect() as conn:
        for customer_id in ids:
            assert load_snapshot_sqlite(conn, [customer_id]) == load_snapshots(conn, [customer_id]), customer_id
        assert load_snapshot_sqlite(conn, ["NO-SUCH-CUSTOMER"]) == {}
        assert load_snapshot_sqlite(conn, ["DATED", "BARE"]) == load_snapshots(conn, ["DATED", "BARE"])
    dated = store.get_snapshot("DATED")
    assert dated.assessment is not None and dated.assessment.character == 4  # the newest date
    assert [i.invoice_id for i in dated.invoices] == ["Z-1", "Z-5", "Z-9"]
    assert dated.last_contact_on == date(2026, 11, 21)
    undated = store.get_snapshot("UNDATED").assessment
    assert undated is not None and undated.character == 5  # undated, when nothing is dated
    assert store.get_snapshot("BARE").invoices == []
    store.close()


def test_the_single_statement_loader_raises_the_drivers_errors_as_sqlalchemys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """It runs on the driver's cursor; a failure must still reach get_snapshot as SQLAlchemy's
    exception, which is what maps it to StoreUnavailable (and the service to UNAVAILABLE)."""
    from sqlalchemy.exc import OperationalError

    from adapters.store.snapshots_sqlite import load_snapshot_sqlite
    from policy_engine.domain.errors import StoreUnavailable

    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE staff_signals"))

    with store.engine.connect() as conn, pytest.raises(OperationalError, match="no such table: staff_signals"):
        load_snapshot_sqlite(conn, ["C1"])
    with pytest.raises(StoreUnavailable):
        store.get_snapshot("C1")
    store.close()


def test_a_connection_that_died_under_the_drivers_cursor_is_invalidated_as_sqlalchemy_would(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import DBAPIError

    from adapters.store.engine import database_unavailable
    from adapters.store.rawsql import fetch_all

    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    with store.engine.connect() as conn:
        assert fetch_all(conn, "SELECT 1 + :n", {"n": 1}) == [(2,)]
        conn.connection.dbapi_connection.close()  # type: ignore[union-attr]  # gone underneath us
        with pytest.raises(DBAPIError) as raised:
            fetch_all(conn, "SELECT 1", {})
        assert raised.value.connection_invalidated and conn.invalidated
        assert database_unavailable(raised.value)
    assert store.engine.pool.checkedout() == 0
    with pytest.raises(CustomerNotFound):
        store.get_snapshot("C1")  # the pool hands out a fresh connection
    store.close()


def test_a_sqlite_without_json_functions_is_refused_by_name_not_taken_for_an_outage(  # type: ignore[no-untyped-def]
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from adapters.store import engine as store_engine

    monkeypatch.setattr(store_engine, "SQLITE_JSON_PROBE", "SELECT json_no_such_function('[1]')")
    with pytest.raises(store_engine.SqliteTooOld, match=rf"SQLite {sqlite3.sqlite_version} has no JSON functions"):
        open_store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    monkeypatch.undo()
    open_store(f"sqlite:///{tmp_path / 'store.sqlite'}").close()  # this machine's SQLite has them
