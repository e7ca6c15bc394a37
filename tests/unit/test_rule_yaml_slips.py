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


def test_a_key_written_twice_names_both_lines_and_echoes_each_value_cut_short(rules_copy: RulesCopy) -> None:
    """A second `rows:` echoed both whole tables, some 2,000 characters, and named only its own line."""
    rules = rules_copy(("limits.yaml", "hit: first\n", "hit: first\nrows: [{id: limit.x}]\n"))
    second = (rules / "limits.yaml").read_text().splitlines().index("rows:") + 1

    [problem] = lint(read_rule_files(rules), source_dir=str(rules))

    assert (problem.code, problem.line, problem.col) == ("yaml_error", second, 1)
    assert problem.message.startswith(f'duplicate key "rows": it is also written at line {second - 1}, column 1; '
                                      "keep one of the two (the value here is \"[{'id': 'limit.aaa', ")
    assert len(problem.message) < 300 and problem.message.endswith("…\", there \"[{'id': 'limit.x'}]\")")


@pytest.mark.parametrize(("written", "reads"), [("1,000,000", "1"), ("$1,000,000", '"$1"')])
def test_a_number_split_into_a_key_written_twice_says_the_separator_split_it(
    rules_copy: RulesCopy, written: str, reads: str,
) -> None:
    """`{floor: 1,000,000}` gave only `duplicate key "0"`: the `000` after each comma is a key."""
    rules = rules_copy(("limits.yaml", "floor: 100000}", f"floor: {written}}}"))

    [problem] = lint(read_rule_files(rules), source_dir=str(rules))

    assert (problem.code, problem.line) == ("yaml_error", 14)
    assert problem.message == (
        'duplicate key "0": a number where a key belongs. Inside { } a comma ends an entry, so a thousands '
        f"separator splits the number and floor reads as {reads}; write floor as one plain number (no separators, "
        "no currency sign)")
