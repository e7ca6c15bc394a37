"""A rule set whose comparisons could hold too many at once for one fact is refused before a match fails with
durable_rules' error 303 (engine_stack.py); a match that fails so anyway says what happened. Matches past the
stack return at once (error 303), unlike a full node table (engine_network.py), so they run here."""

from __future__ import annotations

import json
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from policy_engine import engine
from policy_engine.domain.errors import EngineFailure
from policy_engine.engine import EngineError, Ruleset
from policy_engine.engine_network import BOUNDS, overloads
from policy_engine.engine_stack import CLIFF, stack_peak
from policy_engine.engine_terms import rule_definition
from policy_engine.evaluator import Policy
from policy_engine.features import compute_features
from policy_engine.features.catalogue import SIGNAL_FIELDS
from policy_engine.rules.compiler import compile_policy, lint
from policy_engine.rules.loader import read_rule_files
from tests.many_rules import lists_file, warnings_file

STAGE = {"_f": "c"}
FACT = {"id": 1, "_f": "c", "k0": 1000, "k1": 1000}


def _rules(*conditions: list[dict[str, Any]]) -> dict[str, Any]:
    """One rule per condition (terms after the stage term)."""
    return {f"r{i}": rule_definition([STAGE, *terms]) for i, terms in enumerate(conditions)}


def _thresholds(count: int) -> dict[str, Any]:
    return _rules(*([{"$gte": {"k0": i}}] for i in range(count)))


def _two_levels(first: int, second: int) -> dict[str, Any]:
    """`first` thresholds after the stage, each followed by `second` thresholds on another field."""
    return _rules(*([{"$gte": {"k0": i}}, {"$gte": {"k1": j}}] for i in range(first) for j in range(second)))


