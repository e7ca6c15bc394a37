"""Numbers as decimals: a rule file's numbers as they read, a decision's amounts as it shows them."""

from __future__ import annotations

import functools
from decimal import Decimal


@functools.lru_cache(maxsize=4096)
def _dec(x: float) -> Decimal:
    """A rule file's number as the decimal it reads as (`0.1` → Decimal("0.1")), cached: rule files
    hold few distinct numbers."""
    return Decimal(str(x))


_CENT = Decimal("0.01")
_ZERO = Decimal(0)


def money_out(value: Decimal) -> Decimal:
    """An amount as a decision shows it: at least two decimal places, so that amounts side by side read
    alike ("0" → "0.00", "150000.5" → "150000.50"); finer input (up to six places) is kept as sent."""
    return value if value.as_tuple().exponent <= -2 else value.quantize(_CENT)  # type: ignore[operator]
