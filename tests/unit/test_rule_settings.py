"""Lint: a number setting of a rule file (points, weights, limits, months, days) that holds no number it
can take is one problem at its line, saying what is wrong with the value and what to write instead."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from policy_engine.rules.compiler import lint
from policy_engine.rules.loader import read_rule_files
from policy_engine.rules.problems import Problem

RulesCopy = Callable[..., Path]

# (file, a setting as shipped, its name in the message, what it takes)
SETTINGS = [
    ("scorecard.yaml", "staff_assessment_weight: 0.4", "staff_assessment_weight", "a number from 0 to 1"),
    ("scorecard.yaml", "weight: 0.35", "weight", "a number more than 0 and at most 1"),
    ("scorecard.yaml", "default_points: 50", "default_points", "a number from 0 to 100"),
    ("scorecard.yaml", "points: 95", "points", "a number from 0 to 100"),
    ("warnings.yaml", "max_downgrade: 4", "combine.max_downgrade", "a whole number from 0 to 8"),
    ("warnings.yaml", "effects: {downgrade: 1}", "effects.downgrade", "a whole number from 0 to 8"),
    ("warnings.yaml", "limit_factor: 0.5", "effects.limit_factor", "a number from 0 to 1"),
    ("limits.yaml", "months_of_purchases: 4", "limit.months_of_purchases", "a number from 0 to 36"),
    ("limits.yaml", "share_of_net_worth: 0.3", "limit.share_of_net_worth", "a number from 0 to 5"),
    ("limits.yaml", "floor: 100000", "limit.floor", "a number from 0 to 10000000000000"),
    ("limits.yaml", "validity_months: 6", "validity_months", "a whole number from 1 to 12"),
    ("reviews.yaml", "interval_months: 6", "interval_months", "a whole number from 1 to 24"),
    ("collection.yaml", "lead_days: 7", "lead_days", "a whole number from 0 to 120"),
    ("policy.yaml", "signal_window_days: 180", "features.signal_window_days", "a whole number from 1 to 3650"),
    ("portfolio.yaml", "a_share: 0.75", "value_classes.a_share", "a number more than 0 and less than 1"),
    ("portfolio.yaml", "sales_window_months: 12", "value_classes.sales_window_months", "a whole number from 1 to 36"),
    ("portfolio.yaml", "give_up_share: 0.05", "give_up_share", "a number from 0 to 0.5"),
]


def _problems(rules: Path) -> list[Problem]:
    return lint(read_rule_files(rules), source_dir=str(rules))


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def _edit(setting: str, value: str) -> str:
    """`points: 95` → `points: .nan`; `effects: {downgrade: 1}` → `effects: {downgrade: .nan}`."""
    name, _, rest = setting.rpartition(": ")
    return f"{name}: {value}" + ("}" if rest.endswith("}") else "")


@pytest.mark.parametrize(("name", "setting", "field", "takes"), SETTINGS)
@pytest.mark.parametrize(("value", "wrong"), [(".nan", ".nan is not a number"), (".inf", ".inf is not a finite number"),
                                              ("-.inf", "-.inf is not a finite number")])
def test_nan_or_infinity_in_any_number_setting_is_not_a_number_at_its_line(
    rules_copy: RulesCopy, name: str, setting: str, field: str, takes: str, value: str, wrong: str
) -> None:
    """`points: .nan` was refused as "Input should be less than or equal to 100", and `interval_months:
    .nan` as "Input should be a valid integer": neither says what is wrong or what would be right."""
    new = _edit(setting, value)
    rules = rules_copy((name, setting, new))

    [problem] = _problems(rules)

    assert (problem.code, problem.line) == ("invalid_value", _line_of(rules / name, new))
    assert problem.message.endswith(f"{field}: {wrong}; write {takes}")


@pytest.mark.parametrize(
    ("name", "old", "new", "code", "message"),
    [
        ("scorecard.yaml", "points: 95", "points: 150", "invalid_value",
         "points: 150 is more than 100; write a number from 0 to 100"),
        ("portfolio.yaml", "a_share: 0.75", "a_share: 0", "invalid_value",
         "a_share: 0 is not more than 0; write a number more than 0 and less than 1"),
        ("warnings.yaml", "limit_factor: 0.5", "limit_factor: 50", "invalid_value",
         "effects.limit_factor: 50 is more than 1; write 0.5 (a share, factor or ratio is a fraction here: "
         "50% is 0.5)"),
        ("portfolio.yaml", "give_up_share: 0.05", "give_up_share: 5", "invalid_value",
         "give_up_share: 5 is more than 0.5; write 0.05 (a share, factor or ratio is a fraction here: 5% is 0.05)"),
        ("warnings.yaml", "limit_factor: 0.5", "limit_factor: 2", "invalid_value",
         "effects.limit_factor: 2 is more than 1; write a number from 0 to 1"),
        ("warnings.yaml", "limit_factor: 0.5", "limit_factor: 150", "invalid_value",
         "effects.limit_factor: 150 is more than 1; write a number from 0 to 1"),
        ("collection.yaml", "lead_days: 7", "lead_days: 99999999999999999999999999", "invalid_value",
         "lead_days: 99999999999999999999999999 is more than 120; write a whole number from 0 to 120"),
        ("collection.yaml", "lead_days: 7", 'lead_days: "7"', "type_mismatch",
         'lead_days: "7" is a text because of the quotes; write 7 without them'),
        ("collection.yaml", "lead_days: 7", "lead_days: seven", "type_mismatch",
         'lead_days: "seven" is a text, not a number; write a whole number from 0 to 120'),
        ("reviews.yaml", "interval_months: 3", "interval_months: 2.5", "type_mismatch",
         "interval_months: 2.5 is not a whole number; write a whole number from 1 to 24"),
        ("reviews.yaml", "interval_months: 3", "interval_months: 3.0", "type_mismatch",
         "interval_months: 3.0 has a decimal point; write 3"),
        ("reviews.yaml", "interval_months: 6", "interval_months:", "type_mismatch",
         "interval_months: no value is written; write a whole number from 1 to 24"),
        ("limits.yaml", "floor: 100000", "floor: yes", "type_mismatch",
         'limit.floor: "yes" is a text, not a number; write a number from 0 to 10000000000000'),
        # numbers written the way people write them, each named with what it takes to read it so: `"1.000,50"` said
        # "write 1.00050" and `1,5` "write 15" (the comma dropped), `1.000.000`, `5万` and `30 days` said no number
        ("limits.yaml", "floor: 100000", 'floor: "1.000,50"', "type_mismatch",
         'limit.floor: "1.000,50" is a text, not a number; write 1000.50 if the comma is a decimal point (a plain '
         "number: no currency sign or code, no thousands separators)"),
        ("limits.yaml", "floor: 100000", "floor: 1.000.000", "type_mismatch",
         'limit.floor: "1.000.000" is a text, not a number; write 1000000 if the points separate thousands (a plain '
         "number: no currency sign or code, no thousands separators)"),
        ("limits.yaml", "floor: 100000", "floor: 5万", "type_mismatch",
         'limit.floor: "5万" is a text, not a number; write 50000 (5万 in full) (a plain number: no currency sign or '
         "code, no thousands separators)"),
        ("limits.yaml", "floor: 100000", "floor: 1\u00a0000\u00a0000", "type_mismatch",  # no-break spaces
         'limit.floor: "1\u00a0000\u00a0000" is a text, not a number; write 1000000 (a plain number: no currency sign '
         "or code, no thousands separators)"),
        ("limits.yaml", "floor: 100000", "floor: 30%", "type_mismatch",  # a floor is an amount: no share to suggest
         'limit.floor: "30%" is a text, not a number; write a number from 0 to 10000000000000'),
        ("policy.yaml", "signal_window_days: 180", "signal_window_days: 1,5", "type_mismatch",
         'features.signal_window_days: "1,5" is a text, not a number; write a whole number from 1 to 3650'),
        ("policy.yaml", "signal_window_days: 180", "signal_window_days: 180 days", "type_mismatch",
         'features.signal_window_days: "180 days" is a text, not a number; write 180: "signal_window_days" is '
         "counted in days, so no unit is written"),
        ("portfolio.yaml", "sales_window_months: 12", "sales_window_months: 12个月", "type_mismatch",
         'value_classes.sales_window_months: "12个月" is a text, not a number; write 12: "sales_window_months" is '
         "counted in months, so no unit is written"),
        ("portfolio.yaml", "sales_window_months: 12", "sales_window_months: 1 year", "type_mismatch",
         'value_classes.sales_window_months: "1 year" is a text, not a number; write a plain number of months: '
         '"sales_window_months" is counted in months; no unit is written'),
        ("portfolio.yaml", "give_up_share: 0.05", "give_up_share: 0,05", "type_mismatch",
         'give_up_share: "0,05" is a text, not a number; write 0.05 if the comma is a decimal point (a plain number: '
         "no currency sign or code, no thousands separators)"),
    ],
)
def test_a_number_setting_out_of_range_or_not_a_number_says_what_to_write(
    rules_copy: RulesCopy, name: str, old: str, new: str, code: str, message: str
) -> None:
    rules = rules_copy((name, old, new))

    [problem] = _problems(rules)

    assert (problem.code, problem.line) == (code, _line_of(rules / name, new))
    assert problem.message.endswith(message)


@pytest.mark.parametrize("value", ["[0, .nan]", "[0, .inf]", "[0, 85]", "[10, 100]", "[0, -5]"])
def test_a_grade_band_range_must_cover_every_score_from_0_to_100(rules_copy: RulesCopy, value: str) -> None:
    """`range: [0, .nan]` and `[0, 85]` linted clean: no band_gap was reported above 85 (or at all for
    .nan), so a pack with no band for scores 90-100 passed, and such a customer got no decision."""
    rules = rules_copy(("grades.yaml", "range: [0, 100]", f"range: {value}"))

    [problem] = _problems(rules)

    assert (problem.code, problem.line) == ("invalid_value", _line_of(rules / "grades.yaml", "range:"))
    assert "write [0, 100]" in problem.message or "not a" in problem.message
