"""A gap between grade bands names the bands either side of it and what to write in each to close it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from policy_engine.rules.compiler import lint
from policy_engine.rules.loader import read_rule_files

RulesCopy = Callable[..., Path]


@pytest.mark.parametrize(("old", "new", "at", "said"), [
    ("{score: {gte: 90}}", "{score: {gte: 92}}", "grade.aaa",
     'no band covers score [90, 92): make "grade.aa" end at 92 (when: {score: {between: [82, 92]}}) or "grade.aaa" '
     "start at 90 (when: {score: {gte: 90}})"),
    ("between: [74, 82]", "between: [74, 80]", "grade.aa",
     'no band covers score [80, 82): make "grade.a" end at 82 (when: {score: {between: [74, 82]}}) or "grade.aa" '
     "start at 80 (when: {score: {between: [80, 90]}})"),
    ("{score: {lt: 30}}", "{score: {lt: 25}}", "grade.cc",
     'no band covers score [25, 30): make "grade.c" end at 30 (when: {score: {lt: 30}}) or "grade.cc" start at 25 '
     "(when: {score: {between: [25, 40]}})"),
    ("{score: {lt: 30}}", "{score: {between: [10, 30]}}", "grade.c",
     'no band covers score [0, 10): make "grade.c" start at 0 (when: {score: {lt: 30}})'),
    ("{score: {gte: 90}}", "{score: {between: [90, 95]}}", "grade.aaa",
     'no band covers score from 95 up: make "grade.aaa" cover it (when: {score: {gte: 90}})'),
])
def test_a_gap_says_which_band_edge_to_move_and_what_to_write(
    rules_copy: RulesCopy, old: str, new: str, at: str, said: str,
) -> None:
    """It said `band_gap: no band covers score [90, 92)`: neither band beside the gap, nor which edge to move."""
    rules = rules_copy(("grades.yaml", old, new))

    [problem] = lint(read_rule_files(rules), source_dir=str(rules))

    assert problem.code == "band_gap"
    assert problem.line == next(i for i, line in enumerate((rules / "grades.yaml").read_text().splitlines(), 1)
                                if f"id: {at}," in line)
    assert problem.message == f"rule {at}: {said}"
