"""Snapshots loaded from the store for a date: the last contact and the 5C assessment known on that date.

The store holds every contact and assessment; a snapshot holds one of each. Every loader (the per-table
one, SQLite's and PostgreSQL's single statement, the batch's) takes, for an evaluation date, the last
contact on or before it and the newest assessment made on or before it; without a date, the latest.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from adapters.batch.fastload import load_raw, validate
from adapters.batch.runner import BatchOptions, run_batch
from adapters.store import open_store
from adapters.store import schema as s
from adapters.store.snapshots import load_snapshots
from adapters.store.sql_store import SqlStore
from policy_engine.domain.models import CustomerSnapshot
from tests.integration.test_batch_support import RULES

OCTOBER, LATE_NOVEMBER = date(2026, 10, 1), date(2026, 11, 22)


def _assessment(customer_id: str, score: int, on: date | None) -> dict[str, object]:
    return {"customer_id": customer_id, "assessed_on": on,
            **dict.fromkeys(("character", "capacity", "capital", "collateral", "conditions"), score)}


def _contact(customer_id: str, on: date) -> dict[str, object]:
    return {"customer_id": customer_id, "contacted_on": on, "channel": "visit"}


def _store(db_url: str, make_snapshot: Callable[..., CustomerSnapshot]) -> SqlStore:
    """C1: contacts on 09-10 and 11-10, assessments of 08-01 (character 41) and 11-01 (42).
    UNDATED: an undated assessment (43) and one of 11-01 (44). LATER: only a contact after 10-01.
    RECORDED: its record's own last contact 11-15 (after 10-01), a contact 09-20 in the contacts table."""
    store = open_store(db_url)
    bare = {"last_contact_on": None, "assessment": None}
    for customer_id in ("C1", "UNDATED", "LATER"):
        store.save_snapshot(make_snapshot(customer_id).model_copy(update=bare))
    store.save_snapshot(make_snapshot("RECORDED").model_copy(update={"last_contact_on": date(2026, 11, 15)}))
    with store.engine.begin() as conn:
        conn.execute(s.contacts.insert(), [
            _contact("C1", date(2026, 11, 10)), _contact("C1", date(2026, 9, 10)),
            _contact("LATER", date(2026, 11, 10)), _contact("RECORDED", date(2026, 9, 20)),
        ])
        conn.execute(s.assessments.insert(), [
            _assessment("C1", 42, date(2026, 11, 1)), _assessment("C1", 41, date(2026, 8, 1)),
            _assessment("UNDATED", 44, date(2026, 11, 1)), _assessment("UNDATED", 43, None),
        ])
    return store


IDS = ["C1", "UNDATED", "LATER", "RECORDED"]


def _every_loader(store: SqlStore, as_of: date | None) -> list[dict[str, CustomerSnapshot]]:
    """The customers as each loader gives them for `as_of`: by id (the service), in bulk, the batch's."""
    by_id = {i: store.get_snapshot(i, as_of) for i in IDS}
    with store.engine.connect() as conn:
        per_table = {i: load_snapshots(conn, [i], as_of)[i] for i in IDS}
        bulk = load_snapshots(conn, IDS, as_of)
        batch = {i: validate(v) for i, v in load_raw(conn, IDS, "no-run", as_of).data.items()}
    return [by_id, per_table, bulk, batch]


def _known(snapshots: dict[str, CustomerSnapshot]) -> dict[str, tuple[date | None, int | None]]:
    """Each customer's last contact and the character score of its 5C assessment (None: no assessment)."""
    return {i: (s.last_contact_on, s.assessment.character if s.assessment else None) for i, s in snapshots.items()}


SEPTEMBER_10, NOVEMBER_10 = date(2026, 9, 10), date(2026, 11, 10)
KNOWN = {
    # As of 10-01: the September contact and the August assessment; the undated assessment (ranked below
    # any dated one) over one made later; the contacts table's 09-20 over the record's own 11-15; and
    # without a contact by then, the later one, which the features read as unknown (not "never contacted").
    OCTOBER: {"C1": (SEPTEMBER_10, 41), "UNDATED": (None, 43), "LATER": (NOVEMBER_10, None),
              "RECORDED": (date(2026, 9, 20), 70)},
    LATE_NOVEMBER: {"C1": (NOVEMBER_10, 42), "UNDATED": (None, 44), "LATER": (NOVEMBER_10, None),
                    "RECORDED": (date(2026, 11, 15), 70)},
}
KNOWN[None] = KNOWN[LATE_NOVEMBER]  # no date: the latest


