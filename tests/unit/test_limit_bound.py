"""A decided credit limit stays below the money bound every amount is held to, whatever the rule set allows."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from policy_engine.domain.models import CustomerSnapshot
from policy_engine.domain.values import MAX_MONEY
from policy_engine.effects.limits import credit_limit


def _formula(**kw: object) -> SimpleNamespace:
    spec = {"months_of_purchases": 36, "share_of_net_worth": 5, "combine": "highest", "floor": 0, "cap": None,
            "round_down_to": 1000}
    return SimpleNamespace(**{**spec, **kw})


def test_a_limit_of_5x_a_net_worth_near_the_bound_is_held_below_it() -> None:
    ctx = {"avg_monthly_purchases": Decimal("1e13"), "net_worth": Decimal("9e14")}

    limit = credit_limit(_formula(), ctx, 1.0)

    assert limit < MAX_MONEY
    assert limit == Decimal("999999999999000.00")  # the bound less a cent, rounded down to the rule's 1,000


def test_the_held_limit_reads_back_as_a_customers_current_limit() -> None:
    limit = credit_limit(_formula(), {"avg_monthly_purchases": Decimal("4e13"), "net_worth": Decimal(0)}, 1.5)

    snapshot = CustomerSnapshot.model_validate(
        {"customer_id": "C1", "currency": "EUR", "current_limit": str(limit)})

    assert snapshot.current_limit == limit


def test_an_ordinary_limit_is_unchanged() -> None:
    ctx = {"avg_monthly_purchases": Decimal("12345.67"), "net_worth": Decimal("100000")}

    assert credit_limit(_formula(combine="lowest"), ctx, 1.0) == Decimal("444000.00")
