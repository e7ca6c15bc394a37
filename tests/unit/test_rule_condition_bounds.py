"""The largest conditions the rule files' bounds let through lint to a clean result or to problems that say
what and where, never a traceback: the longest lists, nested as deep as the YAML reader takes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from policy_engine.rules.compiler import lint
from policy_engine.rules.loader import parse_document, read_rule_files
from tests.many_rules import lists_file

LONGEST = 100
"""The most items an `in` or `not_in` list takes."""


def _list(op: str, first: int, items: int) -> str:
    return f"{{dbt_open_max: {{{op}: [{', '.join(str(first + i) for i in range(items))}]}}}}"


def _alternating(depth: int, items: int = LONGEST) -> str:
    """`all`, `any` and `not` in turn, `depth` deep, each level with a `not_in` and an `in` list of `items`."""
    condition = _list("not_in", 0, items)
    for level in range(depth):
        lists = f"{_list('not_in', 1000 * level + 1000, items)}, {_list('in', 1000 * level + 1500, items)}"
        condition = (f"{{all: [{lists}, {condition}]}}", f"{{any: [{lists}, {condition}]}}",
                     f"{{not: {condition}}}")[level % 3]
    return condition


def _nots(depth: int, items: int = LONGEST) -> str:
    """`not` `depth` deep around an `all` of ten `not_in` lists of `items`: when even, one `and` of them all."""
    lists = ", ".join(_list("not_in", 1000 + 1000 * k, items) for k in range(10))
    return "{not: " * depth + f"{{all: [{lists}]}}" + "}" * depth


def _file(condition: str) -> str:
    return lists_file(1, items=1).replace("{all: [{dbt_open_max: {not_in: [1000]}}]}", condition)


def _deepest(shape: Callable[[int, int], str]) -> int:
    """The deepest `shape` the YAML reader takes in a rule file (one deeper is `nested too deeply`), less a
    margin for the frames lint calls it under (the lists' length is no matter: found with lists of one)."""
    low, high = 0, 2000
    while high - low > 1:
        middle = (low + high) // 2
        _, problems = parse_document("zz_deep.yaml", _file(shape(middle, 1)))
        low, high = (middle, high) if not problems else (low, middle)
    return low - 6


@pytest.mark.parametrize(("shape", "codes"), [(_nots, set()), (_alternating, {"too_many_groups", "too_many_at_once"})])
def test_the_deepest_condition_of_the_longest_lists_is_clean_or_said_where(shape: Callable[[int, int], str],
                                                                         codes: set[str]) -> None:
    depth = _deepest(shape) // 2 * 2  # an even number of `not`s: the comparisons stay `$neq`, one after another
    files = read_rule_files(Path("rules"))
    files["zz_deep.yaml"] = _file(shape(depth, LONGEST))

    problems = lint(files, "rules")

    assert depth > 100  # deeper than a recursion per level of ours would take beside the parser's
    assert {p.code for p in problems} == codes
    assert all((p.path, p.line, p.col) == ("rules/zz_deep.yaml", 7, 5) for p in problems)
