"""The lines `simulate` prints for changed rules that decide nothing here: order steps only with a probe order, at
most 12 named, and a stubbed result without `changed_rules` says nothing; a moved rule says where it moved and
whom it decided for; a changed setting says both values and what it decides, with the count simulate keeps of it."""

from __future__ import annotations

from typing import Any

from policy_engine.cli.simulate_why import why_lines


def _row(rule_id: str, kind: str = "warning_signs", fired: int = 0) -> dict[str, Any]:
    return {"rule_id": rule_id, "kind": kind, "status": "changed", "moved": None, "grades": None, "live": fired,
            "candidate": fired, "graded": None}


def _moved(status: str, fired: tuple[int, int], now_before: list[str]) -> dict[str, Any]:
    moved = {"table": ["limits", "limits"], "row": [6, 2], "now_before": now_before, "now_after": []}
    return {**_row("limit.x", "credit_limits"), "status": status, "moved": moved, "live": fired[0],
            "candidate": fired[1]}


def _setting(kind: str, setting: str, values: tuple[Any, Any], affects: str) -> dict[str, Any]:
    return {"kind": kind, "setting": setting, "live": values[0], "candidate": values[1], "affects": affects}


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

    assert len(lines) == 13 and lines[-1] == "… and 3 more changes (--json lists them all)"


def test_a_rule_that_fired_is_named_only_when_no_customer_changed() -> None:
    rows = [_row("limit.a", "credit_limits", fired=5)]

    assert why_lines({"changed_rules": rows, "changed": 2, "order_check": None}) == []
    assert why_lines({"changed_rules": rows, "changed": 0, "order_check": None}) == [
        "the changed rule limit.a fired for 5 customers live and 5 with the candidate, and changed none of what is "
        "compared for them"]
    assert why_lines({"changed": 0, "order_check": None}) == []


def test_a_moved_rule_says_where_it_moved_and_whom_it_decided_for_when_customers_changed() -> None:
    passed = ["limit.b", "limit.c", "limit.d", "limit.e"]
    rows = [_moved("moved", (4, 9), passed), {**_moved("changed", (0, 0), passed[:2]), "rule_id": "limit.y"}]

    lines = why_lines({"changed_rules": rows, "changed": 5, "order_check": None})

    assert lines == [
        "the changed rule limit.y (also moved: limits row 6 → 2, now before limit.b and limit.c) fired for no customer "
        "in this portfolio, live or candidate: it decides nothing here",
        "the moved rule limit.x (limits row 6 → 2, now before limit.b, limit.c, limit.d and 1 more) fired for 4 "
        "customers live and 9 with the candidate"]


def test_a_changed_setting_says_both_values_and_what_it_decides_with_simulates_count() -> None:
    settings = [_setting("scorecard", "factors.character.weight", (0.35, 0.3), "score"),
                _setting("grade_bands", "classes.A", (["AAA", "AA", "A"], ["AAA", "AA"]), "grade_class"),
                _setting("order_checks", "default", ("APPROVE", "HOLD"), "order_outcome"),
                _setting("scorecard", "factors.conditions.weight", (None, 0.15), "score")]  # fmt: skip
    result = {"changed_settings": settings, "changed": 1, "order_check": None, "score_changes": 1,
              "grade_class_changes": 0}

    lines = why_lines(result)
    probed = why_lines({**result, "order_check": {"changes": 7}})

    assert lines == [
        "the changed setting scorecard factors.character.weight: 0.35 → 0.3 (the 5C score, which moves for 1 "
        "customer with the candidate)",
        "the changed setting grade_bands classes.A: AAA, AA, A → AAA, AA (the grade class of each grade, which changes "
        "for no customer in this portfolio with the candidate)",
        "the changed setting order_checks default: APPROVE → HOLD (a new order's check, which only a probe order "
        "shows: run again with --order-amount AMOUNT)",
        "the changed setting scorecard factors.conditions.weight: (none) → 0.15 (the 5C score, which moves for 1 "
        "customer with the candidate)"]
    assert probed[2] == ("the changed setting order_checks default: APPROVE → HOLD (a new order's check: the probe "
                         "order's outcome changes for 7 customers)")
