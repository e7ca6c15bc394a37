"""A CSV rejects file is opened in a spreadsheet to be fixed: no cell of it runs as a formula there, and the fixed
file imports the values as they were written."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select

from adapters.importers import run_import
from adapters.store import open_store
from adapters.store import schema as s

DDE = "=cmd|' /C calc'!A0"


def test_a_rejected_rows_formula_cells_get_a_quote_and_the_fixed_file_imports_them_as_written(
    db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "customers.csv"
    with path.open("w", newline="") as out:
        csv.writer(out).writerows([["customer_id", "name", "segment", "current_limit"],
                                   ["C1", DDE, "@SUM(A1)", "-5"], ["+C2", "-2+3", "ok", "x"]])
    rejects = tmp_path / "customers.rejects.csv"
    engine = open_store(db_url).engine

    report = run_import(engine, "customers", path, keep_going=True, rejects_path=rejects)

    with rejects.open(newline="") as handle:
        header, *rows = list(csv.reader(handle))
    assert report.rows_rejected == 2 and [r[:4] for r in rows] == [["C1", f"'{DDE}", "'@SUM(A1)", "'-5"],
                                                                    ["'+C2", "'-2+3", "ok", "x"]]
    fixed = rejects.read_text().replace(",'-5,", ",5,").replace(",x,", ",1,")
    rejects.write_text(fixed)
    again = run_import(engine, "customers", rejects)
    assert again.problem_count == 0
    with engine.connect() as conn:
        stored = conn.execute(select(s.customers.c.customer_id, s.customers.c.name, s.customers.c.segment))
        assert sorted(stored) == [("+C2", "-2+3", "ok"), ("C1", DDE, "@SUM(A1)")]
