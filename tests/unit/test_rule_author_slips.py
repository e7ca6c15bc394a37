"""Slips a risk analyst new to the rule files makes (an audit following rules/README.md): each is a problem at
its file:line:col with a stable code and what to write instead."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policy_engine.cli import build_app
from policy_engine.rules.compiler import lint
from policy_engine.rules.loader import read_rule_files

RulesCopy = Callable[..., Path]
LOSS = "{net_margin: {lt: -0.1}}"
NEW_SIGN = """  - id: warn.loss_making
    code: LOSS_MAKING
    title: {zh: 净利润率低于负10%, en: Net margin below -10%}
    source: "002 重要财务比率: 销售利税率"
    when: {net_margin: {lt: -0.1}}
    effects: {downgrade: 1}
"""


def _new_sign(rules_copy: RulesCopy, old: str, new: str) -> Path:
    """The shipped rules with a new warning sign at the end of warnings.yaml, `old` replaced by `new` in it."""
    rules = rules_copy()
    assert old in NEW_SIGN
    path = rules / "warnings.yaml"
    path.write_text(path.read_text() + NEW_SIGN.replace(old, new))
    return rules


def _problems(rules: Path) -> list[tuple[str, int, int, str, str]]:
    return [(Path(p.path).name, p.line, p.col, p.code, p.message) for p in lint(read_rule_files(rules), str(rules))]


def _line_of(path: Path, text: str) -> int:
    return next(i for i, t in enumerate(path.read_text().splitlines(), 1) if text in t)


@pytest.mark.parametrize(("old", "new", "at", "code", "said"), [
    # A rule id or reason code written as words: pydantic's regex (`String should match pattern '^[A-Z]…'`) before.
    ("    code: LOSS_MAKING", "    code: loss-making", "code:", "invalid_value",
     'code: "loss-making" is not written as a reason code (capital letters, digits and _, a letter first); '
     "write LOSS_MAKING"),
    ("  - id: warn.loss_making", "  - id: Warn.Loss-Making", "id:", "invalid_value",
     'id: "Warn.Loss-Making" is not written as a rule id (small letters, digits and _, in parts joined by dots, '
     "such as warn.pays_late); write warn.loss_making"),
    # A missing code or effects said only `missing field "code"`.
    ("    code: LOSS_MAKING\n", "", "- id: warn.loss_making", "missing_field",
     'rule warn.loss_making: missing field "code": write code: LOSS_MAKING (the reason code callers see'),
    ("    effects: {downgrade: 1}\n", "", "- id: warn.loss_making", "missing_field",
     'missing field "effects": write effects: {…} with what the sign does: downgrade: 1 (notches), cap_grade: B'),
    # Operators in the words of other languages, run together or in camel case: no did-you-mean before.
    (LOSS, "{net_margin: {less_than_or_equal: -0.1}}", "less_than", "bad_operator", 'did you mean "lte"?'),
    (LOSS, "{net_margin: {greaterThanOrEqual: -0.1}}", "greaterThan", "bad_operator", 'did you mean "gte"?'),
    (LOSS, "{net_margin: {lessthan: -0.1}}", "lessthan", "bad_operator", 'did you mean "lt"?'),
    # A negative percentage: `-10%` got no hint, `10%` did.
    (LOSS, "{net_margin: {lt: -10%}}", "lt:", "type_mismatch",
     "got '-10%' (write -0.1: a share, factor or ratio is a fraction here: -10% is -0.1)"),
])
def test_a_newcomers_slip_in_a_new_warning_sign_says_what_to_write(
    rules_copy: RulesCopy, old: str, new: str, at: str, code: str, said: str
) -> None:
    rules = _new_sign(rules_copy, old, new)
    path = rules / "warnings.yaml"
    line = max(i for i, t in enumerate(path.read_text().splitlines(), 1) if at in t)  # the new sign is last

    [(name, found_line, col, found_code, message)] = _problems(rules)

    assert (name, found_line, found_code) == ("warnings.yaml", line, code) and col > 1
    assert said in message


def test_a_negative_percentage_on_a_share_is_not_told_to_become_a_negative_share(rules_copy: RulesCopy) -> None:
    rules = _new_sign(rules_copy, LOSS, "{late_paid_share: {gt: -10%}}")

    [(*_, code, message)] = _problems(rules)

    assert code == "type_mismatch" and "write -0.1" not in message


def test_an_overlapping_band_says_which_edge_to_move_and_what_to_write(rules_copy: RulesCopy) -> None:
    """It said `make one band end where the other starts`, without naming which edge or the condition."""
    rules = rules_copy(("grades.yaml", "between: [74, 82]", "between: [74, 84]"))

    [(name, line, _, code, message)] = _problems(rules)

    assert (name, line, code) == ("grades.yaml", _line_of(rules / "grades.yaml", "grade.aa,"), "band_overlap")
    assert message.endswith('both cover score [82, 84): a score there gets the grade of the one written first; '
                            'make "grade.a" end at 82 (when: {score: {between: [74, 82]}}) or "grade.aa" start at 84 '
                            "(when: {score: {between: [84, 90]}})")


CASE = """cases:
  - %s
    note: "A case written by a newcomer."
    snapshot: {base: steady}
    expect: {grade_class: A}
"""


@pytest.mark.parametrize(("first", "code", "said"), [
    ("as_of: 2026-11-22", "missing_field",
     'missing field "id": write id: … (a name in words, unique across every case file'),
    ("id: 7", "type_mismatch", "id: got 7; write a name in words"),
])
def test_a_case_without_an_id_in_words_is_not_run(rules_copy: RulesCopy, first: str, code: str, said: str) -> None:
    """A case with no id ran as `case 0` (every case file has one) and passed; `id: 7` escaped the duplicate
    check, which reads text ids only."""
    rules = rules_copy()
    (rules / "tests" / "new.yaml").write_text(CASE % first)

    result = CliRunner().invoke(build_app(), ["test", str(rules)])

    assert result.exit_code == 1
    assert f"{rules}/tests/new.yaml:2:5: {code}: " in result.output and said in result.output
    assert "1 failed (1 not run: problems above)" in result.output


def test_a_case_id_used_twice_says_to_rename_one(rules_copy: RulesCopy) -> None:
    rules = rules_copy()
    (rules / "tests" / "new.yaml").write_text(CASE % "id: past_due_invoice_holds_orders")

    result = CliRunner().invoke(build_app(), ["test", str(rules)])

    assert 'duplicate_id: duplicate case id "past_due_invoice_holds_orders" (first at ' in result.output
    assert "an id names one case across every case file; give one of the two another id" in result.output
