"""Lint, read by risk staff: an operator written in plain words says which to write instead."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from policy_engine.rules.compiler import lint
from policy_engine.rules.loader import read_rule_files

RulesCopy = Callable[..., Path]

_NUMBER_OPS = "eq, ne, lt, lte, gt, gte, between, in, not_in, exists"


def _found(rules: Path) -> list[tuple[str, str]]:
    """Each problem as (code, message)."""
    return [(p.code, p.message) for p in lint(read_rule_files(rules), str(rules))]


@pytest.mark.parametrize(("written", "meant"), [
    ("above", "gt"), ("over", "gt"), ("more_than", "gt"), ("greater_than", "gt"), ("more than", "gt"),
    ("at_least", "gte"), ("min", "gte"), ("not_less_than", "gte"),
    ("below", "lt"), ("under", "lt"), ("less_than", "lt"), ("fewer-than", "lt"),
    ("at_most", "lte"), ("max", "lte"), ("no_more_than", "lte"),
    ("equals", "eq"), ("is", "eq"), ("Is", "eq"),
    ("not", "ne"), ("isnt", "ne"), ("is_not", "ne"),
    ("less", "lt"), ("lower", "lt"), ("smaller", "lt"), ("greater", "gt"), ("more", "gt"), ("higher", "gt"),
])
def test_an_operator_written_in_words_says_which_operator_to_write(
    rules_copy: RulesCopy, written: str, meant: str
) -> None:
    """`{dbt_open_max: {above: 90}}` listed the operators but left the analyst to find `gt` among them."""
    rules = rules_copy(("warnings.yaml", "{dbt_open_max: {gte: 91}}", f"{{dbt_open_max: {{{written}: 90}}}}"))

    [(code, message)] = _found(rules)

    assert code == "bad_operator"
    assert message.endswith(f' — did you mean "{meant}"?')


def test_a_grade_operator_on_a_number_says_which_number_operator_to_write(rules_copy: RulesCopy) -> None:
    """`at_least` is a grade's operator; on a count it is `gte` in words."""
    rules = rules_copy(("warnings.yaml", "{due_date_changes_90d: {gte: 2}}", "{due_date_changes_90d: {at_most: 2}}"))

    [(code, message)] = _found(rules)

    assert (code, message) == ("bad_operator", 'rule warn.due_dates_changed: "at_most" cannot compare '
                               f'"due_date_changes_90d", which is a whole number; it takes {_NUMBER_OPS} — did you '
                               'mean "lte"?')


def test_a_comparison_word_a_grade_cannot_take_is_not_matched_by_its_spelling(rules_copy: RulesCopy) -> None:
    """`less` on a grade said `did you mean "exists"?`, its nearest spelling: a grade is compared with at_least and
    at_most, so the operators are listed and none is picked."""
    rules = rules_copy(("limits.yaml", "when: {grade: AAA}", "when: {grade: {less: AA}}"))

    [(code, message)] = _found(rules)

    assert code == "bad_operator" and message.endswith(", at_least, at_most") and "did you mean" not in message


def test_a_word_that_could_mean_either_of_two_operators_is_not_guessed_at(rules_copy: RulesCopy) -> None:
    """`up_to: 90` may or may not take 90 in: the operators are listed, none is picked."""
    rules = rules_copy(("warnings.yaml", "{dbt_open_max: {gte: 91}}", "{dbt_open_max: {up_to: 90}}"))

    [(code, message)] = _found(rules)

    assert (code, message) == ("bad_operator", f'rule warn.seriously_overdue: unknown operator "up_to"; expected one '
                                               f"of {_NUMBER_OPS}")
