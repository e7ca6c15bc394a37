"""A grade written in another case or with a notch sign (`Bbb+`, `aa-`) is told the grade meant, in a rule test
case and a rule file alike; a value as close to two grades as to one (`AB`) is told none, never one guessed at."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policy_engine.cli import build_app
from policy_engine.domain.values import GRADE_CLASSES, GRADES
from policy_engine.rules.schema import suggest

RulesCopy = Callable[..., Path]


@pytest.mark.parametrize(("written", "meant"), [
    ("Bbb+", "BBB"), ("bbb+", "BBB"), ("Aa-", "AA"), ("cC+", "CC"), (" b+ ", "B"), ("BBB+", "BBB"), ("bbb", "BBB"),
])
def test_a_grade_in_another_case_or_with_a_notch_sign_is_told_the_grade(written: str, meant: str) -> None:
    hint = suggest(written, list(GRADES))

    assert hint == f' — did you mean "{meant}"?'


@pytest.mark.parametrize("written", ["AB", "+", "D"])
def test_a_value_as_close_to_two_grades_or_to_none_gets_no_grade_guessed(written: str) -> None:
    hint = suggest(written, list(GRADES))

    assert hint == ""


def test_a_grade_class_with_a_notch_sign_is_told_the_class() -> None:
    assert suggest("b+", list(GRADE_CLASSES)) == ' — did you mean "B"?'


def test_a_case_expecting_grade_bbb_plus_is_told_bbb_at_its_line(rules_copy: RulesCopy) -> None:
    """`expect.grade: Bbb+` said `no grade 'Bbb+'` with no hint, while `BBB+` and `bbb` got one."""
    rules = rules_copy()
    (rules / "tests" / "q.yaml").write_text("cases:\n  - id: q\n    snapshot: {base: steady}\n"
                                            "    expect: {grade: Bbb+, grade_class: a-}\n")

    output = CliRunner().invoke(build_app(), ["test", str(rules)]).output

    assert re.search(r"q\.yaml:4:\d+: invalid_value: expect\.grade: no grade 'Bbb\+' — did you mean \"BBB\"\?\n",
                     output)
    assert re.search(r"q\.yaml:4:\d+: invalid_value: expect\.grade_class: no grade class 'a-' — did you mean \"A\"\?\n",
                     output)


def test_a_rule_file_grade_with_a_notch_sign_is_told_the_grade(rules_copy: RulesCopy) -> None:
    """A band's `grade: Bbb+` listed the nine grades with no hint, where `classes: {B: [bbb, …]}` got one."""
    rules = rules_copy(("grades.yaml", "grade: BBB, when", "grade: Bbb+, when"))

    output = CliRunner().invoke(build_app(), ["lint", str(rules)]).output

    assert re.search(r"grades\.yaml:13:\d+: invalid_value: rule grade\.bbb: grade: \"Bbb\+\" is not one of AAA, AA, A, "
                     r"BBB, BB, B, CCC, CC, C — did you mean \"BBB\"\?\n", output), output
