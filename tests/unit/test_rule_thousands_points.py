"""A number written `1.000` in a rule file (YAML reads 1.0; much of Europe writes a thousand so) is a `thousands_point`
warning where the place takes both readings, naming both and what to write; a whole-number setting's error names the
thousands reading; a share, a ratio or a score, whose thousand is out of range, says nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policy_engine.cli import build_app
from policy_engine.rules.compiler import compile_policy, lint
from policy_engine.rules.loader import read_rule_files

RulesCopy = Callable[..., Path]
PAYS_LATE = "{dbt_paid_weighted: {gt: 15}}"
CC_LIMIT = "{months_of_purchases: 0.5, share_of_net_worth: 0.03, floor: 0}"


def _warnings(rules: Path) -> list[tuple[int, int, str, str]]:
    """Each warning of the loaded rule set as (line, column, code, message): it loads, so none refuses it."""
    policy = compile_policy(read_rule_files(rules), str(rules))
    try:
        return [(w.line, w.col, w.code, w.message) for w in policy.warnings]
    finally:
        policy.close()


def _at(path: Path, text: str) -> tuple[int, int]:
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if text in t)
    return line, path.read_text().splitlines()[line - 1].index(text) + 1


@pytest.mark.parametrize(("floor", "said"), [
    ("1.000", "limit.floor: 1.000 is read as 1.0 (in YAML a point is a decimal point), but may be 1000 with a point "
              "between thousands, as much of Europe writes it; write 1000 if the point separates thousands, or 1.0 "
              "if the point is a decimal point"),
    ("250.000", "limit.floor: 250.000 is read as 250.0 (…); write 250000 if the point separates thousands, or 250.0"),
    ("1.500", "limit.floor: 1.500 is read as 1.5 (…); write 1500 if the point separates thousands, or 1.5 if the"),
])
def test_a_money_setting_written_with_a_point_before_three_digits_is_a_warning_naming_both_readings(
    rules_copy: RulesCopy, floor: str, said: str
) -> None:
    """`floor: 1.000` was read as a floor of 1.0, a thousand times too small, without a word."""
    rules = rules_copy(("limits.yaml", CC_LIMIT, CC_LIMIT.replace("floor: 0", f"floor: {floor}")))

    [(line, col, code, message)] = _warnings(rules)

    assert (line, col, code) == (*_at(rules / "limits.yaml", f"floor: {floor}"), "thousands_point")  # at its key
    head, _, tail = said.partition("(…)")
    assert message.startswith(f"rule limit.cc: {head}") and tail in message


@pytest.mark.parametrize(("condition", "at", "said"), [
    ("{dbt_paid_weighted: {gt: 1.000}}", "gt: 1.000",
     '"dbt_paid_weighted" gt: 1.000 is read as 1.0 (in YAML a point is a decimal point), but may be 1000 with a '
     "point between thousands, as much of Europe writes it; write 1000 if the point separates thousands, or 1.0 if "
     "the point is a decimal point"),
    ("{working_capital: {between: [-2.000, 15]}}", "-2.000", "write -2000 if the point separates thousands, or -2.0"),
    ("{any: [{invoice_count: {in: [3, 1.000]}}]}", "1.000]", '"invoice_count" in: 1.000 is read as 1.0'),
    ("{dbt_paid_weighted: 2.500}", "dbt_paid_weighted: 2.500", '"dbt_paid_weighted" eq: 2.500 is read as 2.5'),
])
def test_a_threshold_written_so_is_a_warning_at_it(rules_copy: RulesCopy, condition: str, at: str, said: str) -> None:
    rules = rules_copy(("warnings.yaml", PAYS_LATE, condition))

    warnings = [w for w in _warnings(rules) if w[2] == "thousands_point"]

    assert [(line, col) for line, col, _, _ in warnings] == [_at(rules / "warnings.yaml", at)]
    assert said in warnings[0][3] and warnings[0][3].startswith("rule warn.pays_late: ")


@pytest.mark.parametrize(("file", "old", "new"), [
    ("limits.yaml", CC_LIMIT, CC_LIMIT.replace("0.03", "0.030")),  # a share: 30 is no share
    ("limits.yaml", "{months_of_purchases: 4,", "{months_of_purchases: 4.000,"),  # at most 36 months
    ("warnings.yaml", PAYS_LATE, "{dbt_paid_weighted: {between: [-2.000, 15]}}"),  # no days below 0: no -2000
    ("limits.yaml", CC_LIMIT, CC_LIMIT.replace("floor: 0", "floor: 0.125")),  # no thousands after a leading 0
    ("limits.yaml", CC_LIMIT, CC_LIMIT.replace("floor: 0", "floor: 2.125")),  # no shorter decimal: written exactly
    ("limits.yaml", CC_LIMIT, CC_LIMIT.replace("floor: 0", "floor: 1000.000")),  # four digits: no group of three
    ("scorecard.yaml", "{current_ratio: {between: [1.5, 2]}}", "{current_ratio: {between: [1.500, 2]}}"),  # ratio
    ("grades.yaml", "{score: {between: [82, 90]}}", "{score: {between: [82.000, 90]}}"),  # a score is 0 to 100
])
def test_a_point_where_a_thousand_is_out_of_range_or_the_digits_say_nothing_is_no_warning(
    rules_copy: RulesCopy, file: str, old: str, new: str
) -> None:
    rules = rules_copy((file, old, new))

    assert _warnings(rules) == []


@pytest.mark.parametrize(("written", "said"), [
    ("1.000", "features.signal_window_days: 1.000 has a decimal point; write 1000 if the point separates thousands, "
              "or 1"),
    ("1.500", "features.signal_window_days: 1.500 is not a whole number; write 1500 if the point separates thousands, "
              "or a whole number from 1 to 3650"),
    ("5.000", "features.signal_window_days: 5.000 has a decimal point; write 5"),  # 5000 days: past its 3650
])
def test_a_whole_number_setting_written_so_names_the_thousands_reading_it_takes(
    rules_copy: RulesCopy, written: str, said: str
) -> None:
    """It said `1.0 has a decimal point; write 1`: the thousand meant was not named, the value written not echoed."""
    rules = rules_copy(("policy.yaml", "signal_window_days: 180", f"signal_window_days: {written}"))

    [problem] = lint(read_rule_files(rules), source_dir=str(rules))

    assert (problem.code, problem.message) == ("type_mismatch", said)


def test_lint_prints_the_warning_and_passes_and_strict_fails_on_it(rules_copy: RulesCopy) -> None:
    rules = rules_copy(("limits.yaml", CC_LIMIT, CC_LIMIT.replace("floor: 0", "floor: 1.000")))
    line, col = _at(rules / "limits.yaml", "floor: 1.000")

    plain = CliRunner().invoke(build_app(), ["lint", str(rules)])
    strict = CliRunner().invoke(build_app(), ["lint", "--strict", str(rules)])

    assert plain.exit_code == 0 and strict.exit_code == 1
    assert f"warning: {rules}/limits.yaml:{line}:{col}: thousands_point: rule limit.cc: limit.floor: 1.000 " in (
        plain.stderr)
    assert plain.stdout.rstrip().endswith("1 warning (above)")
