"""A rounded statement (to thousands, say) may miss its identities by its rounding: the importer allows
half a unit of it for each figure an identity adds up, where cases keep exact cents."""

from __future__ import annotations

from decimal import Decimal

import pytest

from policy_engine.domain.models import Financials
from policy_engine.domain.statements import apparent_rounding, statement_gaps


def _statement(**figures: str) -> Financials:
    return Financials.model_validate({"period_end": "2025-12-31", **figures})


@pytest.mark.parametrize(
    ("figures", "unit"),
    [
        ({"total_assets": "5000000", "total_liabilities": "3000000", "equity": "2001000"}, Decimal(1000)),
        ({"total_assets": "5000000.00", "equity": "-2000.00", "revenue": "123456"}, Decimal(1)),
        ({"total_assets": "5000000.10", "cash": "0"}, Decimal("0.1")),
        ({"cash": "0.00"}, Decimal(0)),
        # Round figures typed by hand are no statement rounded to 100,000: never coarser than 1 % of the largest.
        ({"current_assets": "1200000", "cash": "900000", "inventory": "400000", "total_assets": "3000000"},
         Decimal(10000)),
        ({}, Decimal(0)),
    ],
)
def test_the_apparent_rounding_is_the_coarsest_power_of_ten_every_figure_given_is_a_multiple_of(
    figures: dict[str, str], unit: Decimal
) -> None:
    assert apparent_rounding(_statement(**figures)) == unit


def test_a_balance_one_unit_of_rounding_off_is_no_gap_when_rounding_is_allowed() -> None:
    fin = _statement(total_assets="5000000", total_liabilities="3000000", equity="2001000")

    assert [g.field for g in statement_gaps(fin)] == ["equity"]
    assert statement_gaps(fin, rounding=Decimal(1000)) == []


def test_a_balance_two_units_off_is_more_than_rounding_explains() -> None:
    fin = _statement(total_assets="5000000", total_liabilities="3000000", equity="2002000")

    gaps = statement_gaps(fin, rounding=Decimal(1000))

    assert [g.field for g in gaps] == ["equity"]
    assert "= 5002000 is not total_assets 5000000" in gaps[0].message


@pytest.mark.parametrize(
    ("figures", "allowed"),
    [
        ({"current_assets": "100000", "cash": "51000", "inventory": "50000"}, True),  # 3 figures: 1.5 units
        ({"current_assets": "100000", "cash": "52000", "inventory": "50000"}, False),
        ({"current_assets": "101000", "total_assets": "100000"}, True),  # 2 figures: 1 unit
        ({"current_assets": "102000", "total_assets": "100000"}, False),
        ({"current_liabilities": "101000", "total_liabilities": "100000"}, True),
    ],
)
def test_the_parts_within_a_whole_may_be_over_it_by_half_a_unit_for_each_figure(
    figures: dict[str, str], allowed: bool
) -> None:
    gaps = statement_gaps(_statement(**figures), rounding=Decimal(1000))

    assert (gaps == []) is allowed


def test_one_definition_decides_an_inconsistent_statement_for_cases_and_imports_alike() -> None:
    """A case's statement is exact (written by hand); an imported one is allowed its rounding: both are
    `inconsistencies`, with the one code both adapters report."""
    from adapters.importers.statement_checks import statement_warnings
    from policy_engine.domain.statements import INCONSISTENT_STATEMENT, inconsistencies

    rounded_off = _statement(total_assets="5000000", total_liabilities="3000000", equity="2001000")
    far_off = _statement(total_assets="5000000", total_liabilities="3000000", equity="2101000")

    assert [(g.field, g.rounding) for g in inconsistencies(rounded_off)] == [("equity", Decimal(0))]
    assert inconsistencies(rounded_off, rounded=True) == [] == statement_warnings("fin.csv", 2, rounded_off)
    [gap] = inconsistencies(far_off, rounded=True)
    [warning] = statement_warnings("fin.csv", 3, far_off)
    assert (gap.field, gap.rounding) == ("equity", Decimal(1000))
    assert (warning.field, warning.code) == ("equity", INCONSISTENT_STATEMENT)
    assert warning.message.endswith(f"{gap.message}; more than its figures' rounding (to 1000) explains")
