"""A rule title that says a number of months the rule no longer has is a lint problem at that title.

Risk staff change `interval_months` and forget the title, and the title is what every decision's
reasons and actions show: "Class B every three months" on a row that reviews every two. Every lint
problem refuses the rule set, so a title is only read where its number can be told for sure: a title
with no month count, or one the reading cannot pin (twice a year), says nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from policy_engine.rules.month_counts import month_counts
from tests.title_lint import mismatches, where

RulesCopy = Callable[..., Path]
B_TITLE = "title: {zh: B类每三个月, en: Class B every three months}"
AAA_ROW = "title: {zh: AAA级额度, en: AAA limit}"


def _class_b_every_two_months(rules_copy: RulesCopy, title: str) -> Path:
    """The shipped rules with class B reviewed every 2 months and `title` in English (none in Chinese)."""
    return rules_copy(("reviews.yaml", B_TITLE, f"title: {{zh: B类复查, en: '{title}'}}"),
                      ("reviews.yaml", "interval_months: 3", "interval_months: 2"))


def test_the_shipped_titles_agree_with_their_rows(rules_copy: RulesCopy) -> None:
    """Class A every six months / 每半年, B three / 每三个月, C every month / 每月: as their rows say."""
    rules = rules_copy()

    assert mismatches(rules) == []


def test_a_changed_interval_under_an_unchanged_title_is_a_problem_at_each_title(rules_copy: RulesCopy) -> None:
    """The case that happens: interval_months 3 → 2, title still saying three (both languages)."""
    rules = rules_copy(("reviews.yaml", "interval_months: 3", "interval_months: 2"))
    reviews = rules / "reviews.yaml"

    found = mismatches(rules)

    assert [(name, line, col) for name, line, col, _ in found] == [
        ("reviews.yaml", *where(reviews, "zh: B类每三个月")),
        ("reviews.yaml", *where(reviews, "en: Class B every three months")),
    ]
    zh, en = (message for *_, message in found)
    assert zh.startswith("rule review.class_b: title.zh:") and en.startswith("rule review.class_b: title.en:")
    assert '"每三个月" (3 months)' in zh and "interval_months is 2" in zh and '"每两个月"' in zh
    assert '"every three months" (3 months)' in en and "interval_months is 2" in en and '"every two months"' in en


@pytest.mark.parametrize(("title", "months"), [
    ("Class B every 3 months", 3),
    ("Class B every three months", 3),
    ("Class B every Three Months", 3),
    ("Class B: a 3-month review", 3),
    ("Class B three-monthly", 3),
    ("Class B quarterly", 3),
    ("Class B every quarter", 3),
    ("Class B every month", 1),
    ("Class B once a month", 1),
    ("Class B monthly", 1),
    ("Class B every six months", 6),
    ("Class B half-yearly", 6),
    ("Class B every half year", 6),
    ("Class B semi-annually", 6),
    ("Class B every twelve months", 12),
    ("Class B every 18 months", 18),
    ("Class B every year", 12),
    ("Class B annually", 12),
    ("Class B every two years", 24),
    ("Class B every other month", 2),
    ("B类每三个月", 3),
    ("B类每3个月", 3),
    ("B类每两个月", 2),
    ("B类每二个月", 2),
    ("B类每十二个月", 12),
    ("B类每十八个月", 18),
    ("B类每三月一次", 3),
    ("B类每月", 1),
    ("B类每个月", 1),
    ("B类按月", 1),
    ("B类每半年", 6),
    ("B类半年一次", 6),
    ("B类每季度", 3),
    ("B类每季", 3),
    ("B类每年", 12),
    ("B类每３个月", 3),
    ("Class B every thirteen months", 13),
    ("Class B every eighteen months", 18),
    ("Class B every twenty-one months", 21),
    ("Class B every twenty one months", 21),
    ("Class B every Twenty-Four months", 24),
    ("Class B every one hundred and twenty months", 120),
    ("Class B every a hundred months", 100),
    ("B类每二十一个月", 21),
    ("B类每一百二十个月", 120),
    ("B类每两百个月", 200),
    ("B类每一百零五个月", 105),
    ("Class B once a year", 12),
    ("Class B every half a year", 6),
    ("B类每半个月", 0.5),
    ("B类每半月", 0.5),
    ("B类半个月一次", 0.5),
    ("B类一年一次", 12),
    ("B类两年复查一次", 24),
    ("B类一年", 12),
    ("B类1年一次", 12),
])
def test_each_way_of_writing_a_month_count_is_read(title: str, months: int) -> None:
    """Digits, English number words, Chinese numerals (两 too), and the words for one, three, six and twelve."""
    assert [count.months for count in month_counts(title)] == [months]


@pytest.mark.parametrize("title", [
    "Class B every three months",
    "Class B every 6 months",
    "Class B half-yearly",
    "B类每月",
    "B类每半年",
    "B类每十二个月",
    "B类每半个月",
    "B类一年一次",
    "Class B every twenty-one months",
    "B类每二十一个月",
])
def test_each_way_of_writing_a_wrong_number_is_caught(rules_copy: RulesCopy, title: str) -> None:
    """The row reviews every 2 months; every one of these titles says another number."""
    rules = _class_b_every_two_months(rules_copy, title)

    found = mismatches(rules)

    at = where(rules / "reviews.yaml", f"en: '{title}'")
    assert [(name, line, col) for name, line, col, _ in found] == [("reviews.yaml", *at)]
    assert "interval_months is 2" in found[0][3]


@pytest.mark.parametrize("title", [
    # saying the row's two months
    "Class B every two months",
    "Class B every 2 months",
    "Class B bi-monthly review? no: every 2 months",
    "B类每两个月",
    "B类每2个月",
    # no month count it can pin: no number, a number of times, a month's name (3月 is March)
    "Class B review",
    "Class B reviewed twice a year",
    "Class B reviewed twice yearly",
    "Class B bi-monthly",
    "Class B semimonthly",
    "B类每年两次",
    "B类定期复查",
    "Class B, reviewed in March",
    "B类3月复查",
    # a range or list, or the tail of a number: none of its numbers is the count
    "Class B every two or three months",
    "Class B every 1 to 3 months",
    "Class B every twenty or thirty months",
    "Class B every thirteen to fifteen months",
    "B类每两到三个月",
    "B类每2、3个月",
])
def test_a_title_that_says_the_rows_number_or_no_number_it_can_pin_passes(rules_copy: RulesCopy, title: str) -> None:
    """The row reviews every 2 months: a title saying so passes, and so does one that says no month count."""
    assert mismatches(_class_b_every_two_months(rules_copy, title)) == []


@pytest.mark.parametrize("title", [
    "B类每一百二个月",  # 一百二 is 120 only by habit: not read
    "B类每百个月",
    "B类每十十个月",
    "Class B every twenty-twelve months",
    # a range, a half more or an approximation after the count
    "Class B every month or two",
    "Class B every year or two",
    "Class B every year and a half",
    "B类每一年半",
    "B类一年半一次",
    "B类一个半月",
    "B类每两个月左右",
    # a year's name, not a count: 2024年, 一年级, 两年以上的客户
    "B类2024年",
    "B类成立两年以上",
    "B类合作一年的客户",
])
def test_a_numeral_that_is_not_well_formed_or_not_sure_reads_no_month_count(title: str) -> None:
    """Only numbers written the standard way are read, and only as a count: a doubtful one says nothing."""
    assert month_counts(title) == []


def test_half_a_month_is_refused_without_offering_a_setting_the_row_cannot_take(rules_copy: RulesCopy) -> None:
    """每半个月 on a monthly row: write 每月; interval_months is a whole number, so 0.5 is no way out."""
    rules = rules_copy(("reviews.yaml", "zh: C类每月", "zh: C类每半个月"))

    [(_, _, _, message)] = mismatches(rules)

    assert '"半个月" (0.5 months)' in message and '"每月"' in message and "interval_months: 0.5" not in message


def test_a_limit_title_that_states_a_validity_is_checked_against_validity_months(rules_copy: RulesCopy) -> None:
    """AAA limits hold 6 months; a title saying 4 (有效期4个月, valid four months) is wrong in both languages."""
    rules = rules_copy(("limits.yaml", AAA_ROW, "title: {zh: AAA级额度有效期4个月, en: AAA limit valid four months}"))
    limits = rules / "limits.yaml"

    found = mismatches(rules)

    assert [(line, col) for _, line, col, _ in found] == [where(limits, "zh: AAA级额度有效期4个月"),
                                                          where(limits, "en: AAA limit valid four months")]
    assert all("validity_months is 6" in message for *_, message in found)


def test_a_limit_title_stating_a_year_of_validity_is_checked(rules_copy: RulesCopy) -> None:
    """有效期一年 / valid a year is 12 months: wrong on an AAA row that holds 6."""
    rules = rules_copy(("limits.yaml", AAA_ROW, "title: {zh: AAA级额度有效期一年, en: AAA limit valid a year}"))

    found = mismatches(rules)

    assert [(line, col) for _, line, col, _ in found] == [where(rules / "limits.yaml", "zh: AAA级额度有效期一年"),
                                                          where(rules / "limits.yaml", "en: AAA limit valid a year")]
    assert '"一年" (12 months)' in found[0][3]


@pytest.mark.parametrize("title", [
    "{zh: AAA级额度有效期6个月, en: AAA limit valid for 6 months}",
    "{zh: AAA级额度(6个月有效), en: AAA limit (6-month validity)}",
    "{zh: AAA级额度:4个月采购额, en: AAA limit of four months of purchases}",
    "{zh: AAA级额度有效期半年, en: AAA limit valid half a year}",
])
def test_a_limit_title_passes_when_right_or_when_its_months_are_not_the_validity(rules_copy: RulesCopy,
                                                                                   title: str) -> None:
    """A limit counts months of purchases too: only a month count said to be the validity is read."""
    rules = rules_copy(("limits.yaml", AAA_ROW, f"title: {title}"))

    assert mismatches(rules) == []
