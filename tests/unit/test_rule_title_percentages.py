"""A title stating a bound in percent that its rule's ratio threshold does not have is a lint problem at that title.

`Debt ratio above 80%` on `{debt_ratio: {gt: 0.85}}` linted clean: a ratio holds a fraction, 80% is 0.8."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.title_lint import messages_at, mismatches

RulesCopy = Callable[..., Path]
OVER_LEVERAGED = "title: {zh: 负债比率过高, en: Debt ratio above 85%}"


def _over_leveraged(rules_copy: RulesCopy, zh: str, en: str, when: str = "{debt_ratio: {gt: 0.85}}") -> Path:
    return rules_copy(("warnings.yaml", OVER_LEVERAGED, f"title: {{zh: '{zh}', en: '{en}'}}"),
                      ("warnings.yaml", "{debt_ratio: {gt: 0.85}}", when))


def test_the_shipped_percentages_agree_with_their_thresholds(rules_copy: RulesCopy) -> None:
    """`Debt ratio above 85%` on gt 0.85, `负债比率>80%或资不抵债` on gt 0.8; the scorecard's 40–60% ranges unread."""
    assert mismatches(rules_copy()) == []


def test_a_percentage_bound_other_than_the_ratio_threshold_is_a_problem_at_each_title(rules_copy: RulesCopy) -> None:
    rules = _over_leveraged(rules_copy, "负债率超过80%", "Debt ratio above 80%")

    zh, en = messages_at(rules, "warnings.yaml", "zh: '负债率超过80%'", "en: 'Debt ratio above 80%'")

    assert zh.startswith("rule warn.over_leveraged: title.zh: ")
    assert en.startswith("rule warn.over_leveraged: title.en: ")
    for message in (zh, en):
        assert '"80%" (0.8)' in message and "debt_ratio gt 0.85" in message
        assert 'write "85%" in its place (or debt_ratio: {gt: 0.8}, if the title is right)' in message


@pytest.mark.parametrize(("en", "when", "write"), [
    # A fraction field's (debt_ratio: {gt: 85}) is reported at the threshold instead (test_field_lower_bounds.py).
    ("Order trend under 50%", "{order_trend_ratio: {lt: 50}}", "order_trend_ratio: {lt: 0.5}"),
    ("Current ratio under 120%", "{current_ratio: {lt: 120}}", "current_ratio: {lt: 1.2}"),
])
def test_a_threshold_written_as_the_titles_percentage_says_to_write_the_fraction(
    rules_copy: RulesCopy, en: str, when: str, write: str,
) -> None:
    """`Debt ratio above 85%` on `gt: 85` said to write "8500%" in the title: it is the threshold that is wrong."""
    rules = _over_leveraged(rules_copy, "负债比率过高", en, when)

    [message] = messages_at(rules, "warnings.yaml", f"en: '{en}'")

    assert "00%" not in message
    assert message.endswith(f"a ratio is a fraction here; write {write}")


@pytest.mark.parametrize(("en", "when", "write"), [
    ("Debt ratio over eighty percent", "{debt_ratio: {gt: 0.85}}", "eighty-five percent"),
    ("Current ratio under 120%", "{current_ratio: {lt: 1}}", "100%"),
    ("Debt ratio 90% or more", "{debt_ratio: {gte: 0.85}}", "85%"),
    ("Debt ratio at least 85.5%", "{debt_ratio: {gte: 0.85}}", "85%"),
])
def test_each_way_a_bound_is_worded_is_read(rules_copy: RulesCopy, en: str, when: str, write: str) -> None:
    """A ratio above 1 is over 100% (a current ratio of 1.2 is 120%)."""
    rules = _over_leveraged(rules_copy, "负债比率过高", en, when)

    [message] = messages_at(rules, "warnings.yaml", f"en: '{en}'")

    assert f'write "{write}" in its place' in message


@pytest.mark.parametrize(("zh", "en", "when"), [
    ("负债率高于85%", "Debt ratio above 85%", "{debt_ratio: {gt: 0.85}}"),
    ("负债率80%以上", "Debt ratio of 80% and above", "{debt_ratio: {gte: 0.8}}"),
    ("流动比率低于百分之一百二十", "Current ratio below 120%", "{current_ratio: {lt: 1.2}}"),
    ("负债率80–90%", "Debt ratio 80 to 90%", "{debt_ratio: {gt: 0.85}}"),  # a range: not read
    ("负债率80%或90%", "Debt ratio 80% or 90%", "{debt_ratio: {gt: 0.85}}"),  # two percentages: not read
    ("负债率80%", "Debt ratio 80%", "{debt_ratio: {gt: 0.85}}"),  # not worded as a bound
    ("逾期超过80%", "Overdue above 80%", "{dbt_open_max: {gt: 30}}"),  # no ratio field in the rule
    ("负债率超过80%", "Debt ratio above 80%",
     "{all: [{debt_ratio: {gt: 0.85}}, {current_ratio: {lt: 1}}]}"),  # two ratio thresholds: which is unsure
])
def test_a_percentage_that_agrees_or_cannot_be_told_for_sure_passes(rules_copy: RulesCopy, zh: str, en: str,
                                                                    when: str) -> None:
    rules = _over_leveraged(rules_copy, zh, en, when)

    assert mismatches(rules) == []
