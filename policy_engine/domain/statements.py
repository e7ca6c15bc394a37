"""Whether a financial statement adds up: the identities any balance sheet keeps, checked on its own figures.

A statement that breaks one is still taken (a caller's data is theirs to correct); those who write statements
by hand — rule test cases and fixtures — are told, since a ratio read from it (a quick ratio of 0 or below)
would make a rule fire, or not, for a reason nobody meant.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only named in annotations: rules/problems.py imports this module for its code, without models
    from policy_engine.domain.models import Financials

INCONSISTENT_STATEMENT = "inconsistent_statement"
"""The warning code of a statement that does not add up: `credit-policy test` (a case's or fixture's) and
`credit-policy import financials` (an imported row's) both give it, from `inconsistencies`."""


@dataclass(frozen=True)
class StatementGap:
    """One identity a statement breaks: the field to look at and the figures that do not add up."""

    field: str
    message: str
    rounding: Decimal = Decimal(0)
    """The rounding the statement was allowed (0: none, as for a statement written by hand)."""


FIGURES = ("current_assets", "current_liabilities", "inventory", "cash", "total_assets", "total_liabilities",
           "equity", "revenue", "net_profit")


def inconsistencies(fin: Financials, rounded: bool = False) -> list[StatementGap]:
    """What makes `fin` an inconsistent statement: every identity it breaks, exactly for one written by hand
    (a rule test case, a fixture), by more than its figures' `apparent_rounding` explains for one exported
    (`rounded`: an import, where each figure was rounded on its own)."""
    gaps = statement_gaps(fin)
    if not rounded or not gaps:  # most statements add up exactly: no rounding to read off them
        return gaps
    return statement_gaps(fin, apparent_rounding(fin))


def statement_gaps(fin: Financials, rounding: Decimal = Decimal(0)) -> list[StatementGap]:
    """Every identity `fin` breaks; a figure left out breaks none (it may be anything). Figures rounded to
    `rounding` may each be off by half of it, so an identity adding up n of them may miss by n halves."""
    # Each gap points at the figure a fix usually goes to: the total that was written too small.
    half = rounding / 2
    gaps = [_held_within(fin, ("cash", "inventory"), "current_assets",
                         "current assets hold cash, receivables and inventory", half),
            _held_within(fin, ("current_assets",), "total_assets", "total assets include the current ones", half),
            _held_within(fin, ("current_liabilities",), "total_liabilities",
                         "total liabilities include the current ones", half)]
    return [replace(gap, rounding=rounding) for gap in (*gaps, _balance(fin, half)) if gap is not None]


def apparent_rounding(fin: Financials) -> Decimal:
    """The coarsest power of ten every non-zero figure of `fin` is a multiple of, at most 1 % of the largest
    (0 when none is given): 1000 for a statement of millions in whole thousands, 0.01 for one in cents."""
    figures = [abs(value) for name in FIGURES if (value := getattr(fin, name)) is not None and value != 0]
    if not figures:
        return Decimal(0)
    # The finest figure tells the rounding: one rounded to thousands cannot show units. No statement is
    # rounded coarser than 1 % of its largest figure: round figures typed by hand are not read as one.
    finest = min(int(value.normalize().as_tuple().exponent) for value in figures)
    return Decimal(1).scaleb(min(finest, max(figures).adjusted() - 2))


def _held_within(fin: Financials, parts: tuple[str, ...], whole: str, why: str, half: Decimal) -> StatementGap | None:
    """A gap when the parts given add up to more than `whole` (receivables, not in a statement, are the rest)."""
    total, given = getattr(fin, whole), [(name, getattr(fin, name)) for name in parts]
    given = [(name, value) for name, value in given if value is not None]
    if total is None or not given:
        return None
    added = sum((v for _, v in given), Decimal(0))
    if added - total <= half * (len(given) + 1):  # the parts and the whole, each rounded
        return None
    sum_text = " + ".join(f"{name} {value}" for name, value in given) + (f" = {added}" if len(given) > 1 else "")
    return StatementGap(whole, f"{sum_text} is more than {whole} {total} ({why})")


def _balance(fin: Financials, half: Decimal) -> StatementGap | None:
    """A gap when total assets are not total liabilities + equity (资产 = 负债 + 所有者权益)."""
    assets, liabilities, equity = fin.total_assets, fin.total_liabilities, fin.equity
    if assets is None or liabilities is None or equity is None or abs(liabilities + equity - assets) <= 3 * half:
        return None
    return StatementGap("equity", f"total_liabilities {liabilities} + equity {equity} = {liabilities + equity} is "
                                  f"not total_assets {assets} (assets = liabilities + equity)")
