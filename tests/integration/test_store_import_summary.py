"""The import summary says what the store took by what it is, not a bare count of table rows."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from adapters.store import open_store
from policy_engine.cli import build_app


def _import(url: str, kind: str, path: Path) -> str:
    result = CliRunner().invoke(build_app(), ["import", kind, str(path), "--db", url])
    assert result.exit_code == 0, result.stderr
    return result.stderr


def test_a_customer_row_with_a_current_limit_is_summed_up_as_a_customer_and_a_grade_and_limit(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    open_store(url).engine.dispose()
    customers = tmp_path / "c.csv"
    customers.write_text("customer_id,name,current_limit,current_grade,value_class\nC1,Acme,100.00,BB,\nC2,B,,,A\n")
    invoices = tmp_path / "i.csv"
    invoices.write_text("invoice_id,customer_id,issued_on,due_on,amount\nI1,C1,2026-01-01,2026-02-01,10.00\n")

    first, again, billed = _import(url, "customers", customers), _import(url, "customers", customers), _import(
        url, "invoices", invoices)

    assert "2 rows read, 2 loaded (2 customers, 1 current grade/limit and 1 value class inserted or changed)" in first
    assert "2 rows read, 2 loaded (0 inserted or changed: as stored already)" in again
    assert "1 row read, 1 loaded (1 invoice inserted or changed)" in billed
