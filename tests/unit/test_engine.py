"""The durable_rules wrapper survives every pitfall DEVELOPERS.md lists."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy_engine.engine import EngineClosed, EngineError, Ruleset
from policy_engine.engine_terms import rule_definition


def _ruleset(label: str = "t") -> Ruleset:
    return Ruleset(
        label,
        {
            "big": rule_definition([{"_f": "c"}, {"$gt": {"amount": 700}}]),
            "either": rule_definition([{"_f": "c"}, {"$or": [{"$lt": {"a": 1}}, {"$lt": {"b": 1}}]}]),
            "flag": rule_definition([{"_f": "c"}, {"flag": True}]),
        },
    )


def test_more_matches_than_the_session_limit_do_not_exhaust_sessions() -> None:
    rs = _ruleset()

    fired = [rs.match([{"id": 0, "_f": "c", "amount": 1000 + i}]) for i in range(3000)]

    assert all(hits == [("big", 0)] for hits in fired)


def test_identical_facts_can_be_matched_again() -> None:
    rs = _ruleset()

    first = rs.match([{"id": 0, "_f": "c", "amount": 800}])
    second = rs.match([{"id": 0, "_f": "c", "amount": 800}])

    assert first == second == [("big", 0)]


def test_nothing_matching_is_an_empty_result_not_an_error() -> None:
    assert _ruleset().match([{"id": 0, "_f": "c", "amount": 1}]) == []


def test_every_matching_fact_fires_not_only_the_first() -> None:
    hits = _ruleset().match([{"id": i, "_f": "c", "amount": 800, "flag": True} for i in range(3)])

    assert sorted(hits) == sorted([("big", i) for i in range(3)] + [("flag", i) for i in range(3)])


def test_numbers_sent_as_strings_would_compare_as_text() -> None:
    # Why the evaluator converts every value before the engine: "1000" > 700 is false in durable_rules.
    assert _ruleset().match([{"id": 0, "_f": "c", "amount": "1000"}]) == []


def test_an_or_condition_may_fire_once_per_branch() -> None:
    hits = _ruleset().match([{"id": 0, "_f": "c", "a": 0, "b": 0}])

    assert set(hits) == {("either", 0)}


def test_a_broken_definition_raises_engine_error() -> None:
    with pytest.raises(EngineError):
        Ruleset("bad", {"r": {"all": [{"m": {"$and": [{"x": {"$gt": 1}}]}}]}})


def test_the_same_label_can_be_compiled_twice() -> None:
    assert _ruleset("same").match([{"id": 0, "_f": "c", "amount": 900}]) == _ruleset("same").match(
        [{"id": 0, "_f": "c", "amount": 900}]
    )


def test_a_closed_ruleset_refuses_matches() -> None:
    rs = _ruleset()
    rs.close()

    with pytest.raises(EngineClosed):  # never tried: the caller may make it again elsewhere
        rs.match([{"id": 0, "_f": "c", "amount": 900}])


def _leave_a_stale_fact(rs: Ruleset) -> None:
    """As if an earlier match had failed to retract its fact (its action never drained)."""
    import json

    import durable_rules_engine as core

    from policy_engine.engine import _LOCK as engine_lock

    with engine_lock:  # the core is not thread-safe: poke it only as the module does, under its lock
        core.assert_facts(rs._handle, json.dumps([{"id": 0, "_f": "c", "amount": 900, "sid": "0"}]))


def test_a_fact_left_in_the_session_is_an_error_and_the_ruleset_starts_over() -> None:
    rs = _ruleset()
    _leave_a_stale_fact(rs)

    with pytest.raises(EngineError, match="identical fact"):
        rs.match([{"id": 0, "_f": "c", "amount": 900}])
    assert rs.replaced == 1  # a fresh engine ruleset; the broken session is abandoned, never deleted
    assert rs.match([{"id": 0, "_f": "c", "amount": 900}]) == [("big", 0)]


def test_a_ctrl_c_in_the_middle_of_a_match_leaves_no_fact_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    from policy_engine import engine

    rs = _ruleset()
    real = engine._core

    class InterruptedCore:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def start_action_for_state(self, *args: Any) -> Any:  # after assert, before retract
            raise KeyboardInterrupt

    monkeypatch.setattr(engine, "_core", InterruptedCore())
    with pytest.raises(KeyboardInterrupt):
        rs.match([{"id": 0, "_f": "c", "amount": 900}])
    monkeypatch.setattr(engine, "_core", real)

    assert rs.match([{"id": 0, "_f": "c", "amount": 900}]) == [("big", 0)]  # not "identical fact"
    assert rs.replaced == 1


def test_a_ruleset_that_keeps_failing_is_closed_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    from policy_engine import engine

    monkeypatch.setattr(engine, "MAX_REPLACEMENTS", 1)
    rs = _ruleset()
    for _ in range(2):
        assert rs.broken is None
        _leave_a_stale_fact(rs)
        with pytest.raises(EngineError, match="identical fact"):
            rs.match([{"id": 0, "_f": "c", "amount": 900}])

    assert rs.broken == "closed after 1 failed matches"  # what the service reads to replace the process
    with pytest.raises(EngineClosed, match="closed after 1 failed matches"):
        rs.match([{"id": 0, "_f": "c", "amount": 900}])


def test_a_policy_whose_ruleset_is_closed_says_nothing_was_evaluated(example: Any) -> None:
    """The service answers UNAVAILABLE (retry) for a call that meets a closed engine, INTERNAL only
    for one that failed inside it."""
    from policy_engine.api import load_policy
    from policy_engine.domain.errors import EngineUnavailable

    policy = load_policy()
    snapshot = example("steady-distributor")
    policy.evaluate(snapshot, as_of=date(2026, 11, 22))
    policy.close()

    with pytest.raises(EngineUnavailable) as info:
        policy.evaluate(snapshot, as_of=date(2026, 11, 22))
    assert info.value.detail == "ruleset is closed"
    assert "try again" in str(info.value)


def test_a_ruleset_closed_on_purpose_is_not_broken() -> None:
    rs = _ruleset()
    rs.close()

    assert rs.broken is None
    with pytest.raises(EngineError, match="ruleset is closed"):
        rs.match([{"id": 0, "_f": "c", "amount": 900}])


def test_short_keys_rename_every_field_of_a_definition_and_match_the_same() -> None:
    from policy_engine.engine_terms import rename_properties, short_keys

    definition = {
        "big": rule_definition([{"_f": "c"}, {"$gt": {"amount": 700}}]),
        "either": rule_definition(
            [{"_f": "c"}, {"$or": [{"$lt": {"a": 1}}, {"$and": [{"b": 0}, {"$nex": {"a": 1}}]}]}]),
    }
    keys = short_keys(["amount", "a", "b", "amount"])
    renamed = {name: rename_properties(rule, keys) for name, rule in definition.items()}

    assert keys == {"a": "k0", "amount": "k1", "b": "k2"}
    assert renamed["either"] == rule_definition(
        [{"_f": "c"}, {"$or": [{"$lt": {"k0": 1}}, {"$and": [{"k2": 0}, {"$nex": {"k0": 1}}]}]}])
    plain, short = Ruleset("plain", definition), Ruleset("short", renamed)
    for fact in ({"amount": 800, "b": 0}, {"a": 0}, {"amount": 5, "a": 3, "b": 1}, {"b": 0}):
        long_hits = plain.match([{"id": 0, "_f": "c", **fact}])
        short_hits = short.match([{"id": 0, "_f": "c", **{keys[k]: v for k, v in fact.items()}}])
        assert long_hits == short_hits


# ---- numbers the engine's JSON reader would lose: an exponent after a mantissa without a point ----


@pytest.fixture(scope="module")
def halves() -> Ruleset:
    return Ruleset(
        "n",
        {
            "above": rule_definition([{"_f": "c"}, {"$gt": {"v": 0.5}}]),
            "below": rule_definition([{"_f": "c"}, {"$lt": {"v": 0.5}}]),
            "other": rule_definition([{"_f": "c"}, {"$gte": {"w": 0}}]),  # a property after v
        },
    )


@pytest.mark.parametrize(
    ("v", "fired"),
    [
        (2e-6, "below"),  # orjson writes 2e-6
        (5e-7, "below"),
        (-2e-6, "below"),
        (1e-300, "below"),
        (1e16, "above"),  # 1e+16
        (3e20, "above"),
        (2.5e-7, "below"),  # a point in the mantissa: read correctly even before
        (1.5e16, "above"),
    ],
)
def test_fact_numbers_written_with_an_exponent_compare_as_numbers(halves: Ruleset, v: float, fired: str) -> None:
    # durable_rules read `2e-6` as nothing at all: the property, and the rest of the fact after
    # it, vanished, so neither side of a comparison fired.
    hits = halves.match([{"id": 0, "_f": "c", "v": v, "w": 1}])
    assert {name for name, _ in hits} == {fired, "other"}


def test_rule_thresholds_written_with_an_exponent_are_taken() -> None:
    # json writes 0.000001 as 1e-06 and 1e16 as 1e+16: durable_rules refused such a ruleset (204).
    rs = Ruleset("x", {"tiny": rule_definition([{"_f": "c"}, {"$gt": {"v": 0.000001}}]),
                       "huge": rule_definition([{"_f": "c"}, {"$lt": {"v": 1e16}}])})  # fmt: skip
    assert {n for n, _ in rs.match([{"id": 0, "_f": "c", "v": 0.0000015}])} == {"tiny", "huge"}
    assert {n for n, _ in rs.match([{"id": 0, "_f": "c", "v": 2e16}])} == {"tiny"}
    assert {n for n, _ in rs.match([{"id": 0, "_f": "c", "v": 5e-7}])} == {"huge"}


def test_a_string_that_looks_like_an_exponent_number_is_left_as_it_is() -> None:
    from policy_engine.engine_terms import engine_json

    text = '[{"s":"2e-6 \\" 3e+5","v":2e-6,"w":2.5e-7,"x":-1e+16,"y":12}]'
    assert engine_json(text) == '[{"s":"2e-6 \\" 3e+5","v":2.0e-6,"w":2.5e-7,"x":-1.0e+16,"y":12}]'


_number = st.one_of(st.integers(min_value=-(2**53), max_value=2**53), st.floats(allow_nan=False, allow_infinity=False))


@settings(max_examples=300, deadline=None)
@given(threshold=_number, value=_number)
def test_any_number_compares_in_the_engine_as_in_python(threshold: float, value: float) -> None:
    tests = {"gt": "$gt", "lte": "$lte", "lt": "$lt", "gte": "$gte"}
    rs = Ruleset("h", {name: rule_definition([{"_f": "c"}, {op: {"v": threshold}}]) for name, op in tests.items()}
                 | {"eq": rule_definition([{"_f": "c"}, {"v": threshold}])})  # fmt: skip
    try:
        fired = {name for name, _ in rs.match([{"id": 0, "_f": "c", "v": value}])}
    finally:
        rs.close()
    holds = {"gt": value > threshold, "lte": value <= threshold, "lt": value < threshold,
             "gte": value >= threshold, "eq": value == threshold}  # fmt: skip
    assert fired == {name for name, yes in holds.items() if yes}


def _rss_kb() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))


@pytest.mark.skipif(not __import__("os").path.exists("/proc/self/status"), reason="reads /proc/self/status")
def test_closing_a_policy_that_has_decided_frees_its_engine_session() -> None:
    """A process that replaces its policy on every reload (each engine worker, --workers 0) must not
    grow: durable_rules' delete_ruleset left each session's memory behind, ~1 MB for the shipped policy,
    so 60 reloads grew a worker by ~60 MB."""
    from policy_engine.api import load_policy, policy_from_program, program_bytes
    from policy_engine.domain.models import OrderRequest
    from policy_engine.synthetic import portfolio

    as_of = date(2026, 11, 22)
    snapshot, order = portfolio(1, as_of)[0], OrderRequest(amount="5000")
    program = program_bytes(policy := load_policy())
    policy.check_order(snapshot, order, as_of=as_of)
    policy.close()
    for _ in range(5):  # warm up the allocator
        warm = policy_from_program(program)
        warm.check_order(snapshot, order, as_of=as_of)
        warm.close()
    before = _rss_kb()
    for _ in range(60):
        policy = policy_from_program(program)
        policy.check_order(snapshot, order, as_of=as_of)
        policy.close()
    assert _rss_kb() - before < 15_000
