"""Fields that cannot go below a bound (counts, days, months, amounts) or above one (a score, a share, a grade
rank): lint reports a threshold that, past or at that bound, makes a comparison never or always hold, and a
percentage written whole on a fraction (`limit_utilisation: {gte: 80}`); `credit-policy fields` shows both."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policy_engine.cli import build_app
from policy_engine.rules.compiler import lint
from policy_engine.rules.loader import read_rule_files
from policy_engine.rules.scopes import SCOPES

RulesCopy = Callable[..., Path]
NO_ORDERS = "{months_since_last_order: {gte: 6}}"
EVERY = "holds for every value it can take"


def _problems(rules: Path) -> list[tuple[str, int, int, str, str]]:
    """Each problem as (file name, line, column, code, message)."""
    return [(Path(p.path).name, p.line, p.col, p.code, p.message) for p in lint(read_rule_files(rules), str(rules))]


def _at(path: Path, text: str) -> tuple[int, int]:
    """The line and column where `text` first stands in `path`."""
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if text in t)
    return line, path.read_text().splitlines()[line - 1].index(text) + 1


@pytest.mark.parametrize(("file", "old", "new", "at", "said"), [
    ("warnings.yaml", NO_ORDERS, "{months_since_last_order: {lt: 0}}", "lt: 0",
     '"months_since_last_order" is 0 or more, so lt 0 never holds; write a threshold above 0'),
    ("warnings.yaml", NO_ORDERS, "{months_since_last_order: {lte: -1}}", "lte: -1", "so lte -1 never holds"),
    ("warnings.yaml", NO_ORDERS, "{months_since_last_order: {eq: -3}}", "eq: -3",
     "so eq -3 never holds; write a threshold of 0 or more"),
    ("warnings.yaml", NO_ORDERS, "{months_since_last_order: {between: [-5, -1]}}", "-1]",
     "so between [-5, -1] never holds"),
    ("warnings.yaml", NO_ORDERS, "{months_since_last_order: {in: [6, -1]}}", "-1]", "so in item -1 never matches"),
    ("warnings.yaml", NO_ORDERS, "{months_since_last_order: {gte: 0}}", "gte: 0",
     f"so gte 0 {EVERY}; write a threshold above 0, or months_since_last_order: {{exists: true}} to ask only "
     "that it is known"),
    ("warnings.yaml", NO_ORDERS, "{months_since_last_order: {gt: -1}}", "gt: -1", f"so gt -1 {EVERY}"),
    ("warnings.yaml", NO_ORDERS, "{months_since_last_order: {ne: -1}}", "ne: -1", f"so ne -1 {EVERY}"),
    ("warnings.yaml", "{dbt_open_max: {gte: 91}}", "{dbt_open_max: {lt: 0}}", "lt: 0",
     '"dbt_open_max" is 0 or more, so lt 0 never holds'),
    ("follow_ups.yaml", "{days_since_last_contact: {gt: 30}}", "{days_since_last_contact: {gt: -1}}", "gt: -1",
     f'"days_since_last_contact" is 0 or more, so gt -1 {EVERY}'),
    ("orders.yaml", "{overdue_count: {gt: 0}}", "{overdue_amount: {lte: -100}}", "lte: -100",
     '"overdue_amount" is 0 or more, so lte -100 never holds'),
    ("collection.yaml", "{invoice_payment_term_days: {lte: 30}}", "{invoice_payment_term_days: {lt: 0}}", "lt: 0",
     '"invoice_payment_term_days" is 0 or more, so lt 0 never holds'),
    ("warnings.yaml", "revenue_change_ratio: {lte: -0.3}", "revenue_change_ratio: {lte: -30}", "lte: -30",
     '"revenue_change_ratio" is -1 or more, so lte -30 never holds; write -0.3 (a share, factor or ratio is a '
     "fraction here: -30% is -0.3)"),
    ("scorecard.yaml", "{late_paid_share: {lte: 0.1}}", "{late_paid_share: {lt: 0}}", "lt: 0",
     '"late_paid_share" is from 0 to 1, so lt 0 never holds; write a threshold above 0'),
    # The top edge: a 5C score is at most 100, a share 1, and C, the worst grade, ranks 9.
    ("warnings.yaml", NO_ORDERS, "{assess_character: {lte: 100}}", "lte: 100",
     f'"assess_character" is from 0 to 100, so lte 100 {EVERY}; write a threshold below 100, or '
     "assess_character: {exists: true} to ask only that it is known"),
    ("warnings.yaml", NO_ORDERS, "{assess_capital: {gt: 100}}", "gt: 100",
     '"assess_capital" is from 0 to 100, so gt 100 never holds; write a threshold below 100'),
    ("orders.yaml", "{overdue_count: {gt: 0}}", "{score: {gt: 100}}", "gt: 100",
     '"score" is from 0 to 100, so gt 100 never holds'),
    ("scorecard.yaml", "{late_paid_share: {lte: 0.1}}", "{late_paid_share: {lte: 1}}", "lte: 1",
     f'"late_paid_share" is from 0 to 1, so lte 1 {EVERY}; write a threshold below 1'),
    ("scorecard.yaml", "{late_paid_share: {lte: 0.1}}", "{late_paid_share: {gt: 1}}", "gt: 1",
     '"late_paid_share" is from 0 to 1, so gt 1 never holds'),
    ("warnings.yaml", NO_ORDERS, "{current_grade_rank: {gt: 9}}", "gt: 9",
     '"current_grade_rank" is from 1 to 9, so gt 9 never holds; write a threshold below 9'),
    ("warnings.yaml", NO_ORDERS, "{current_grade_rank: {gte: 10}}", "gte: 10",
     '"current_grade_rank" is from 1 to 9, so gte 10 never holds; write a threshold from 1 to 9'),
    ("warnings.yaml", NO_ORDERS, "{current_grade_rank: {lte: 9}}", "lte: 9",
     f'"current_grade_rank" is from 1 to 9, so lte 9 {EVERY}'),
    ("warnings.yaml", NO_ORDERS, "{current_grade_rank: {lt: 1}}", "lt: 1",
     '"current_grade_rank" is from 1 to 9, so lt 1 never holds; write a threshold above 1'),
    ("orders.yaml", "{overdue_count: {gt: 0}}", "{grade_rank: {in: [8, 10]}}", "10]",
     '"grade_rank" is from 1 to 9, so in item 10 never matches'),
    ("orders.yaml", "{overdue_count: {gt: 0}}", "{base_grade_rank: {eq: 0}}", "eq: 0",
     '"base_grade_rank" is from 1 to 9, so eq 0 never holds'),
    # A percentage written whole on a fraction, which may pass 1 (a utilisation over the limit): 5 and up, while
    # its hundredth is a realistic value.
    ("warnings.yaml", NO_ORDERS, "{limit_utilisation: {gte: 80}}", "gte: 80",
     '"limit_utilisation" is a fraction (1 is 100%; real values lie from 0 to 5), so gte 80 is 8000%; write 0.8 '
     "(a share, factor or ratio is a fraction here: 80% is 0.8)"),
    ("warnings.yaml", NO_ORDERS, "{debt_ratio: {gt: 85}}", "gt: 85",
     '"debt_ratio" is a fraction (1 is 100%; real values lie from 0 to 5), so gt 85 is 8500%; write 0.85'),
    ("warnings.yaml", NO_ORDERS, "{net_margin: {lt: -5}}", "lt: -5", "so lt -5 is -500%; write -0.05"),
    ("warnings.yaml", NO_ORDERS, "{revenue_change_ratio: {gte: 50}}", "gte: 50", "write 0.5"),
    ("warnings.yaml", NO_ORDERS, "{limit_utilisation: {between: [50, 80]}}", "50,",
     "so between [50, 80] is 5000% to 8000%; write [0.5, 0.8]"),
    ("warnings.yaml", NO_ORDERS, "{limit_utilisation: {between: [0.5, 80]}}", "80]", "write [0.5, 0.8]"),
    ("warnings.yaml", NO_ORDERS, "{limit_utilisation: {in: [1, 90]}}", "90]",
     "so in item 90 is 9000%; write 0.9"),
    # Past 100 while the hundredth is a realistic value: 150 % of the limit is 1.5, a net margin of -150 % is -1.5.
    ("warnings.yaml", NO_ORDERS, "{limit_utilisation: {gte: 150}}", "gte: 150", "so gte 150 is 15000%; write 1.5"),
    ("warnings.yaml", NO_ORDERS, "{net_margin: {lt: -150}}", "lt: -150", "so lt -150 is -15000%; write -1.5"),
    # A signed fraction: both edges of each side. A net margin lies from -5 (a loss five times revenue) to 1.
    ("warnings.yaml", NO_ORDERS, "{net_margin: {lt: -500}}", "lt: -500",
     '"net_margin" is a fraction (1 is 100%; real values lie from -5 to 1), so lt -500 is -50000%; write -5'),
    ("warnings.yaml", NO_ORDERS, "{net_margin: {gt: 5}}", "gt: 5", "so gt 5 is 500%; write 0.05"),
    ("warnings.yaml", NO_ORDERS, "{net_margin: {gt: 100}}", "gt: 100", "so gt 100 is 10000%; write 1"),
    # One range, one unit: -4 beside -100 is -4 %, not a loss four times revenue ([-1, -4] had its ends swapped).
    ("warnings.yaml", NO_ORDERS, "{net_margin: {between: [-100, -4]}}", "-100,",
     "so between [-100, -4] is -10000% to -400%; write [-1, -0.04]"),
])
def test_a_threshold_past_or_at_a_fields_bound_is_invalid_at_it(
    rules_copy: RulesCopy, file: str, old: str, new: str, at: str, said: str
) -> None:
    """`{months_since_last_order: {lt: 0}}` linted clean, though no customer can ever meet it, and so did
    `{assess_character: {lte: 100}}`, which every customer scored meets, `{current_grade_rank: {gt: 9}}`, and
    `{limit_utilisation: {gte: 80}}`, meant as 80 % and asking for exposure 80 times the limit."""
    rules = rules_copy((file, old, new))

    found = _problems(rules)

    [(name, line, col, code, message)] = found
    assert (name, line, col, code) == (file, *_at(rules / file, new[new.index(at):]), "invalid_value")
    assert said in message


@pytest.mark.parametrize(("file", "old", "new"), [
    ("warnings.yaml", NO_ORDERS, "{months_since_last_order: {lte: 0}}"),
    ("warnings.yaml", NO_ORDERS, "{months_since_last_order: {eq: 0}}"),
    ("warnings.yaml", NO_ORDERS, "{months_since_last_order: {gt: 0}}"),
    ("warnings.yaml", NO_ORDERS, "{months_since_last_order: {between: [0, 3]}}"),
    ("warnings.yaml", NO_ORDERS, "{months_since_last_order: {in: [0, 1]}}"),
    ("warnings.yaml", NO_ORDERS, "{large_small_lateness_gap: {lt: -10}}"),
    ("warnings.yaml", NO_ORDERS, "{working_capital: {lt: -1}}"),
    ("warnings.yaml", NO_ORDERS, "{net_margin: {lt: -0.1}}"),
    ("warnings.yaml", NO_ORDERS, "{quick_ratio: {lt: 0}}"),
    ("warnings.yaml", "revenue_change_ratio: {lte: -0.3}", "revenue_change_ratio: {lte: -0.99}"),
    ("scorecard.yaml", "{net_worth: {lte: 0}}", "{net_worth: {lt: -1000}}"),
    ("warnings.yaml", NO_ORDERS, "{assess_character: {lt: 100}}"),
    ("warnings.yaml", NO_ORDERS, "{assess_character: {gte: 100}}"),
    ("warnings.yaml", NO_ORDERS, "{assess_character: {eq: 100}}"),
    ("warnings.yaml", NO_ORDERS, "{current_grade_rank: {gte: 9}}"),
    ("warnings.yaml", NO_ORDERS, "{current_grade_rank: {between: [7, 10]}}"),
    ("scorecard.yaml", "{late_paid_share: {lte: 0.1}}", "{late_paid_share: {lt: 1}}"),
    ("orders.yaml", "{overdue_count: {gt: 0}}", "{score: {between: [90, 101]}}"),
    ("warnings.yaml", NO_ORDERS, "{limit_utilisation: {gte: 1.2}}"),  # over the limit: a fraction may pass 1
    ("warnings.yaml", NO_ORDERS, "{limit_utilisation: {gte: 4}}"),  # under 5 may be a multiple
    ("warnings.yaml", NO_ORDERS, "{limit_utilisation: {gte: 600}}"),  # 6 times the limit is no realistic value
    ("warnings.yaml", NO_ORDERS, "{net_margin: {lt: -4.9}}"),  # a loss of 4.9 times revenue: may be meant
    ("warnings.yaml", NO_ORDERS, "{net_margin: {lt: -501}}"),  # -5.01 is past a realistic margin: no percentage
    ("warnings.yaml", NO_ORDERS, "{net_margin: {gt: 101}}"),
    ("warnings.yaml", NO_ORDERS, "{debt_ratio: {gt: 1}}"),
    ("warnings.yaml", NO_ORDERS, "{order_spike_ratio: {gte: 5}}"),  # a multiple: five times the usual month
    ("warnings.yaml", NO_ORDERS, "{current_ratio: {gte: 20}}"),
])
def test_a_threshold_a_field_can_meet_or_miss_is_fine(rules_copy: RulesCopy, file: str, old: str, new: str) -> None:
    rules = rules_copy((file, old, new))

    assert _problems(rules) == []


def test_each_number_field_declares_the_bounds_its_computation_keeps_or_none_where_it_can_go_past() -> None:
    """Open: a difference (gap, working capital, days to due, credit left), a signed amount (equity, profit)
    and quick_ratio, whose inventory nothing holds to within current assets."""
    numbers = {n: s for n, s in SCOPES["order"].items() | SCOPES["invoice"].items() if s.type in ("number", "integer")}

    bounds = {name: spec.minimum for name, spec in numbers.items() if spec.minimum != 0}

    assert bounds == {
        "large_small_lateness_gap": None, "net_worth": None, "working_capital": None, "net_margin": None,
        "quick_ratio": None, "invoice_days_to_due": None, "available_credit": None, "available_credit_after": None,
        "revenue_change_ratio": -1, "current_grade_rank": 1, "grade_rank": 1, "base_grade_rank": 1,
    }
    # Only where the domain bounds it: a utilisation passes 1 over the limit, a count has no top however rare.
    assert {name: spec.maximum for name, spec in numbers.items() if spec.maximum is not None} == {
        "score": 100, **{f"assess_{c}": 100 for c in ("character", "capacity", "capital", "collateral", "conditions")},
        "late_paid_share": 1, "overdue_share": 1, "overdue_share_90d_ago": 1,
        "current_grade_rank": 9, "grade_rank": 9, "base_grade_rank": 9,
    }


def test_each_fraction_field_says_so_in_the_catalogue() -> None:
    """The catalogue, not a list in lint, says which fields hold a share or rate people state in percent; a
    multiple (current_ratio 2, order_spike_ratio 3) is not one."""
    fractions = {n for n, s in SCOPES["order"].items() | SCOPES["invoice"].items() if s.fraction}

    assert fractions == {
        "late_paid_share", "overdue_share", "overdue_share_90d_ago", "limit_utilisation", "debt_ratio", "net_margin",
        "revenue_change_ratio",
    }


def test_a_percentage_written_whole_under_a_title_stating_it_is_one_problem_at_the_threshold(
    rules_copy: RulesCopy,
) -> None:
    """`Debt ratio above 85%` on `{debt_ratio: {gt: 85}}` is the threshold's slip, said once where it is."""
    rules = rules_copy(("warnings.yaml", "{debt_ratio: {gt: 0.85}}", "{debt_ratio: {gt: 85}}"))

    [(name, line, col, code, message)] = _problems(rules)

    assert (name, line, col, code) == ("warnings.yaml", *_at(rules / "warnings.yaml", "gt: 85}"), "invalid_value")
    assert message.endswith("write 0.85 (a share, factor or ratio is a fraction here: 85% is 0.85)")



def test_fields_shows_a_lower_bound_beside_the_unit_and_a_greatest_value_with_it() -> None:
    result = CliRunner().invoke(build_app(), ["fields", "--stage", "order"])

    lines = {t.split()[0]: t for t in result.output.splitlines()}
    assert result.exit_code == 0
    assert "(months, ≥ 0) " in lines["months_since_last_order"]
    assert "(≥ 0) " in lines["invoice_count"]
    assert "(fraction, ≥ -1; real values -1 to 5" in lines["revenue_change_ratio"]
    assert "(fraction, ≥ 0; " in lines["debt_ratio"] and "(fraction; " in lines["net_margin"]
    assert "≥" not in lines["large_small_lateness_gap"] and "(0-1; " in lines["late_paid_share"]
    assert "(1-9) " in lines["current_grade_rank"] and "(1-9) " in lines["grade_rank"]
    assert "(0-100) " in lines["score"] and "(0-100) " in lines["assess_capital"]
    assert "(0-1+; " in lines["limit_utilisation"]