def _branches(count: int) -> dict[str, Any]:
    """`any` groups of two thresholds each: `count` branches after the stage."""
    return _rules(*([{"$or": [{"$gte": {"k0": 2 * i}}, {"$gte": {"k0": 2 * i + 1}}]}] for i in range(count // 2)))


def test_thresholds_on_one_field_all_hold_for_a_large_value() -> None:
    assert stack_peak(_thresholds(65)) == 65


def test_what_waits_at_each_node_along_a_path_adds_up() -> None:
    assert stack_peak(_two_levels(35, 30)) == 64  # 34 waiting at the stage, 30 pushed at the next node
    assert stack_peak(_two_levels(36, 30)) == 65


def test_values_one_field_cannot_hold_together_count_once() -> None:
    equal = _rules(*([{"k0": v}] for v in ("A", "B", "C", True)), [{"$nex": {"k0": 1}}])
    bands = _rules(*([{"$gte": {"k0": i}}, {"$lt": {"k0": i + 1}}] for i in range(10)))

    assert stack_peak(equal) == 1
    assert stack_peak(bands) == 10  # each band's `gte` is its first comparison: they overlap after the stage


def test_fields_and_any_branches_and_absent_fields_each_count() -> None:
    fields = _rules(*([{f"k{i}": True}] for i in range(40)), *([{"$nex": {f"a{i}": 1}}] for i in range(5)))

    assert stack_peak(fields) == 45
    assert stack_peak(_branches(66)) == 66


def test_a_chain_longer_than_python_s_recursion_limit_is_walked() -> None:
    chain = _rules([{"$neq": {"k0": i + 0.5}} for i in range(5 * sys.getrecursionlimit())])

    assert stack_peak(chain) == 1  # one comparison at a time: each pops before the next is pushed


def test_a_rule_of_many_long_not_in_lists_lints_clean() -> None:
    files = read_rule_files(Path("rules"))
    files["zz_lists.yaml"] = lists_file(14)  # 1,400 comparisons one after another (was a RecursionError)

    assert lint(files, "rules") == []


@pytest.mark.parametrize("shape", [_thresholds, _branches])
def test_the_engine_fails_a_match_exactly_past_the_computed_cliff(monkeypatch: pytest.MonkeyPatch, shape: Any) -> None:
    monkeypatch.setitem(BOUNDS, "match_stack", 1000)  # let the core see it
    at, past = Ruleset("at_cliff", shape(CLIFF)), Ruleset("past_cliff", shape(CLIFF + 2))

    assert {name for name, _ in at.match([FACT])} == set(shape(CLIFF))
    with pytest.raises(EngineError, match=r"match stack \(64\) overflowed.*303"):
        past.match([FACT])
    at.close()
    past.close()


def test_two_levels_fail_in_the_engine_as_computed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(BOUNDS, "match_stack", 1000)
    at, past = Ruleset("at_cliff", _two_levels(35, 30)), Ruleset("past_cliff", _two_levels(36, 30))

    assert len(at.match([FACT])) == 35 * 30
    with pytest.raises(EngineError, match="303"):
        past.match([FACT])
    at.close()
    past.close()


def test_a_ruleset_past_the_bound_is_refused_before_the_core_sees_it(monkeypatch: pytest.MonkeyPatch) -> None:
    bound = BOUNDS["match_stack"]
    monkeypatch.setattr(engine._core, "create_ruleset", None)

    assert [(o.rule, o.table, o.count) for o in overloads(_thresholds(bound + 3))] == [
        (f"r{bound}", "match_stack", bound + 3)]
    with pytest.raises(EngineError, match=f"r{bound}.*{bound + 3}.*{bound}"):
        Ruleset("past_bound", _thresholds(bound + 3))



def _peak_of(policy: Policy, kind: str) -> int:
    """The stack's peak for the fact matching `kind`'s rules."""
    definition = policy.program.definition
    return stack_peak({r.name: definition[r.name] for r in policy.program.rules if r.kind == kind})


def test_lint_names_the_rule_that_takes_the_customer_stage_s_warning_signs_past_the_bound(
        monkeypatch: pytest.MonkeyPatch, policy: Policy) -> None:
    files = read_rule_files(Path("rules"))
    shipped = _peak_of(policy, "warning")
    added = BOUNDS["match_stack"] - shipped + 4  # thresholds 1 … 26: below the shipped ones on dbt_open_max
    files["zz_many.yaml"] = warnings_file(added)  # each holds with the others for a large dbt_open_max
    monkeypatch.setattr(engine._core, "create_ruleset", None)

    problems = [p for p in lint(files, "rules") if p.code == "too_many_at_once"]

    first_past = BOUNDS["match_stack"] - shipped  # 0-based: the rule taking the peak to the bound + 1
    assert [(p.path, p.line, p.col) for p in problems] == [("rules/zz_many.yaml", 7 + 6 * first_past, 5)]
    assert f"{shipped + added}" in problems[0].message and f"{BOUNDS['match_stack']}" in problems[0].message
    assert "the customer stage's warning signs" in problems[0].message


def test_the_shipped_pack_is_within_the_bound(policy: Policy) -> None:
    assert stack_peak(policy.program.definition) <= BOUNDS["match_stack"] < CLIFF


def test_a_failed_match_names_the_stage_and_the_overflow(monkeypatch: pytest.MonkeyPatch, policy: Policy,
                                                         example: Any) -> None:
    def overflow(_: Any) -> None:
        raise EngineError(engine.match_failure(RuntimeError("Could not assert facts, error code: 303")))

    monkeypatch.setattr(policy._ruleset, "match", overflow)

    overflowed = r"customer and invoice stages: .*match stack \(64\) overflowed.*held at once"
    with pytest.raises(EngineFailure, match=overflowed):
        policy.evaluate(example("steady-distributor"))



def _all_holding(policy: Policy, example: Any) -> dict[str, Any]:
    """A distressed customer's features with every warning flag set, days beyond terms past every threshold, and
    the scorecard's and follow-ups' fields where most of their comparisons hold."""
    features = compute_features(example("bank-distress"), date(2025, 6, 30), policy.program.settings)
    most = {"dbt_open_max": 10_000, "current_ratio": 10, "order_trend_ratio": 10, "debt_ratio": 0,
            "dbt_paid_weighted": 0, "late_paid_share": 0, "days_since_last_purchase": 1000,
            "purchase_interval_ratio": 10, "financials_age_days": 1000, "days_since_last_contact": 1000}
    return {**features, **dict.fromkeys(SIGNAL_FIELDS, True), **most}


def test_warning_signs_have_a_stack_of_their_own_beside_the_customer_stage_s_other_rules(policy: Policy,
                                                                                        example: Any) -> None:
    added = BOUNDS["match_stack"] - _peak_of(policy, "warning")  # as many more as the warnings' own stack allows
    files = read_rule_files(Path("rules"))
    files["zz_many.yaml"] = warnings_file(added)  # all hold with the shipped ones for a large dbt_open_max

    problems = lint(files, "rules")
    many = compile_policy(files, "rules")
    _score, _grade, fired = many.rate_features(_all_holding(many, example))
    many.close()

    assert [p.code for p in problems] == []
    assert {f"many.r{i}" for i in range(added)} <= set(fired)


def test_the_engine_holds_more_of_the_customer_stage_at_once_as_a_fact_per_kind(monkeypatch: pytest.MonkeyPatch,
                                                                                example: Any) -> None:
    monkeypatch.setitem(BOUNDS, "match_stack", 1000)  # let the core see it
    files = read_rule_files(Path("rules"))
    files["zz_many.yaml"] = warnings_file(30)  # measured: one customer fact overflows from 23 on, a fact per kind at 43
    many = compile_policy(files, "rules")
    features = _all_holding(many, example)
    definition, fact = _as_one_fact(many, features)
    one = Ruleset("one_customer_fact", definition)

    held = many.match_stage("customer", features)
    with pytest.raises(EngineError, match="303"):
        one.match([fact])
    one.close()
    many.close()

    assert {f"many.r{i}" for i in range(30)} <= {r.id for r in held}


def _as_one_fact(policy: Policy, features: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The customer stage's rules matching one fact `_f == customer` (as before), and that fact for `features`."""
    rules = policy.program.definition
    text = json.dumps({r.name: rules[r.name] for r in policy.program.rules if r.stage == "customer"})
    fact: dict[str, Any] = {}
    for part in policy._facts("customer", features):
        fact.update(part)
    return json.loads(re.sub(r'"_f": "customer[^"]*"', '"_f": "customer"', text)), {**fact, "id": 0, "_f": "customer"}
