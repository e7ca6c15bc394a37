"""Every problem located inside a rule starts `rule <id>:`, as rules/README.md says: an analyst reading
`unknown field "due_date_change_90d"` had to open the file to learn which rule it was in."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from policy_engine.rules.compiler import lint
from policy_engine.rules.loader import read_rule_files

RulesCopy = Callable[..., Path]


@pytest.mark.parametrize(("file", "old", "new", "code", "rule"), [
    ("warnings.yaml", "due_date_changes_90d: {gte: 2}", "due_date_change_90d: {gte: 2}", "unknown_feature",
     "warn.due_dates_changed"),
    ("warnings.yaml", "debt_ratio: {gt: 0.85}", "debt_ratio: {gt: '85%'}", "type_mismatch", "warn.over_leveraged"),
    ("warnings.yaml", "current_ratio: {lt: 1}", "current_ratio: {lesser: 1}", "bad_operator", "warn.weak_liquidity"),
    ("scorecard.yaml", "{debt_ratio: {lte: 0.4}}", "{debt_ratio: {lte: '40%'}}", "type_mismatch", None),
])
def test_a_problem_in_a_rules_condition_names_the_rule(
    rules_copy: RulesCopy, file: str, old: str, new: str, code: str, rule: str | None,
) -> None:
    """Before: `unknown_feature: unknown field "due_date_change_90d"`, no rule named."""
    rules = rules_copy((file, old, new))
    text = (rules / file).read_text().splitlines()
    line = next(i for i, row in enumerate(text, 1) if new.split(":")[0] in row and new in row)
    rule = rule or next(row.split("id: ")[1].split(",")[0] for row in reversed(text[:line]) if "- id: " in row)

    [problem] = lint(read_rule_files(rules), str(rules))

    assert (problem.code, problem.line) == (code, line)
    assert problem.message.startswith(f"rule {rule}: ")


def test_an_unknown_key_in_a_rule_names_the_rule(rules_copy: RulesCopy) -> None:
    """`unknown field "severty"` inside a warning sign, once named by its rule."""
    rules = rules_copy(("warnings.yaml", "    severity: urgent\n    when: {dbt_open_max: {gte: 91}}",
                        "    severty: urgent\n    when: {dbt_open_max: {gte: 91}}"))

    [problem] = lint(read_rule_files(rules), str(rules))

    assert problem.code == "unknown_field"
    assert problem.message.startswith('rule warn.seriously_overdue: unknown field "severty"')
