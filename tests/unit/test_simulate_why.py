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


def _counts(**moved: int) -> dict[str, Any]:
    return {"decisions": 0, "score": 0, "grade": 0, "grade_class": 0, "credit_limit": 0, "order_outcome": None,
            "value_class": 0, **moved}


def test_a_setting_alone_says_what_it_moves_what_goes_with_it_and_the_sample_says_for_whom() -> None:
    window = {**_setting("policy", "features.signal_window_days", (180, 30), "features"),
              "alone": {"with": [], "customers": _counts(credit_limit=1), "not_measured": None}}
    weight = {**_setting("scorecard", "factors.character.weight", (0.35, 0.3), "score"),
              "alone": {"with": ["factors.capacity.weight"], "customers": _counts(score=5, grade_class=2, decisions=2),
                        "not_measured": None}}
    refused = {**_setting("portfolio", "value_classes.a_share", (0.75, 0.85), "value_class"),
               "alone": {"with": [], "customers": None, "not_measured": "the live rules with it alone do not load"}}
    sample = {"customers": 1_013, "of": 50_000, "sample": "1 in 25, by the CRC-32 of the customer id",
              "candidate": _counts(score=9, grade=3, decisions=4)}

    lines = why_lines({"changed": 4, "order_check": None, "score_changes": 9, "value_class_changes": 0,
                       "changed_settings": [window, weight, refused], "settings_alone": sample})

    assert lines[0].endswith("(the customer facts the rules read); alone on the live rules: 1 limit moves")
    assert lines[1].endswith("; alone on the live rules, with factors.capacity.weight: 5 scores, 2 grade classes "
                             "move; 2 decisions change")
    assert lines[2].endswith("; not measured alone: the live rules with it alone do not load")
    assert lines[3] == ("each setting alone was applied to the live rules and evaluated for 1,013 of 50,000 "
                        "customers (1 in 25, by the CRC-32 of the customer id), value classes over the whole book; "
                        "with the whole candidate, on the same customers: 9 scores, 3 grades move; 4 decisions "
                        "change. Changes can add to, offset or mask each other, so the effects alone need not add up "
                        "to the candidate's")


def test_a_setting_alone_that_changes_nothing_says_so() -> None:
    row = {**_setting("warning_signs", "combine.cap_grade", ("worst", "worst"), "warning_signs"),
           "alone": {"with": [], "customers": _counts(), "not_measured": None}}

    [line, _] = why_lines({"changed": 0, "order_check": None, "changed_settings": [row],
                           "settings_alone": {"customers": 3, "of": 3, "sample": "every customer",
                                              "candidate": _counts()}})  # fmt: skip

    assert line.endswith("; alone on the live rules: no customer's decision changes")
