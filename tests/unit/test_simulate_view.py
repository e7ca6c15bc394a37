"""simulate's screen order and CSV: the changed customers across currencies, and a file that stands alone."""

from __future__ import annotations

import csv
from pathlib import Path

from policy_engine.cli.simulate_changes import by_move, changes_csv


def _change(customer_id: str, live: str, cand: str, currency: str, **more: object) -> dict[str, object]:
    return {"customer_id": customer_id, "credit_limit": [live, cand], "currency": currency, "name": "", **more}


def test_the_largest_moves_are_relative_so_currencies_compare() -> None:
    """A cut of 100,000 yuan (10%) ranked above a cut of 25,000 dollars (50%): raw amounts compared."""
    changes = [_change("C1", "1000000.00", "900000.00", "CNY"), _change("C2", "50000.00", "25000.00", "USD"),
               _change("C3", "0.00", "10.00", "JPY"), _change("C4", "200.00", "300.00", "CNY")]

    ordered = [c["customer_id"] for c in by_move(changes)]

    assert ordered == ["C3", "C2", "C4", "C1"]  # from nothing first, then -50%, +50% (tie by id), -10%


def _written(tmp_path: Path, change: dict[str, object]) -> list[list[str]]:
    """The header and the one line of the CSV of a simulation that changed `change` alone."""
    result = {"as_of": "2026-11-22", "live": {"policy_version": "aaaa"}, "candidate": {"policy_version": "bbbb"},
              "changes": [change]}
    path = tmp_path / "changes.csv"
    changes_csv(result, path)
    return list(csv.reader(path.open(encoding="utf-8")))


def test_the_csv_names_the_day_both_policies_and_the_customer_after_the_old_columns(tmp_path: Path) -> None:
    header, row = _written(tmp_path, _change("C1", "100.00", "90.00", "USD", name="Acme, Ltd."))

    assert header[:2] == ["customer_id", "grade_live"] and header[21] == "credit_limit_change"
    assert header[22:27] == ["as_of", "live_policy_version", "candidate_policy_version", "name", "currency"]
    assert row[22:27] == ["2026-11-22", "aaaa", "bbbb", "Acme, Ltd.", "USD"] and row[21] == "-10.00"
    assert header[27:30] == ["segment", "size", "exposure"]  # who and why come after, keeping those positions


def test_a_customer_name_or_id_a_spreadsheet_would_run_as_a_formula_is_quoted(tmp_path: Path) -> None:
    change = _change("=1+1", "100.00", "90.00", "USD", name='=HYPERLINK("http://evil.example")')

    _, row = _written(tmp_path, change)

    assert row[0] == "'=1+1" and row[25] == "'=HYPERLINK(\"http://evil.example\")"
    assert row[21] == "-10.00"  # a number of ours keeps its minus sign


def test_one_customer_with_more_actions_of_a_code_it_has_is_said_in_the_singular() -> None:
    """The screen said "1 customers get more or fewer actions"."""
    from io import StringIO

    from rich.console import Console

    from policy_engine.cli.simulate_view import _actions

    out = Console(file=StringIO(), width=200)

    _actions(out, [], 1)

    assert "1 customer gets more or fewer actions of a code it already has" in out.file.getvalue()  # type: ignore[attr-defined]


def test_each_failing_rule_test_stays_on_one_line_to_be_grepped_and_pasted() -> None:
    """Piped, the 200-column console broke a long `path:line:col: rule_test_failed: …` line in two."""
    from io import StringIO

    from rich.console import Console

    from policy_engine.cli.simulate_view import _rule_tests

    problem = ("/tmp/rules/tests/warnings.yaml:91:1: rule_test_failed: case payment_excuses: credit_limit: expected "
               "200000.00, got 160000.00 (set by limit.bbb at /tmp/rules/limits.yaml:28; moved by the warning signs "
               "warn.competitor_purchases_moved)")
    out = Console(file=StringIO(), width=200)

    _rule_tests(out, {"pass": False, "passed": 0, "cases": 1, "problems": [problem]})

    assert f"  {problem}\n" in out.file.getvalue()  # type: ignore[attr-defined]


def test_a_narrow_table_keeps_its_title_on_one_line() -> None:
    """One changed customer made a table two columns wide, and its title wrapped over four lines."""
    from io import StringIO

    from rich.console import Console

    from policy_engine.cli.simulate_view import _changed_customers

    out = Console(file=StringIO(), width=200)
    result = {"changed": 1, "order_check": None, "changes": [{"customer_id": "C1", "grade": ["CC", "C"]}]}

    _changed_customers(out, result, 30)

    lines = out.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert lines[0].strip() == "changed customers (all 1, largest relative limit move first)"
