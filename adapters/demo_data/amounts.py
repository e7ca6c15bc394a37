"""Amounts as the demo data writes them: decimal strings from whole cents, as the store keeps money."""

from __future__ import annotations


def money(cents: int) -> str:
    """Cents as a decimal string."""
    return f"{cents // 100}.{cents % 100:02d}"


def signed_money(cents: int) -> str:
    """Cents as a decimal string, a loss or negative equity with its minus sign."""
    return ("-" if cents < 0 else "") + money(abs(cents))


def to_cents(value: float) -> int:
    """`value` in whole cents."""
    return int(round(value * 100))
