"""The import's duplicate-key check: both lines named across chunks, nothing loaded, keys not held in memory."""

from __future__ import annotations

import tempfile
import tracemalloc
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from adapters.importers import first_lines, loader, run_import
from adapters.store import SqlStore, open_store
from adapters.store import schema as s

HEADER = "invoice_id,customer_id,issued_on,due_on,amount\n"


def _invoices(tmp_path: Path, name: str, ids: list[str]) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(f"{i},C1,2026-01-05,2026-02-04,10.00\n" for i in ids), encoding="utf-8")
    return path


def _store(db_url: str, tmp_path: Path) -> SqlStore:
    store = open_store(db_url)
    customers = tmp_path / "customers.csv"
    customers.write_text("customer_id\nC1\n", encoding="utf-8")
    assert run_import(store.engine, "customers", customers).committed
    return store


def _invoice_count(store: SqlStore) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(s.invoices)).scalar_one())


def test_a_key_repeated_chunks_apart_names_both_lines_every_time_and_nothing_is_loaded(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(db_url, tmp_path)
    monkeypatch.setattr(loader, "CHUNK_ROWS", 2)  # lines 2-3, 4-5, 6-7, 8: each repeat in a later chunk
    path = _invoices(tmp_path, "invoices.csv", ["I1", "I2", "I3", "I4", "I1", "I1", "I2"])

    report = run_import(store.engine, "invoices", path)

    found = [(p.file, p.line, p.field, p.code, p.message) for p in report.problems]
    assert found == [
        (str(path), 6, "invoice_id", "duplicate_key", "same key as line 2"),
        (str(path), 7, "invoice_id", "duplicate_key", "same key as line 2"),
        (str(path), 8, "invoice_id", "duplicate_key", "same key as line 3"),
    ]
    assert not report.committed and _invoice_count(store) == 0


def test_keep_going_rejects_each_repeat_and_loads_the_first_of_each_key(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(db_url, tmp_path)
    monkeypatch.setattr(loader, "CHUNK_ROWS", 3)
    path = _invoices(tmp_path, "invoices.csv", ["I1", "I2", "I1", "I3", "I2", "I1"])

    report = run_import(store.engine, "invoices", path, keep_going=True, rejects_path=tmp_path / "r.csv")

    assert [(p.line, p.code) for p in report.problems] == [(4, "duplicate_key"), (6, "duplicate_key"),
                                                           (7, "duplicate_key")]
    assert report.committed and (report.rows_loaded, report.rows_rejected) == (3, 3)
    assert _invoice_count(store) == 3


def test_a_key_of_several_fields_is_a_repeat_only_when_every_field_repeats(db_url: str, tmp_path: Path) -> None:
    store = _store(db_url, tmp_path)
    path = tmp_path / "signals.csv"
    path.write_text("customer_id,code,observed_on\nC1,bad_rumours,2026-01-05\nC1,bad_rumours,2026-01-06\n"
                    "C1,bad_rumours,2026-01-05\n", encoding="utf-8")

    report = run_import(store.engine, "signals", path)

    assert [(p.line, p.field, p.code, p.message) for p in report.problems] == [
        (4, "customer_id,code,observed_on", "duplicate_key", "same key as line 2")
    ]


def _peak_python_memory(store: SqlStore, path: Path) -> int:
    tracemalloc.start()
    try:
        report = run_import(store.engine, "invoices", path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.committed and report.problem_count == 0
    return peak


def test_the_keys_seen_are_not_held_in_python_memory(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(db_url, tmp_path)
    monkeypatch.setattr(loader, "CHUNK_ROWS", 200)  # the same small chunks in both runs
    monkeypatch.setattr(first_lines, "SPILL_KEYS", 1_000)  # past it the keys go to the scratch file
    run_import(store.engine, "invoices", _invoices(tmp_path, "warm.csv", ["W1"]))  # caches filled once
    small = _invoices(tmp_path, "small.csv", [f"SMALL-{n:08d}" for n in range(5_000)])
    large = _invoices(tmp_path, "large.csv", [f"LARGE-{n:08d}" for n in range(20_000)])

    growth = _peak_python_memory(store, large) - _peak_python_memory(store, small)

    # A dict of the keys and their first lines took ~180 bytes a key: 2.7 MB more for 15,000 more keys
    # (about 1 GB for 10M rows).
    assert growth < 1_000_000


def test_a_full_scratch_disk_stops_the_import_saying_where_and_nothing_is_imported(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from policy_engine.cli import build_app

    store = _store(db_url, tmp_path)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setattr(first_lines, "_PRAGMAS", (*first_lines._PRAGMAS, "max_page_count=4"))
    monkeypatch.setattr(first_lines, "SPILL_KEYS", 100)
    path = _invoices(tmp_path, "invoices.csv", [f"INVOICE-{n:020d}" for n in range(5_000)])
    app = build_app()

    result = CliRunner().invoke(app, ["import", "invoices", str(path), "--db", db_url])

    assert result.exit_code == 2
    assert f"error: {path}: the duplicate-key check's scratch file in {scratch}" in result.output
    assert result.output.rstrip().endswith("nothing imported") and _invoice_count(store) == 0
