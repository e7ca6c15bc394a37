"""Whether a financial statement adds up: the identities any balance sheet keeps, checked on its own figures.

A statement that breaks one is still taken (a caller's data is theirs to correct); those who write statements
by hand — rule test cases and fixtures — are told, since a ratio read from it (a quick ratio of 0 or below)
would make a rule fire, or not, for a reason nobody meant.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from policy_engine.domain.models import Financials


@dataclass(frozen=True)
class StatementGap:
    """One identity a statement breaks: the field to look at and the figures that do not add up."""

    field: str
    message: str


def statement_gaps(fin: Financials) -> list[StatementGap]:
    """Every identity `fin` breaks; a figure left out breaks none (it may be anything)."""
    # Each gap points at the figure a fix usually goes to: the total that was written too small.
    gaps = [_held_within(fin, ("cash", "inventory"), "current_assets",
                         "current assets hold cash, receivables and inventory"),
            _held_within(fin, ("current_assets",), "total_assets", "total assets include the current ones"),
            _held_within(fin, ("current_liabilities",), "total_liabilities",
                         "total liabilities include the current ones")]
    return [gap for gap in (*gaps, _balance(fin)) if gap is not None]


def _held_within(fin: Financials, parts: tuple[str, ...], whole: str, why: str) -> StatementGap | None:
    """A gap when the parts given add up to more than `whole` (receivables, not in a statement, are the rest)."""
    total, given = getattr(fin, whole), [(name, getattr(fin, name)) for name in parts]
    given = [(name, value) for name, value in given if value is not None]
    if total is None or not given or (added := sum((v for _, v in given), Decimal(0))) <= total:
        return None
    sum_text = " + ".join(f"{name} {value}" for name, value in given) + (f" = {added}" if len(given) > 1 else "")
    return StatementGap(whole, f"{sum_text} is more than {whole} {total} ({why})")


def _balance(fin: Financials) -> StatementGap | None:
    """A gap when total assets are not total liabilities + equity (资产 = 负债 + 所有者权益)."""
    assets, liabilities, equity = fin.total_assets, fin.total_liabilities, fin.equity
    if assets is None or liabilities is None or equity is None or liabilities + equity == assets:
        return None
    return StatementGap("equity", f"total_liabilities {liabilities} + equity {equity} = {liabilities + equity} is "
                                  f"not total_assets {assets} (assets = liabilities + equity)")
