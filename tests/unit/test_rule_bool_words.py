"""A true/false field compared with a word for yes or no: the problem says which of true and false to write."""

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
