"""Replay diffs name the paths where a replayed decision differs from the logged one."""

from __future__ import annotations

from adapters.store.replay import diff, is_wording


def test_equal_decisions_have_no_diff() -> None:
    logged = {"grade": "BB", "reasons": [{"rule_id": "r1", "evidence": {"dbt": 12}}]}

    assert diff(logged, logged) == []


def test_a_changed_value_is_named_by_its_path() -> None:
    logged = {"grade": "BB", "reasons": [{"rule_id": "r1", "evidence": {"dbt": 12}}]}
    replayed = {"grade": "BB", "reasons": [{"rule_id": "r1", "evidence": {"dbt": 13}}]}

    assert diff(logged, replayed) == ["reasons[0].evidence.dbt: 12 → 13"]


def test_missing_extra_keys_and_list_lengths_are_reported() -> None:
    assert diff({"a": 1, "b": [1]}, {"b": [1, 2], "c": 3}) == [
        "a: missing in replay",
        "b: 1 item logged → 2 replayed",
        "c: only in replay",
    ]


def test_an_amount_written_to_another_scale_is_the_same_decision_and_other_text_is_not() -> None:
    logged = {"exposure": "0", "customer": {"available_credit": "80000.00"}, "available_credit_after": "-1000",
              "order_id": "001"}
    replayed = {"exposure": "0.00", "customer": {"available_credit": "80000.0"}, "available_credit_after": "-1000.00",
                "order_id": "1"}

    assert diff(logged, replayed) == ["order_id: '001' → '1'"]
    assert diff({"exposure": "0"}, {"exposure": "0.01"}) == ["exposure: '0' → '0.01'"]
    assert diff({"exposure": "0"}, {"exposure": "n/a"}) == ["exposure: '0' → 'n/a'"]


def test_a_result_says_the_code_changed_only_when_it_is_not_exact_and_another_build_replayed_it() -> None:
    from adapters.store.replay import ReplayResult

    def note(reproduces: bool | None, logged: str | None, current: str = "0.1.0+b", wording: bool = False) -> str:
        words = ["m"] if wording else []
        return ReplayResult(1, reproduces, wording=words, logged_build=logged, current_build=current).build_note()

    assert note(False, "0.1.0+a").startswith("logged by build 0.1.0+a, now 0.1.0+b: the code changed since")
    assert note(True, "0.1.0+a", wording=True).startswith("logged by build 0.1.0+a, now 0.1.0+b")
    assert note(False, None).startswith("logged before builds were recorded, now 0.1.0+b: the code may have changed")
    assert note(True, "0.1.0+a") == ""  # reproduced exactly: whatever changed did not matter
    assert note(False, "0.1.0+b") == ""  # the same code: the rules, the input or the log differ
    assert note(None, "0.1.0+a") == note(False, "0.1.0+a", current="") == ""  # the replay did not run


def test_a_list_field_added_since_is_no_difference_while_the_replay_leaves_it_empty() -> None:
    """Decisions logged before actions carried `gather` replay with `"gather": []` (their policy has no
    review_information file): nothing was there then either. A filled one is a difference."""
    logged = {"actions": [{"code": "CREDIT_REVIEW"}]}

    assert diff(logged, {"actions": [{"code": "CREDIT_REVIEW", "gather": []}]}) == []
    assert diff(logged, {"actions": [{"code": "CREDIT_REVIEW", "gather": ["x"]}]}) == [
        "actions[0].gather: only in replay"
    ]


def test_a_trace_note_added_since_an_explained_decision_was_logged_is_wording_not_a_new_decision() -> None:
    logged = {"trace": [{"rule_id": "collect.medium_term", "fired": True}, {"rule_id": "grade.aa", "fired": True}]}
    replayed = {"trace": [{"rule_id": "collect.medium_term", "fired": True, "superseded_by": "",
                           "no_action": "not due yet: INV-45 reminded from 2026-12-13"},
                          {"rule_id": "grade.aa", "fired": True, "superseded_by": "", "no_action": ""}]}

    found = diff(logged, replayed)

    assert found == ["trace[0].no_action: only in replay"]
    assert all(is_wording(d) for d in found)