@pytest.mark.parametrize("as_of", [OCTOBER, LATE_NOVEMBER, None])
def test_loaded_for_a_date_a_snapshot_holds_the_contact_and_assessment_known_then(
    db_url: str, make_snapshot: Callable[..., CustomerSnapshot], as_of: date | None
) -> None:
    store = _store(db_url, make_snapshot)

    loaded = _every_loader(store, as_of)
    store.close()

    assert [_known(snapshots) for snapshots in loaded] == [KNOWN[as_of]] * len(loaded)
    assert all(snapshots == loaded[0] for snapshots in loaded)


def test_a_batch_as_of_october_decides_with_the_september_contact(
    tmp_path: Path, make_snapshot: Callable[..., CustomerSnapshot]
) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    _store(url, make_snapshot).close()

    run_batch(BatchOptions(db_url=url, as_of=OCTOBER, rules_dir=RULES))
    store = open_store(url)
    (entry,) = store.history("C1")
    store.close()

    assert entry.as_of == OCTOBER and entry.snapshot is not None
    assert entry.snapshot.last_contact_on == date(2026, 9, 10)
    assert entry.snapshot.assessment is not None and entry.snapshot.assessment.assessed_on == date(2026, 8, 1)


@pytest.mark.parametrize("kind", ["evaluate", "check_order"])
def test_the_service_by_id_decides_with_the_contact_known_on_the_requests_date(
    tmp_path: Path, make_snapshot: Callable[..., CustomerSnapshot], kind: str
) -> None:
    from adapters.grpc import pipeline
    from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
    from policy_engine.api import load_policy

    store = _store(f"sqlite:///{tmp_path / 'store.sqlite'}", make_snapshot)
    request: object = (pb.EvaluateCustomerRequest(customer_id="C1", as_of="2026-10-01") if kind == "evaluate" else
                       pb.CheckOrderRequest(customer_id="C1", order_id="N1", amount="10.00", as_of="2026-10-01"))

    getattr(pipeline, kind)(request, load_policy(RULES), store)
    (entry,) = store.history("C1")
    store.close()

    assert entry.snapshot is not None and entry.snapshot.last_contact_on == date(2026, 9, 10)


def test_simulate_loads_the_snapshots_as_known_on_its_date(
    tmp_path: Path, make_snapshot: Callable[..., CustomerSnapshot], monkeypatch: pytest.MonkeyPatch
) -> None:
    import adapters.batch.simulate as sim

    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    _store(url, make_snapshot).close()
    asked: list[date | None] = []

    def load_and_note(conn: object, ids: list[str], run_id: str, as_of: date | None = None) -> object:
        asked.append(as_of)
        return load_raw(conn, ids, run_id, as_of)  # type: ignore[arg-type]

    monkeypatch.setattr(sim, "load_raw", load_and_note)
    sim.simulate(url, RULES, RULES, OCTOBER)

    assert asked == [OCTOBER]


@pytest.mark.parametrize(("args", "contact"), [(["--as-of", "2026-10-01"], "2026-09-10"), ([], "2026-11-10")])
def test_the_snapshot_command_prints_the_snapshot_known_on_its_as_of_date_or_the_latest(
    tmp_path: Path, make_snapshot: Callable[..., CustomerSnapshot], monkeypatch: pytest.MonkeyPatch,
    args: list[str], contact: str
) -> None:
    from typer.testing import CliRunner

    from policy_engine.cli import build_app

    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    _store(url, make_snapshot).close()
    app = build_app()
    monkeypatch.chdir(tmp_path)

    result = CliRunner().invoke(app, ["snapshot", "C1", "--db", url, "--out", "c1.json", *args])

    assert result.exit_code == 0, result.stderr
    written = CustomerSnapshot.model_validate_json((tmp_path / "c1.json").read_text())
    assert written.last_contact_on == date.fromisoformat(contact)
    assert f"evaluate c1.json {' '.join(args)}".strip() in result.stderr  # evaluate it as of the same day
