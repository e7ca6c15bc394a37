"""A rule without one of its required keys: the problem names the rule and says what to write."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from policy_engine.rules.compiler import lint
from policy_engine.rules.loader import read_rule_files

RulesCopy = Callable[..., Path]

OVER_LEVERAGED = """    title: {zh: 负债比率过高, en: Debt ratio above 85%}
    source: "002 重要财务比率: 负债比率"
"""


@pytest.mark.parametrize(("old", "new", "said"), [
    (OVER_LEVERAGED, OVER_LEVERAGED.split("\n")[0] + "\n",
     'rule warn.over_leveraged: missing field "source": write the handbook passage the rule encodes, '
     'such as source: "002 付款变化: 延迟付款期限"'),
    (OVER_LEVERAGED, OVER_LEVERAGED.split("\n")[1] + "\n",
     'rule warn.over_leveraged: missing field "title": write title: {zh: …, en: …}'),
])
def test_a_rule_missing_a_required_key_is_named_with_what_to_write(
    rules_copy: RulesCopy, old: str, new: str, said: str,
) -> None:
    """It said `missing field "source"`: not which rule, nor that a source cites the handbook."""
    rules = rules_copy(("warnings.yaml", old, new))

    [problem] = lint(read_rule_files(rules), str(rules))

    assert problem.code == "missing_field"
    assert problem.line == (rules / "warnings.yaml").read_text().splitlines().index("  - id: warn.over_leveraged") + 1
    assert problem.message.startswith(said)


@pytest.mark.parametrize(("title", "said"), [
    ("title: {zh: 负债比率过高}", 'rule warn.over_leveraged: title: missing field "en": write the title in English '
                              "beside the Chinese one: {zh: …, en: …} (decisions show both)"),
    ("title: {en: Debt ratio above 85%}", 'rule warn.over_leveraged: title: missing field "zh": write the title in '
                                         "Chinese beside the English one: {zh: …, en: …} (decisions show both)"),
])
def test_a_title_in_one_language_only_says_to_write_the_other(rules_copy: RulesCopy, title: str, said: str) -> None:
    """`title: {zh: 负债比率过高}` said only `title: missing field "en"`."""
    rules = rules_copy(("warnings.yaml", "title: {zh: 负债比率过高, en: Debt ratio above 85%}", title))

    [problem] = lint(read_rule_files(rules), str(rules))

    assert problem.code == "missing_field"
    assert problem.line == (rules / "warnings.yaml").read_text().splitlines().index(f"    {title}") + 1
    assert problem.message == said
