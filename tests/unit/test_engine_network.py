"""A ruleset past durable_rules' fixed node tables is refused before the core sees it: a full table hangs
or crashes the core instead of refusing (engine_network.py). Never compile past the cliff here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from policy_engine import engine
from policy_engine.engine import EngineError, Ruleset
from policy_engine.engine_network import BOUNDS, Overload, overloads
from policy_engine.engine_terms import rule_definition
from policy_engine.rules.compiler import lint
from policy_engine.rules.loader import read_rule_files
from tests.many_rules import warnings_file

STAGE = {"_f": "c"}


def _thresholds(count: int) -> dict[str, Any]:
    """`count` rules each one comparison after the stage: as many branches at the stage's node. Equal-to values,
    which exclude each other: as many thresholds would all hold for a large value (the match stack's bound)."""
    return {f"r{i}": rule_definition([STAGE, {"k0": i}]) for i in range(count)}



def test_branches_at_the_bound_pass_and_one_more_is_named_at_the_rule_past_it() -> None:
    bound = BOUNDS["branches"]

    assert overloads(_thresholds(bound)) == []
    assert overloads(_thresholds(bound + 5)) == [Overload(f"r{bound}", "branches", bound + 5, bound)]


def test_a_ruleset_at_the_bound_compiles_and_matches() -> None:
    ruleset = Ruleset("at_bound", _thresholds(BOUNDS["branches"]))

    fired = ruleset.match([{"id": 1, "_f": "c", "k0": 2}])
    ruleset.close()

    assert fired == [("r2", 1)]


def test_a_ruleset_past_the_bound_is_refused_before_the_core_sees_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*_: Any) -> None:
        raise AssertionError("the core was asked to compile")

    monkeypatch.setattr(engine._core, "create_ruleset", never)

    with pytest.raises(EngineError, match="r400.*401.*400"):
        Ruleset("past_bound", _thresholds(BOUNDS["branches"] + 1))


def test_rules_sharing_leading_comparisons_count_at_the_node_where_they_part() -> None:
    shared = {f"r{i}": rule_definition([STAGE, {"a": 1}, {"b": i}]) for i in range(401)}

    assert [(o.rule, o.table, o.count) for o in overloads(shared)] == [("r400", "branches", 401)]


def test_too_many_rules_with_one_condition_or_absent_fields_are_named() -> None:
    same = {f"r{i}": rule_definition([STAGE, {"a": 1}]) for i in range(201)}
    absent = {f"r{i}": rule_definition([STAGE, {"$nex": {f"k{i}": 1}}]) for i in range(101)}
    ors = {f"r{i}": rule_definition([STAGE, {"$or": [{"a": 1}, {"b": 1}]}]) for i in range(101)}

    assert [(o.rule, o.table) for o in overloads(same)] == [("r200", "same_condition")]
    # Both could also all hold at once for one fact, past the match stack's bound (60): said beside. The `any`
    # groups wait at `a` while `b` waits at the stage (1 + 60).
    assert [(o.rule, o.table) for o in overloads(absent)] == [("r100", "absent_or_any"), ("r60", "match_stack")]
    assert {(o.rule, o.table) for o in overloads(ors)} == {("r100", "absent_or_any"), ("r59", "match_stack")}


def test_lint_names_the_warning_rule_past_the_bound_across_the_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    files = read_rule_files(Path("rules"))
    files["zz_many.yaml"] = warnings_file(BOUNDS["branches"])  # with the shipped customer rules: past it
    monkeypatch.setattr(engine._core, "create_ruleset", None)  # lint must not get as far as the core

    problems = [p for p in lint(files, "rules") if p.code == "too_many_rules"]

    assert [(p.path, p.col) for p in problems] == [("rules/zz_many.yaml", 5)]
    assert (problems[0].line - 7) % 6 == 0 and problems[0].line > 7
    assert "400" in problems[0].message and "customer" in problems[0].message
