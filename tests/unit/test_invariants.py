"""Policy invariants that must hold for every input (hypothesis)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policy_engine import effects
from policy_engine.api import Policy
from policy_engine.domain.models import Invoice, Order, OrderRequest, Signal
from policy_engine.domain.values import GRADE_RANK, GRADES, SIGNAL_CODES
from policy_engine.synthetic import BEHAVIOURS, make_snapshot

AS_OF = date(2026, 11, 22)
money = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)
order_amounts = st.decimals(min_value=Decimal("0.01"), max_value=10**9, places=2, allow_nan=False, allow_infinity=False)
"""An order to check is of more than 0 (OrderRequest refuses 0, OUT_OF_RANGE; a snapshot's order of 0 is taken)."""
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _profile(policy: Policy, grade: str, avg: Decimal, net_worth: Decimal) -> tuple[Decimal, int]:
    ctx = {
        "grade": grade,
        "grade_rank": GRADE_RANK[grade],
        "grade_class": policy.classes[grade],
        "avg_monthly_purchases": avg,
        "net_worth": net_worth,
    }
    fired = policy.match_stage("profile", ctx)
    limit_row = next(r for r in fired if r.kind == "limit")
    cadence = next(r for r in fired if r.kind == "cadence")
    return effects.credit_limit(limit_row.spec.limit, ctx, 1.0), cadence.spec.interval_months


@SETTINGS
@given(avg=money, net_worth=money)
def test_a_worse_grade_never_gets_a_higher_limit_or_a_longer_review_interval(
    policy: Policy, avg: Decimal, net_worth: Decimal
) -> None:
    results = [_profile(policy, grade, avg, net_worth) for grade in GRADES]

    for (better_limit, better_months), (worse_limit, worse_months) in zip(results, results[1:], strict=False):
        assert worse_limit <= better_limit
        assert worse_months <= better_months


snapshots = st.builds(
    lambda seed, behaviour, n: make_snapshot(random.Random(seed), AS_OF, f"H{seed}", behaviour=behaviour, invoices=n),
    st.integers(0, 10**6),
    st.sampled_from(BEHAVIOURS),
    st.integers(0, 60),
)


@SETTINGS
@given(snap=snapshots)
def test_every_decision_is_internally_consistent(policy: Policy, snap: object) -> None:
    decision = policy.evaluate(snap, as_of=AS_OF)  # type: ignore[arg-type]

    assert 0 <= decision.score <= 100
    assert decision.grade_class == policy.classes[decision.grade]
    assert decision.credit_limit >= 0
    assert decision.available_credit == decision.credit_limit - decision.exposure
    assert AS_OF <= decision.next_review_on <= AS_OF + timedelta(days=186)
    assert {a.rule_id for a in decision.actions} <= set(policy.rule_ids)
    assert sum(a.code == "CREDIT_REVIEW" for a in decision.actions) == 1


@SETTINGS
@given(snap=snapshots, amount=order_amounts)
def test_past_due_invoices_never_ship_an_order(policy: Policy, snap: object, amount: Decimal) -> None:
    order = policy.check_order(snap, OrderRequest(amount=amount), as_of=AS_OF)  # type: ignore[arg-type]

    overdue = any(i.amount > i.paid_amount and i.due_on < AS_OF for i in snap.invoices)  # type: ignore[attr-defined]
    if overdue:
        assert order.outcome in ("HOLD", "REJECT")
    if order.outcome == "APPROVE":
        assert order.available_credit_after >= 0


@SETTINGS
@given(snap=snapshots, code=st.sampled_from(SIGNAL_CODES))
def test_a_new_warning_sign_never_improves_grade_or_limit(policy: Policy, snap: object, code: str) -> None:
    before = policy.evaluate(snap, as_of=AS_OF)  # type: ignore[arg-type]
    signals = [*snap.signals, Signal(code=code, observed_on=AS_OF)]  # type: ignore[attr-defined]
    after = policy.evaluate(snap.model_copy(update={"signals": signals}), as_of=AS_OF)  # type: ignore[attr-defined]

    assert GRADE_RANK[after.grade] >= GRADE_RANK[before.grade]
    assert after.credit_limit <= before.credit_limit


@SETTINGS
@given(snap=snapshots, back=st.integers(0, 400), paid_late=st.integers(0, 120), moved=st.integers(0, 5),
       status=st.sampled_from(["open", "done"]))
def test_an_invoice_or_order_of_nothing_never_changes_a_decision(
    policy: Policy, snap: object, back: int, paid_late: int, moved: int, status: str
) -> None:
    """A free sample (dated "paid" late, its due date moved) and a placeholder order are no trade and no evidence."""
    day = AS_OF - timedelta(days=back)
    sample = Invoice(invoice_id="FREE-0", issued_on=day, due_on=day, amount=Decimal(0),
                     paid_on=min(AS_OF, day + timedelta(days=paid_late)), due_date_changes=moved)
    placeholder = Order(order_id="NIL-0", ordered_on=day, amount=Decimal("0.00"), status=status)  # type: ignore[arg-type]
    more = snap.model_copy(update={"invoices": [*snap.invoices, sample],  # type: ignore[attr-defined]
                                   "orders": [*snap.orders, placeholder]})  # type: ignore[attr-defined]

    assert policy.evaluate(more, as_of=AS_OF) == policy.evaluate(snap, as_of=AS_OF)  # type: ignore[arg-type]
