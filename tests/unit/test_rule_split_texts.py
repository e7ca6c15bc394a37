"""Lint: a text a comma split inside { } (an unquoted title with a comma) says so and what to write."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from policy_engine.rules.compiler import lint
from policy_engine.rules.loader import read_rule_files

RulesCopy = Callable[..., Path]
TITLE = "title: {zh: 新客户, en: New customer}"


@pytest.mark.parametrize(
    "slip",
    [
        ("title: {zh: 新客户, en: New, unproven customer}", "unproven customer",
         'so en reads as "New" and the rest as a key ("unproven customer"); put the whole text in quotes: '
         'en: "New, unproven customer"'),
        ("title: {zh: 新客户,口碑不清, en: New customer}", "口碑不清",
         'so zh reads as "新客户" and the rest as a key ("口碑不清"); put the whole text in quotes: '
         'zh: "新客户,口碑不清"'),
        ("title: {zh: 新客户, en: New, small, unproven customer}", "small",
         'so en reads as "New" and the rest as keys ("small" and "unproven customer"); put the whole text in '
         'quotes: en: "New, small, unproven customer"'),
    ],
)
def test_a_title_a_comma_split_inside_braces_is_one_problem_saying_to_quote_it(
    rules_copy: RulesCopy, slip: tuple[str, str, str]
) -> None:
    title, stray, said = slip  # the title written, the piece read as a key, how the message reads
    rules = rules_copy(("warnings.yaml", TITLE, title))

    [problem] = lint(read_rule_files(rules), source_dir=str(rules))

    assert (problem.code, problem.path.endswith("warnings.yaml"), problem.line) == ("unknown_field", True, 19)
    assert problem.message == (f'rule start.new_customer: unknown field "{stray}": a text where a key belongs. '
                               f"Inside {{ }} a comma ends an entry, {said}")


def test_a_key_left_empty_on_a_line_of_its_own_is_not_taken_for_a_split_text(rules_copy: RulesCopy) -> None:
    """In a block mapping each key has its own line: an empty value there was written so, not cut off by a comma."""
    rules = rules_copy(("warnings.yaml", TITLE, "title:\n      zh: 新客户\n      en: New customer\n      fr:"))

    [problem] = lint(read_rule_files(rules), source_dir=str(rules))

    assert problem.code == "unknown_field"
    assert problem.message.startswith('rule start.new_customer: unknown field "fr"')
    assert "a text where a key belongs" not in problem.message
