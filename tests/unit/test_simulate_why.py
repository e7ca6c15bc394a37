"""The lines `simulate` prints for changed rules that decide nothing here: order steps only with a probe order, at
most 12 named, and a stubbed result without `changed_rules` says nothing."""

from __future__ import annotations

from typing import Any

from policy_engine.cli.simulate_why import why_lines


def _row(rule_id: str, kind: str = "warning_signs", fired: int = 0) -> dict[str, Any]:
    return {"rule_id": rule_id, "kind": kind, "status": "changed", "grades": None, "live": fired,
            "candidate": fired, "graded": None}


def test_an_order_step_is_named_only_when_a_probe_order_was_checked() -> None:
    rows = [_row("order.cash_in_advance", "order_checks")]

    without = why_lines({"changed_rules": rows, "changed": 0, "order_check": None})
    probed = why_lines({"changed_rules": rows, "changed": 0, "order_check": {"changes": 0}})

    assert without == []
    assert probed == ["the changed rule order.cash_in_advance fired for no customer in this portfolio, live or "
                      "candidate: it decides nothing here"]


def test_at_most_twelve_rules_are_named_and_the_rest_counted() -> None:
    rows = [_row(f"warn.r{i:02d}") for i in range(15)]

    lines = why_lines({"changed_rules": rows, "changed": 3, "order_check": None})

    assert len(lines) == 13 and lines[-1] == "… and 3 more changed rules (--json lists them all)"


def test_a_rule_that_fired_is_named_only_when_no_customer_changed() -> None:
    rows = [_row("limit.a", "credit_limits", fired=5)]

    assert why_lines({"changed_rules": rows, "changed": 2, "order_check": None}) == []
    assert why_lines({"changed_rules": rows, "changed": 0, "order_check": None}) == [
        "the changed rule limit.a fired for 5 customers live and 5 with the candidate, and changed none of what is "
        "compared for them"]
    assert why_lines({"changed": 0, "order_check": None}) == []
