"""Lint: the slips of hand-editing YAML (a tab, a line indented wrong, a key without its colon) say
what to do, at the line where they are, besides the parser's own words."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from policy_engine.rules.compiler import lint
from policy_engine.rules.loader import read_rule_files

RulesCopy = Callable[..., Path]
SETTING = "    interval_months: 3"


@pytest.mark.parametrize(
    ("new", "col", "hint"),
    [
        ("\tinterval_months: 3", 1, "a tab character: replace it with spaces (YAML indents with spaces only)"),
        ("    interval_months:\t3", 21, "a tab character: replace it with spaces"),
        ("   interval_months: 3", 4, "check this line's indentation: the keys of one mapping, and the items of one "
                                   "list, start in the same column"),
        ("     interval_months: 3", 6, "check this line's indentation"),
        ("    interval_months 3", 5, "a key needs a colon and a space after it (`key: value`)"),
    ],
)
def test_a_yaml_slip_says_what_to_do_at_its_line(rules_copy: RulesCopy, new: str, col: int, hint: str) -> None:
    """The parser said "found character '\\t' that cannot start any token" or "expected <block end>,
    but found '<block mapping start>'"; a key without its colon was placed on the line after it."""
    rules = rules_copy(("reviews.yaml", SETTING, new))
    line = (rules / "reviews.yaml").read_text().splitlines().index(new) + 1

    [problem] = lint(read_rule_files(rules), source_dir=str(rules))

    assert (problem.code, problem.line, problem.col) == ("yaml_error", line, col)
    assert problem.message.startswith(hint) and problem.message.endswith(")")  # the parser's words kept
