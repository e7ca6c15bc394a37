"""Lint's invariant that a worse grade never gets a more generous limit or a longer review interval holds for every
customer the limit and cadence rows tell apart, not only for one with nothing but a grade."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from policy_engine.rules.compiler import lint
from policy_engine.rules.loader import read_rule_files
from policy_engine.rules.problems import Problem

RulesCopy = Callable[..., Path]


def _problems(rules: Path) -> list[Problem]:
    return lint(read_rule_files(rules), source_dir=str(rules))


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def _not_monotonic_at(rules: Path, file: str, row_id: str) -> str:
    """The one problem's message, checked to be a not_monotonic at the row `row_id`."""
    [problem] = _problems(rules)
    assert (problem.code, problem.line) == ("not_monotonic", _line_of(rules / file, f"id: {row_id}"))
    return problem.message


def _before(rules_copy: RulesCopy, file: str, row_id: str, row: str) -> Path:
    """The shipped rules with `row` written just before the row `row_id` of `file`."""
    return rules_copy((file, f"  - id: {row_id}\n", f"{row}  - id: {row_id}\n"))


def _limit_row(row_id: str, when: str, months: float, share: float, floor: int) -> str:
    return (f"  - id: {row_id}\n    title: {{zh: 额度, en: A limit}}\n    source: \"004 信用额度\"\n"
            f"    when: {when}\n    limit: {{months_of_purchases: {months}, share_of_net_worth: {share}, "
            f"floor: {floor}}}\n    validity_months: 6\n")


def test_a_limit_row_for_small_a_customers_below_bbb_breaks_the_invariant_at_that_row(rules_copy: RulesCopy) -> None:
    row = _limit_row("limit.a_small", "{all: [{grade: A}, {size: small}]}", 2, 0.15, 30000)
    rules = _before(rules_copy, "limits.yaml", "limit.a", row)

    message = _not_monotonic_at(rules, "limits.yaml", "limit.a_small")

    assert "size small" in message and "grade BBB" in message and "2.5 > 2" in message


def test_a_limit_row_for_small_a_customers_at_bbbs_terms_or_more_keeps_the_invariant(rules_copy: RulesCopy) -> None:
    row = _limit_row("limit.a_small", "{all: [{grade: A}, {size: small}]}", 2.5, 0.15, 30000)
    rules = _before(rules_copy, "limits.yaml", "limit.a", row)

    assert _problems(rules) == []


def test_a_worse_grade_more_generous_past_a_threshold_is_found_at_its_row(rules_copy: RulesCopy) -> None:
    row = _limit_row("limit.aa_long", "{all: [{grade: AA}, {relationship_months: {gte: 24}}]}", 5, 0.3, 100000)
    rules = _before(rules_copy, "limits.yaml", "limit.aa", row)

    message = _not_monotonic_at(rules, "limits.yaml", "limit.aa_long")

    assert "relationship_months 24" in message and "grade AAA" in message


def test_a_longer_review_interval_for_class_c_key_customers_breaks_the_invariant(rules_copy: RulesCopy) -> None:
    row = ("  - id: review.class_c_key\n    title: {zh: C类重点客户每半年, en: Class C key customers every six months}"
           "\n    source: \"001 不同等级的客户拜访频次\"\n    when: {all: [{grade_class: C}, {value_class: A}]}\n"
           "    interval_months: 6\n")
    message = _not_monotonic_at(_before(rules_copy, "reviews.yaml", "review.class_c", row), "reviews.yaml",
                                "review.class_c_key")

    assert "value_class A" in message and "review interval" in message


def test_a_row_on_many_fields_is_still_probed_with_a_customer_who_meets_it(rules_copy: RulesCopy) -> None:
    """Nine fields of three to five values each are past the combinations probed; the row's own customer is not."""
    when = ("{all: [{grade: A}, {size: small}, {value_class: C}, {relationship_months: {gte: 12}}, "
            "{invoice_count: {gte: 3}}, {overdue_count: {lt: 2}}, {open_invoice_count: {lte: 9}}, "
            "{warning_count: {lt: 3}}, {has_financials: true}, {days_since_last_contact: {lt: 90}}]}")
    rows = _limit_row("limit.a_narrow", when, 1, 0.15, 30000)
    rules = _before(rules_copy, "limits.yaml", "limit.a", rows)

    assert "size small" in _not_monotonic_at(rules, "limits.yaml", "limit.a_narrow")
