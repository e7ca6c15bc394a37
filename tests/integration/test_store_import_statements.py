"""`import financials` warns of a statement that does not add up, at its line with the figures, and loads it
all the same; `--strict` refuses it as a bad row."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from adapters.importers import report as report_module
from adapters.importers import run_import
from adapters.store import SqlStore, open_store

HEADER = "customer_id,period_end,current_assets,cash,inventory,total_assets,total_liabilities,equity\n"
ADDS_UP = "C1,2024-12-31,1200000.00,300000.00,400000.00,3000000.00,1500000.00,1500000.00\n"
# Equity in thousands among figures in units: the balance misses by 1,498,500.
WRONG_UNITS = "C1,2025-12-31,1200000.00,300000.00,400000.00,3000000.00,1500000.00,1500.00\n"
# Rounded to thousands, each figure on its own: 1 thousand off is rounding, not a mistake.
ROUNDED = "C1,2023-12-31,1200000,300000,400000,3000000,1500000,1501000\n"


def _store(db_url: str, tmp_path: Path) -> SqlStore:
    store = open_store(db_url)
    (tmp_path / "customers.csv").write_text("customer_id\nC1\n")
    assert run_import(store.engine, "customers", tmp_path / "customers.csv").committed
    return store


def _file(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "fin.csv"
    path.write_text(HEADER + "".join(rows))
    return path


def test_a_statement_that_does_not_add_up_is_a_warning_at_its_line_and_is_loaded(db_url: str, tmp_path: Path) -> None:
    store = _store(db_url, tmp_path)
    path = _file(tmp_path, ADDS_UP, WRONG_UNITS, ROUNDED)

    report = run_import(store.engine, "financials", path)

    assert report.committed and (report.rows_loaded, report.problem_count) == (3, 0)
    assert report.warning_count == 1
    assert [(w.file, w.line, w.field, w.code) for w in report.warnings] == [
        (str(path), 3, "equity", "inconsistent_statement")]
    assert "2025-12-31" in report.warnings[0].message and "1500.00" in report.warnings[0].message
    assert len(store.get_snapshot("C1").financials) == 3


def test_strict_refuses_a_statement_that_does_not_add_up_as_a_bad_row(db_url: str, tmp_path: Path) -> None:
    store = _store(db_url, tmp_path)
    path = _file(tmp_path, ADDS_UP, WRONG_UNITS)

    report = run_import(store.engine, "financials", path, strict=True)

    assert [(p.line, p.field, p.code) for p in report.problems] == [(3, "equity", "inconsistent_statement")]
    assert report.warning_count == 0 and not report.committed
    assert store.get_snapshot("C1").financials == []


def test_strict_with_keep_going_loads_the_statements_that_add_up_and_rejects_the_other(
    db_url: str, tmp_path: Path
) -> None:
    store = _store(db_url, tmp_path)
    path = _file(tmp_path, ADDS_UP, WRONG_UNITS)

    report = run_import(store.engine, "financials", path, strict=True, keep_going=True,
                        rejects_path=tmp_path / "fin.rejects.csv")

    assert report.committed and (report.rows_loaded, report.rows_rejected) == (1, 1)
    assert "line 3: equity: statement 2025-12-31" in (tmp_path / "fin.rejects.csv").read_text()


def test_a_rejected_row_is_not_also_warned_of(db_url: str, tmp_path: Path) -> None:
    store = _store(db_url, tmp_path)
    path = _file(tmp_path, WRONG_UNITS.replace("C1,", "C9,"))

    report = run_import(store.engine, "financials", path)

    assert [p.code for p in report.problems] == ["unknown_customer"] and report.warning_count == 0


def test_warnings_past_the_first_ones_kept_are_counted(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_module, "MAX_WARNINGS_KEPT", 2)
    store = _store(db_url, tmp_path)
    path = _file(tmp_path, *(WRONG_UNITS.replace("2025", str(year)) for year in (2019, 2020, 2021)))

    report = run_import(store.engine, "financials", path)

    assert report.warning_count == 3 and [w.line for w in report.warnings] == [2, 3]


@pytest.fixture
def run(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Any]:
    """Run `credit-policy <args>` against the test database, with customer C1 in it."""
    from policy_engine.cli import build_app

    _store(db_url, tmp_path)
    app = build_app()
    monkeypatch.setenv("CREDIT_POLICY_DB", db_url)
    monkeypatch.chdir(tmp_path)
    return lambda *args: CliRunner().invoke(app, list(args))


def test_the_warning_is_printed_after_the_summary_and_the_import_exits_0(run: Callable[..., Any],
                                                                          tmp_path: Path) -> None:
    _file(tmp_path, ADDS_UP, WRONG_UNITS)

    result = run("import", "financials", "fin.csv")

    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    assert lines[0].startswith("fin.csv: 2 rows read, 2 loaded") and "1 warning" in lines[0]
    assert lines[1].startswith("warning: fin.csv:3: equity: ") and lines[1].endswith("[inconsistent_statement]")


def test_strict_on_the_command_line_exits_1_and_imports_nothing(run: Callable[..., Any], tmp_path: Path) -> None:
    _file(tmp_path, ADDS_UP, WRONG_UNITS)

    result = run("import", "financials", "fin.csv", "--strict")

    assert result.exit_code == 1
    assert "fin.csv:3: equity: " in result.stderr and "nothing imported" in result.stderr
