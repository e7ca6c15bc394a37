"""simulate's filters: which changed customers each selects, how they combine, and how the output names them."""

from __future__ import annotations

from typing import Any

from policy_engine.cli.simulate_select import (
    Selection,
    action_code_problem,
    apply,
    unknown_segments,
    unseen_action_codes,
)


def _change(customer_id: str, segment: str = "hospital", live_class: str = "A", **facts: Any) -> dict[str, Any]:
    return {"customer_id": customer_id, "segment": segment, "live_grade_class": live_class, "currency": "CNY",
            "exposure": "100.00", "available_credit": ["50.00", "-20.00"], **facts}  # fmt: skip


CHANGES = [
    _change("C1", grade=["A", "BBB"], credit_limit=["1000.00", "700.00"]),
    _change("C2", grade=["A", "AA"]),
    _change("C3", segment="pharmacy", grade=["AA", "BBB"]),
    _change("C4", live_class="B", grade=["BBB", "BB"], actions=[["FOLLOW_UP"], ["HOLD_ORDERS", "FOLLOW_UP"]]),
    _change("C5", actions=[["COLLECTION_REMINDER INV-1", "HOLD_ORDERS"], ["COLLECTION_REMINDER INV-1 due 2026-12-01"]]),
    _change("C6", actions=[[], ["CREDIT_REVIEW urgent", "COLLECTION_REMINDER INV-9 due 2026-12-01"]]),
]


def _selected(selection: Selection) -> list[str]:
    result = {"changes": list(CHANGES), "changed": len(CHANGES)}

    apply(result, selection)

    return [c["customer_id"] for c in result["changes"]]


def test_the_a_class_customers_of_a_segment_that_move_down_a_grade() -> None:
    assert _selected(Selection(segments=("hospital",), grade_classes=("A",), grade_moved="down")) == ["C1"]


def test_values_of_one_filter_are_alternatives_and_filters_must_all_hold() -> None:
    assert _selected(Selection(segments=("hospital", "pharmacy"), grade_moved="down")) == ["C1", "C3", "C4"]
    assert _selected(Selection(grade_moved="up")) == ["C2"]


def test_who_newly_gets_or_no_longer_gets_an_action_code_as_the_actions_table_counts_it() -> None:
    """A reminder whose due date moves is neither gained nor lost: its code is held under both."""
    assert _selected(Selection(gains=("HOLD_ORDERS",))) == ["C4"]
    assert _selected(Selection(loses=("HOLD_ORDERS",))) == ["C5"]
    assert _selected(Selection(gains=("COLLECTION_REMINDER",))) == ["C6"]
    assert _selected(Selection(gains=("CREDIT_REVIEW urgent",))) == ["C6"]


def test_the_limit_cut_combines_with_the_other_filters() -> None:
    assert _selected(Selection(limit_cut_over_pct=20)) == ["C1"]
    assert _selected(Selection(limit_cut_over_pct=20, grade_classes=("B",))) == []


def test_the_selection_names_its_filters_and_totals_only_the_selected() -> None:
    result: dict[str, Any] = {"changes": list(CHANGES), "changed": len(CHANGES)}

    apply(result, Selection(segments=("hospital",), grade_moved="down", gains=("CREDIT_REVIEW urgent",)))

    selection = result["selection"]
    assert selection["said"] == "--segment hospital --grade-moved down --gains 'CREDIT_REVIEW urgent'"
    assert (selection["segment"], selection["grade_moved"], selection["limit_cut_over_pct"]) == (["hospital"], "down",
                                                                                                 None)  # fmt: skip
    assert (selection["customers"], selection["of"], selection["totals"]) == (0, 6, [])


def test_without_a_filter_every_change_is_listed_and_the_selection_is_null() -> None:
    result: dict[str, Any] = {"changes": list(CHANGES), "changed": len(CHANGES)}

    apply(result, Selection())

    assert result["selection"] is None and len(result["changes"]) == 6


def test_a_misspelt_action_code_or_a_plain_review_is_refused_before_the_run_and_a_follow_ups_own_code_taken() -> None:
    assert "did you mean 'HOLD_ORDERS'?" in action_code_problem("--gains", "HOLD_ORDER")
    assert "'CREDIT_REVIEW urgent'" in action_code_problem("--gains", "CREDIT_REVIEW")
    assert "did you mean 'HOLD_ORDERS'?" in action_code_problem("--loses", "hold orders")
    assert "not an action code" in action_code_problem("--loses", "stop shipping")
    assert action_code_problem("--gains", "VISIT_SHOP") == ""
    assert action_code_problem("--gains", "CREDIT_REVIEW urgent") == ""


def test_a_segment_no_customer_is_in_is_an_error_with_a_suggestion() -> None:
    result = {"customers": 3, "segments": [{"segment": "hospital"}, {"segment": "pharmacy"}]}

    lines = unknown_segments(result, Selection(segments=("hospitl", "pharmacy", "zoo")))

    assert len(lines) == 2
    assert "--segment 'hospitl'" in lines[0] and "did you mean 'hospital'?" in lines[0]
    assert "its segments: 'hospital', 'pharmacy'" in lines[1]


def test_the_segment_table_says_its_figures_are_every_customers_and_the_selection_says_its_are_the_selected() -> None:
    """Both gave an "exposure over the limit" without saying whose: the segment's all, the selection's selected."""
    from io import StringIO

    from rich.console import Console

    from policy_engine.cli.simulate_segments import segments_table, selection_lines

    pair = {"live": "0.00", "candidate": "20.00", "change": "20.00"}
    row = {"segment": "hospital", "currency": "CNY", "customers": 9, "changed": 6, "grade_down": 2, "grade_up": 1,
           "limit_cut": 1, "limit_raised": 0, "credit_extended": pair, "over_limit": pair}  # fmt: skip
    result: dict[str, Any] = {"changes": list(CHANGES), "changed": len(CHANGES), "segments": [row]}
    apply(result, Selection(segments=("hospital",)))
    out = Console(file=StringIO(), width=300)

    segments_table(out, result)

    shown = out.file.getvalue()  # type: ignore[attr-defined]
    assert "whole portfolio: all customers of each segment, changed or not" in shown
    assert "exposure over the limit, all (change)" in shown and "credit extended, all (change)" in shown
    lines = selection_lines(result["selection"])
    assert lines[0].startswith("selected by --segment hospital: 5 of the 6 changed customers")
    assert lines[1].startswith("  the 5 selected in CNY: limit change -300.00; exposure 500.00, of which over the")


def test_a_follow_ups_own_code_misspelt_is_warned_of_with_the_code_it_is_near() -> None:
    result = {"customers": 40, "action_codes": ["CALL_OWNER", "CREDIT_REVIEW", "CREDIT_REVIEW urgent", "FOLLOW_UP"]}

    lines = unseen_action_codes(result, Selection(gains=("CALL_OWNR",), loses=("CALL_OWNER",)))

    assert lines == ["warning: --gains 'CALL_OWNR': no customer of this comparison has an action of that code, "
                     "live or with the candidate; the codes seen: CALL_OWNER, CREDIT_REVIEW, 'CREDIT_REVIEW urgent', "
                     "FOLLOW_UP; did you mean 'CALL_OWNER'?"]


def test_no_code_warning_without_a_code_asked_for_or_a_customer_compared() -> None:
    unasked = unseen_action_codes({"customers": 40, "action_codes": []}, Selection(segments=("hospital",)))
    empty = unseen_action_codes({"customers": 0, "action_codes": []}, Selection(gains=("CALL_OWNER",)))

    assert unasked == empty == []
