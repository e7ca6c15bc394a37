"""durable_rules takes at most 15 `$and`/`$or` terms in one rule and refuses the rule set at the 16th (error 113,
naming no rule): lint says which rule instead, and the emitter writes an `all` within an `all` as one and, so
that only the groups the condition needs count (engine_network.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from policy_engine.engine import EngineError, Ruleset
from policy_engine.engine_network import BOUNDS, Overload, and_or_groups, overloads
from policy_engine.engine_terms import rule_definition
from policy_engine.rules.compiler import lint
from policy_engine.rules.loader import read_rule_files
from tests.many_rules import lists_file

STAGE = {"_f": "c"}


def _ors(count: int) -> dict[str, Any]:
    """One rule: the stage and `count` chained `$or`s, `k<i>` 0 or 1 each: 1 + `count` groups."""
    return {"r": rule_definition([STAGE, *({"$or": [{f"k{i}": 0}, {f"k{i}": 1}]} for i in range(count))])}


def _with_rules(text: str) -> dict[str, str]:
    files = read_rule_files(Path("rules"))
    files["zz_lists.yaml"] = text
    return files


def test_the_engine_takes_the_bound_and_refuses_one_more_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    bound = BOUNDS["and_or_groups"]
    at = Ruleset("at_bound", _ors(bound - 1))
    monkeypatch.setitem(BOUNDS, "and_or_groups", 1000)  # let the core see the next one

    assert and_or_groups(_ors(bound - 1)["r"]) == bound
    # It fires when every `$or` holds, and not when one does not.
    assert at.match([{"id": 1, "_f": "c", **{f"k{i}": i % 2 for i in range(bound)}}]) == [("r", 1)]
    assert at.match([{"id": 2, "_f": "c", **{f"k{i}": 0 for i in range(bound - 2)}}]) == []
    with pytest.raises(EngineError, match="error code: 113"):
        Ruleset("past_bound", _ors(bound))
    at.close()


def test_a_rule_past_the_bound_is_named_before_the_core_sees_it() -> None:
    bound = BOUNDS["and_or_groups"]

    assert overloads(_ors(bound - 1)) == []
    assert overloads(_ors(bound)) == [Overload("r", "and_or_groups", bound + 1, bound)]


def test_lint_takes_a_rule_at_the_bound_and_names_the_rule_past_it_where_it_is_written() -> None:
    lists = BOUNDS["and_or_groups"] - 1  # each `in` list an `or`, and the condition one `and`

    assert lint(_with_rules(lists_file(lists, items=2, op="in")), "rules") == []
    problems = lint(_with_rules(lists_file(lists + 1, items=2, op="in")), "rules")
    assert [(p.path, p.line, p.col, p.code) for p in problems] == [("rules/zz_lists.yaml", 7, 5, "too_many_groups")]
    assert "16 `and`/`or` groups" in problems[0].message and "at most 15 in one rule" in problems[0].message


def test_an_all_within_an_all_is_one_and_in_the_engine() -> None:
    nested = "{dbt_open_max: {not_in: [1, 2]}}"
    for depth in range(40):
        nested = f"{{all: [{{dbt_open_max: {{between: [{depth}, {depth + 200}]}}}}, {nested}]}}"
    text = lists_file(1, items=2).replace("{all: [{dbt_open_max: {not_in: [1000, 1001]}}]}", nested)

    assert "between: [39, 239]" in text and lint(_with_rules(text), "rules") == []  # was error 113 at `rules/.`
