"""A true/false field compared with, or a true/false setting given, a word for yes or no: the problem says which of
true and false to write, in one wording for both."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from policy_engine.rules.compiler import lint
from policy_engine.rules.loader import read_rule_files


@pytest.mark.parametrize(("written", "meant"), [
    ("no", "false"), ("yes", "true"), ("Off", "false"), ("on", "true"), ('"true"', "true"), ("否", "false"),
    ("是", "true"),
])
def test_a_yes_or_no_word_on_a_true_false_field_says_which_to_write(
    rules_copy: Callable[..., Path], written: str, meant: str,
) -> None:
    """`{has_orders: no}` said `"has_orders" is true/false; got 'no'` (YAML 1.2 reads no as a text)."""
    rules = rules_copy(("warnings.yaml", "{overdue_count: {gt: 0}}", f"{{has_orders: {written}}}"))

    [problem] = lint(read_rule_files(rules), str(rules))

    assert problem.code == "type_mismatch"
    assert problem.message.endswith(f"(write {meant}, without quotes: YAML reads only true and false as yes or no)")


def test_another_word_on_a_true_false_field_says_nothing_it_cannot_tell(rules_copy: Callable[..., Path]) -> None:
    rules = rules_copy(("warnings.yaml", "{overdue_count: {gt: 0}}", "{has_orders: maybe}"))

    [problem] = lint(read_rule_files(rules), str(rules))

    assert problem.message == "rule warn.overdue_hold: \"has_orders\" is true/false; got 'maybe'"


@pytest.mark.parametrize(("setting", "written", "meant"), [
    ("urgent_review", "yes", "true"), ("urgent_review", "'no'", "false"), ("hold_orders", "on", "true"),
    ("request_collateral", "否", "false"),
])
def test_a_true_false_setting_written_yes_or_no_says_it_as_a_condition_does(
    rules_copy: Callable[..., Path], setting: str, written: str, meant: str
) -> None:
    """pydantic's `Input should be a valid boolean` was all an effect's `urgent_review: yes` got."""
    rules = rules_copy(("warnings.yaml", "effects: {downgrade: 2, urgent_review: true, limit_factor: 0.5}",
                        f"effects: {{downgrade: 2, {setting}: {written}, limit_factor: 0.5}}"))
    value = written.strip("'")

    [problem] = lint(read_rule_files(rules), str(rules))
    code, message = problem.code, problem.message

    assert (code, message) == ("type_mismatch", f'rule warn.seriously_overdue: effects.{setting}: "{setting}" is '
                               f"true/false; got {value!r} (write {meant}, without quotes: YAML reads only true and "
                               "false as yes or no)")


def test_a_true_false_setting_given_a_number_says_what_it_takes(rules_copy: Callable[..., Path]) -> None:
    """No word to translate: the setting and what it takes, in the same words."""
    rules = rules_copy(("warnings.yaml", "effects: {downgrade: 1, urgent_review: true}\n",
                        "effects: {downgrade: 1, urgent_review: 2}\n"))

    [problem] = lint(read_rule_files(rules), str(rules))
    code, message = problem.code, problem.message

    assert code == "type_mismatch"
    assert message.endswith('effects.urgent_review: "urgent_review" is true/false; got 2')
