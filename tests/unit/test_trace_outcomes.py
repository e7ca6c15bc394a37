"""The explain trace says why a rule that fired added no action: its reminder is for a later date, or
another row of the same first-hit table was taken instead (superseded_by)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from policy_engine.api import Policy, load_policy
from policy_engine.domain.models import CustomerSnapshot, OrderRequest, TraceEntry

AS_OF = date(2026, 11, 22)
Data = Callable[[str], dict[str, Any]]


def _with_invoice(data: dict[str, Any], term: int, due_on: str) -> dict[str, Any]:
    invoice = {"invoice_id": f"INV-{term}", "issued_on": "2026-11-01", "due_on": due_on, "amount": "20000.00",
               "payment_term_days": term}
    return data | {"invoices": [*data["invoices"], invoice]}


def _entry(trace: list[TraceEntry], rule_id: str) -> TraceEntry:
    return next(t for t in trace if t.rule_id == rule_id)


def _explained(policy: Policy, data: dict[str, Any]) -> Any:
    return policy.evaluate(CustomerSnapshot.model_validate(data), as_of=AS_OF, explain=True)


def test_a_reminder_row_that_fired_for_an_invoice_not_yet_due_says_when_its_reminder_comes(
    policy: Policy, example_data: Data
) -> None:
    data = _with_invoice(example_data("steady-distributor"), 45, "2026-12-20")  # due in 28 days, lead 7

    decision = _explained(policy, data)

    entry = _entry(decision.trace, "collect.medium_term")
    assert entry.fired and entry.inputs["invoices"] == ["INV-45"]
    assert entry.no_action.startswith("not due yet: INV-45 reminded from 2026-12-13")
    assert entry.superseded_by == ""
    assert not [a for a in decision.actions if a.target_id == "INV-45"]


def test_a_reminder_row_whose_reminder_is_due_has_no_no_action(policy: Policy, example_data: Data) -> None:
    data = _with_invoice(example_data("steady-distributor"), 45, "2026-11-27")  # due in 5 days, lead 7

    decision = _explained(policy, data)

    entry = _entry(decision.trace, "collect.medium_term")
    assert entry.fired and (entry.no_action, entry.superseded_by) == ("", "")
    assert [a.rule_id for a in decision.actions if a.target_id == "INV-45"] == ["collect.medium_term"]


def test_rules_that_did_not_fire_or_do_not_act_on_their_own_carry_no_note(policy: Policy, example_data: Data) -> None:
    decision = _explained(policy, example_data("steady-distributor"))

    assert not [t.rule_id for t in decision.trace if (t.no_action or t.superseded_by) and not t.fired]
    assert _entry(decision.trace, "grade.aa").no_action == ""


def test_an_order_step_that_fired_after_the_first_hit_is_superseded_by_the_one_that_decided(
    policy: Policy, example_data: Data
) -> None:
    snapshot = CustomerSnapshot.model_validate(example_data("past-due"))

    order = policy.check_order(snapshot, OrderRequest(amount="100000000"), as_of=AS_OF, explain=True)

    assert order.outcome == "HOLD"
    hold = _entry(order.customer.trace, "order.hold_past_due")
    special = _entry(order.customer.trace, "order.special_approval")
    assert hold.fired and hold.superseded_by == ""
    assert special.fired and special.superseded_by == "order.hold_past_due"
    assert special.no_action.startswith("superseded by order.hold_past_due")


def test_overlapping_reminder_rows_name_the_row_taken_for_the_invoice(
    rules_copy: Callable[..., Path], example_data: Data
) -> None:
    rules = rules_copy(("collection.yaml", "{invoice_payment_term_days: {lte: 30}}",
                        "{invoice_payment_term_days: {lte: 45}}"))
    data = _with_invoice(example_data("steady-distributor"), 45, "2026-11-23")  # both rows match a 45-day term

    decision = _explained(load_policy(rules), data)

    medium = _entry(decision.trace, "collect.medium_term")
    assert medium.fired and medium.superseded_by == "collect.short_term"
    assert "INV-45" in medium.no_action
    assert [a.rule_id for a in decision.actions if a.target_id == "INV-45"] == ["collect.short_term"]
