"""The nodes a rule set's YAML expands to are bounded for all its files together, where aliases multiply them:
past MAX_NODES the file is refused where the alias that ran past it is used (bench/bench_lint_bounds.py measures)."""

from __future__ import annotations

from pathlib import Path

import pytest

from policy_engine.rules.compiler import UNREAD_NOTE, compile_policy
from policy_engine.rules.loader import MAX_NODES, parse_document, read_rule_files
from policy_engine.rules.problems import PolicyLoadError

HEAD = ("kind: warning_signs\ntitle: {zh: 多, en: Many}\nsource: audit\nhit: collect\n"
        "combine: {downgrade: sum, max_downgrade: 4, cap_grade: worst, limit_factor: min}\nrules:\n"
        "  - {id: pad.r0, code: PAD, title: {zh: 多, en: Many}, source: audit, effects: {downgrade: 1}, "
        "when: {dbt_open_max: {gte: 300}}}\n")


def _fan_out(hundreds: int) -> str:
    """`a:` a list of 100 zeros, `b:` 100 aliases of it (10,101 nodes), `more:` (line 3) `hundreds` aliases of `b`."""
    return ("a: &l [" + ", ".join(["0"] * 100) + "]\n"
            "b: &t [*l" + ", *l" * 99 + "]\n"
            "more: [*t" + ", *t" * (hundreds - 1) + "]\n")


def test_a_file_whose_aliases_expand_past_the_bound_is_refused_at_the_alias_that_does() -> None:
    text = _fan_out(25)  # 25 x 10,101 nodes from 3 lines

    _, [problem] = parse_document("zz_pad.yaml", text)

    # at `more:`, whose `*t` ran past it: not at 1:1, nor at the anchor (ruamel keeps no place for a list's alias)
    assert (problem.code, problem.line, problem.col) == ("yaml_error", 3, 1)
    assert f"this file makes more than {MAX_NODES:,}" in problem.message and "YAML aliases" in problem.message


def test_aliases_in_several_files_count_together_against_the_bound() -> None:
    files = read_rule_files(Path("rules"))
    files["zz_a.yaml"] = HEAD + "x_" + _fan_out(10)  # ~111,000 nodes each: alone within the bound, as before
    files["zz_b.yaml"] = HEAD.replace("pad.r0", "pad.r1") + "x_" + _fan_out(10)

    with pytest.raises(PolicyLoadError) as refused:
        compile_policy(files, "rules")

    [problem] = [p for p in refused.value.problems if p.code == "yaml_error"]
    assert (problem.path, problem.line, problem.col) == ("rules/zz_b.yaml", 10, 1)  # at `more:`
    assert "the rule files before this one make" in problem.message
    assert f"at most {MAX_NODES:,} are read in all the rule files together" in problem.message
    assert refused.value.note == UNREAD_NOTE  # the checks across files wait, as for a file past the bytes bound


def test_a_file_past_the_bound_leaves_the_files_after_it_unread() -> None:
    files = read_rule_files(Path("rules"))
    files["zz_a.yaml"] = HEAD + "x_" + _fan_out(25)
    files["zz_b.yaml"] = "kind: [unknown\n"  # a YAML error of its own, not reached

    with pytest.raises(PolicyLoadError) as refused:
        compile_policy(files, "rules")

    assert [(p.path, p.code) for p in refused.value.problems] == [("rules/zz_a.yaml", "yaml_error")]


def test_a_problem_repeated_by_aliases_is_said_once() -> None:
    files = read_rule_files(Path("rules"))
    files["zz_a.yaml"] = HEAD.replace("{dbt_open_max: {gte: 300}}", "{all: [&b {dbt_open_max: {gte: -1}}, *b, *b]}")

    with pytest.raises(PolicyLoadError) as refused:
        compile_policy(files, "rules")

    # one wrong comparison, three times in the data: one line said, not three alike (40,000 within MAX_NODES)
    assert [(p.path, p.line, p.code) for p in refused.value.problems] == [("rules/zz_a.yaml", 7, "invalid_value")]


def test_a_warning_repeated_by_aliases_is_said_once() -> None:
    files = read_rule_files(Path("rules"))
    twice = "{all: [{dbt_open_max: {gte: 300}}, {any: [&b {order_trend_ratio: {lt: 50}}, *b]}]}"
    files["zz_a.yaml"] = HEAD.replace("{dbt_open_max: {gte: 300}}", twice)

    policy = compile_policy(files, "rules")

    try:
        assert [(w.path, w.line, w.code) for w in policy.warnings if "zz_a" in w.path] == [
            ("rules/zz_a.yaml", 7, "likely_percent")]
    finally:
        policy.close()
