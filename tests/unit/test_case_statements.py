"""`credit-policy test` warns of a case's or fixture's financial statement that does not add up (cash and stock
over the current assets that hold them, …), at its line with the figures; `--strict` makes that fail the run."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policy_engine.cli import build_app
from policy_engine.domain.models import Financials
from policy_engine.domain.statements import statement_gaps

RulesCopy = Callable[..., Path]
runner = CliRunner()

ROW = ('{period_end: "2025-12-31", current_assets: "1200000.00", current_liabilities: "750000.00", '
       'inventory: "1000000.00", cash: "800000.00", total_assets: "3000000.00", total_liabilities: "1500000.00", '
       'equity: "1500000.00"}')
CASE = f"cases:\n  - id: q\n    snapshot:\n      base: medium_pharmacy\n      financials:\n        - {ROW}\n" \
       "    expect: {grade_class: A}\n"
FIGURES = "cash 800000.00 + inventory 1000000.00 = 1800000.00 is more than current_assets 1200000.00"


def _statement(**figures: str) -> Financials:
    return Financials.model_validate({"period_end": "2025-12-31", **figures})


@pytest.mark.parametrize(
    ("figures", "field", "said"),
    [
        ({"current_assets": "100", "cash": "60", "inventory": "50"}, "current_assets",
         "cash 60 + inventory 50 = 110 is more than current_assets 100"),
        ({"current_assets": "100", "inventory": "101"}, "current_assets",
         "inventory 101 is more than current_assets 100"),
        ({"current_assets": "100", "total_assets": "90"}, "total_assets",
         "current_assets 100 is more than total_assets 90"),
        ({"current_liabilities": "50", "total_liabilities": "40"}, "total_liabilities",
         "current_liabilities 50 is more than total_liabilities 40"),
        ({"total_assets": "100", "total_liabilities": "60", "equity": "30"}, "equity",
         "total_liabilities 60 + equity 30 = 90 is not total_assets 100"),
    ],
)
def test_a_statement_that_does_not_add_up_names_the_field_and_the_figures(
    figures: dict[str, str], field: str, said: str
) -> None:
    gaps = statement_gaps(_statement(**figures))

    assert [(g.field, g.message.split(" (")[0]) for g in gaps] == [(field, said)]


@pytest.mark.parametrize(
    "figures",
    [
        {"current_assets": "100", "cash": "60", "inventory": "40", "total_assets": "100"},  # no receivables: fits
        {"current_assets": "100", "inventory": "100", "cash": "0"},  # a quick ratio of 0 adds up
        {"cash": "60", "inventory": "50"},  # no current assets given: nothing to hold them to
        {"total_assets": "100", "total_liabilities": "120", "equity": "-20"},  # negative equity adds up
        {},
    ],
)
def test_a_statement_that_adds_up_or_leaves_figures_out_has_no_gap(figures: dict[str, str]) -> None:
    assert statement_gaps(_statement(**figures)) == []


def test_a_case_statement_that_does_not_add_up_is_a_warning_at_its_line_and_the_case_still_runs(
    rules_copy: RulesCopy,
) -> None:
    rules = rules_copy()
    (rules / "tests" / "q.yaml").write_text(CASE)

    result = runner.invoke(build_app(), ["test", str(rules)])

    assert result.exit_code == 0, result.output
    assert re.search(rf"warning: {re.escape(str(rules))}/tests/q\.yaml:6:\d+: inconsistent_statement: case q: "
                     rf"snapshot\.financials\[0\] \(2025-12-31\): {re.escape(FIGURES)}", result.output), result.output
    assert f"ok   q  ({rules}/tests/q.yaml:2)" in result.output
    assert result.output.rstrip().endswith(", 1 warning (above)")


def test_strict_makes_a_statement_that_does_not_add_up_fail_the_run(rules_copy: RulesCopy) -> None:
    rules = rules_copy()
    (rules / "tests" / "q.yaml").write_text(CASE)

    result = runner.invoke(build_app(), ["test", str(rules), "--strict"])

    assert result.exit_code == 1
    assert "inconsistent_statement" in result.output
    assert result.output.rstrip().endswith(", 1 warning (above; --strict fails on warnings)")


def test_a_fixture_statement_that_does_not_add_up_is_warned_once_at_the_fixture(rules_copy: RulesCopy) -> None:
    rules = rules_copy()
    (rules / "tests" / "q.yaml").write_text(
        f"fixtures:\n  odd:\n    customer_id: C-ODD\n    financials:\n      - {ROW}\ncases:\n"
        "  - {id: q1, snapshot: {base: odd}, expect: {grade_class: C}}\n"
        "  - {id: q2, snapshot: {base: odd}, expect: {grade_class: C}}\n"
    )

    result = runner.invoke(build_app(), ["test", str(rules)])

    warnings = [line for line in result.output.splitlines() if "inconsistent_statement" in line]
    assert len(warnings) == 1, result.output
    assert re.search(r"q\.yaml:5:\d+: inconsistent_statement: fixture odd: financials\[0\] \(2025-12-31\): ",
                     warnings[0])


def test_the_shipped_statements_all_add_up() -> None:
    """medium_pharmacy's 2025 statement held cash 0.8 M and stock 1.0 M in current assets of 1.2 M, and the
    cases built on it copied that; one had a quick ratio of 0, so a liquidity sign fired on it for no reason."""
    result = runner.invoke(build_app(), ["test", "--strict"])

    assert "inconsistent_statement" not in result.output
    assert result.exit_code == 0, result.output
