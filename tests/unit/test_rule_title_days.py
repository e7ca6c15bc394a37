"""A rule title that says a number of days the rule no longer has is a lint problem at that title.

Risk staff edit exactly those numbers: a collection row's `lead_days` under "two days ahead", a
follow-up's `days_since_last_contact: {gt: 60}` under "Not contacted for 60 days". Every lint problem
refuses the rule set, so a title is only read where its day count is sure and the rule has one day
threshold (a field whose declared unit is days) for it to speak of; anything else passes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from policy_engine.rules.compiler import lint
from policy_engine.rules.day_counts import day_counts
from policy_engine.rules.loader import read_rule_files
from tests.title_lint import messages_at, mismatches

RulesCopy = Callable[..., Path]
SHORT_LEAD = "    lead_days: 2\n"
MEDIUM_LEAD = "    lead_days: 7\n"
MEDIUM_TITLE = "title: {zh: 中账期提前1周, en: Medium terms one week ahead}"
NO_CONTACT = "{days_since_last_contact: {gt: 60}}]}"
NO_PURCHASE_TITLE = "title: {zh: 超过90天未再购买, en: No purchase for 90 days}"
NO_PURCHASE_WHEN = "when: {days_since_last_purchase: {gt: 90}}"


def _no_purchase(rules_copy: RulesCopy, title: str, when: str) -> Path:
    """The shipped rules with follow.no_purchase titled `title` in English (none in Chinese) on `when`."""
    return rules_copy(("follow_ups.yaml", NO_PURCHASE_TITLE, f"title: {{zh: 未再购买, en: '{title}'}}"),
                      ("follow_ups.yaml", NO_PURCHASE_WHEN, f"when: {when}"))


def test_a_changed_lead_under_an_unchanged_title_is_a_problem_at_each_title(rules_copy: RulesCopy) -> None:
    """lead_days 2 → 3 under 提前2天 / two days ahead: each title says which count to write."""
    rules = rules_copy(("collection.yaml", SHORT_LEAD, "    lead_days: 3\n"))

    zh, en = messages_at(rules, "collection.yaml", "zh: 短账期提前2天", "en: Short terms two days ahead")

    assert zh.startswith("rule collect.short_term: title.zh:") and en.startswith("rule collect.short_term: title.en:")
    assert '"2天"' in zh and "lead_days is 3" in zh and '"3天"' in zh
    assert '"two days"' in en and "lead_days is 3" in en and '"three days"' in en and "lead_days: 2" in en


def test_a_lead_in_weeks_is_seven_days_each_and_named_in_weeks(rules_copy: RulesCopy) -> None:
    """提前1周 / one week ahead is lead_days 7; at 14 the title should say two weeks (2周)."""
    rules = rules_copy(("collection.yaml", MEDIUM_LEAD, "    lead_days: 14\n"))

    found = mismatches(rules)

    zh, en = (message for *_, message in found)
    assert '"1周" (7 days)' in zh and '"2周"' in zh
    assert '"one week" (7 days)' in en and '"two weeks"' in en and "lead_days: 7" in en


@pytest.mark.parametrize("title", [
    "{zh: 短账期提前两天, en: Short terms 2 days ahead}",
    "{zh: 30天以内账期提前2天, en: 'Terms up to 30 days: two days ahead'}",
    "{zh: 30天以内账期, en: 'Terms up to 30 days, reminded early'}",
    "{zh: 短账期提前1~2天, en: Short terms 1-2 days ahead}",
    "{zh: 短账期提前一两天, en: Short terms a day or two ahead}",
])
def test_a_reminder_title_passes_when_its_lead_is_right_or_not_stated(rules_copy: RulesCopy, title: str) -> None:
    """lead_days 2: the terms' own day count is no lead, and a range (1~2天) is no count to pin."""
    rules = rules_copy(("collection.yaml", "title: {zh: 短账期提前2天, en: Short terms two days ahead}",
                        f"title: {title}"))

    assert mismatches(rules) == []


@pytest.mark.parametrize(("title", "lead", "right"), [
    ("Medium terms a week ahead", 14, "two weeks"),
    ("Medium terms a fortnight ahead", 7, "one week"),
    ("Medium terms a fortnight ahead", 10, "ten days"),
])
def test_a_lead_said_as_a_week_or_a_fortnight_is_checked(rules_copy: RulesCopy, title: str, lead: int,
                                                        right: str) -> None:
    """"a week" is 7 days and "a fortnight" 14: a row that leads by another number is told what to write."""
    rules = rules_copy(("collection.yaml", MEDIUM_TITLE, f"title: {{zh: 中账期, en: {title}}}"),
                       ("collection.yaml", MEDIUM_LEAD, f"    lead_days: {lead}\n"))

    [message] = messages_at(rules, "collection.yaml", f"en: {title}")

    assert f"lead_days is {lead}" in message and f'"{right}"' in message


@pytest.mark.parametrize("title", ["Medium terms a week ahead", "Medium terms a week or two ahead",
                                   "Medium terms half a fortnight ahead"])
def test_a_lead_said_as_a_week_passes_at_seven_days(rules_copy: RulesCopy, title: str) -> None:
    """lead_days 7 under "a week ahead"; a range (a week or two) is no count to hold the row to."""
    rules = rules_copy(("collection.yaml", MEDIUM_TITLE, f"title: {{zh: 中账期, en: {title}}}"))

    assert mismatches(rules) == []


@pytest.mark.parametrize("zh", ["到期前3天", "到期日前3天", "到期之前3天", "3天前", "3天之前提醒", "提前三天"])
def test_each_way_chinese_words_a_lead_is_read(rules_copy: RulesCopy, zh: str) -> None:
    """提前N天, 到期前N天, N天前: a count said to come before the due date is the lead (2 here, not 3)."""
    rules = rules_copy(("collection.yaml", "title: {zh: 短账期提前2天, en: Short terms two days ahead}",
                        f"title: {{zh: 短账期{zh}, en: Short terms}}"))

    [message] = messages_at(rules, "collection.yaml", f"zh: 短账期{zh}")

    assert "lead_days is 2" in message


@pytest.mark.parametrize("zh", ["账龄前10天的发票", "前30天未付款", "30天前期催收", "账龄前十天", "前期30天账期"])
def test_a_before_that_is_no_lead_is_not_read_as_one(rules_copy: RulesCopy, zh: str) -> None:
    """前 alone is "first" or "earlier" (账龄前十天 the first ten days of age, 前期 an earlier period): no lead."""
    rules = rules_copy(("collection.yaml", "title: {zh: 短账期提前2天, en: Short terms two days ahead}",
                        f"title: {{zh: '{zh}', en: Short terms}}"))

    assert mismatches(rules) == []


def test_a_changed_threshold_under_an_unchanged_title_is_a_problem_at_each_title(rules_copy: RulesCopy) -> None:
    """days_since_last_contact gt 60 → gt 45 under 超过60天 / for 60 days: write 45 in its place."""
    rules = rules_copy(("follow_ups.yaml", NO_CONTACT, "{days_since_last_contact: {gt: 45}}]}"))

    zh, en = messages_at(rules, "follow_ups.yaml", "zh: 超过60天未跟进", "en: Not contacted for 60 days")

    assert zh.startswith("rule follow.no_contact: title.zh:") and '"60天"' in zh and '"45天"' in zh
    assert "days_since_last_contact gt 45" in en and '"60 days"' in en and '"45 days"' in en
    assert "days_since_last_contact: {gt: 60}" in en


def test_more_than_n_days_over_a_gte_threshold_is_named_one_below_it(rules_copy: RulesCopy) -> None:
    """"more than 90 days past due" is dbt_open_max gte 91; at gte 61 the title should say more than 60."""
    rules = rules_copy(("warnings.yaml", "when: {dbt_open_max: {gte: 91}}", "when: {dbt_open_max: {gte: 61}}"))

    [message] = messages_at(rules, "warnings.yaml", "en: Invoices more than 90 days past due")

    assert "dbt_open_max gte 61" in message and '"60 days"' in message and "dbt_open_max: {gte: 91}" in message


@pytest.mark.parametrize(("title", "when"), [
    ("No purchase for 90 days", "{days_since_last_purchase: {gt: 90}}"),
    ("No purchase for 91 days", "{days_since_last_purchase: {gt: 90}}"),
    ("No purchase for more than 90 days", "{days_since_last_purchase: {gte: 91}}"),
    ("No purchase for 91 days or more", "{days_since_last_purchase: {gte: 91}}"),
    ("Bought within 90 days", "{days_since_last_purchase: {lte: 90}}"),
    ("Bought within 91 days", "{days_since_last_purchase: {lte: 90}}"),
    ("Bought in under 30 days", "{days_since_last_purchase: {lt: 30}}"),
    ("Bought within 29 days", "{days_since_last_purchase: {lt: 30}}"),
    ("Last purchase exactly 30 days ago", "{days_since_last_purchase: {eq: 30}}"),
    ("No purchase for two weeks", "{days_since_last_purchase: {gt: 14}}"),
    ("No purchase for ninety days", "{days_since_last_purchase: {gt: 90}}"),
    ("No purchase for ninety-one days", "{days_since_last_purchase: {gt: 90}}"),
    ("No purchase for one hundred and twenty days", "{days_since_last_purchase: {gt: 120}}"),
])
def test_a_day_count_agreeing_with_the_threshold_passes(rules_copy: RulesCopy, title: str, when: str) -> None:
    """gt N reads as "for N days" or "more than N" as gte N+1 does, and lte/lt likewise."""
    assert mismatches(_no_purchase(rules_copy, title, when)) == []


@pytest.mark.parametrize(("title", "when"), [
    ("No purchase for 89 days", "{days_since_last_purchase: {gt: 90}}"),
    ("No purchase for 92 days", "{days_since_last_purchase: {gt: 90}}"),
    ("No purchase for 92 days", "{days_since_last_purchase: {gte: 91}}"),
    ("Bought within 89 days", "{days_since_last_purchase: {lte: 90}}"),
    ("Bought within 31 days", "{days_since_last_purchase: {lt: 30}}"),
    ("Last purchase 31 days ago", "{days_since_last_purchase: {eq: 30}}"),
    ("No purchase for two weeks", "{days_since_last_purchase: {gt: 21}}"),
    ("No purchase for 90 days", "{all: [{size: small}, {days_since_last_purchase: {gt: 60}}]}"),
    ("No purchase for ninety days", "{days_since_last_purchase: {gt: 60}}"),
    ("No purchase for twenty-one days", "{days_since_last_purchase: {gt: 90}}"),
    ("No purchase for forty five days", "{days_since_last_purchase: {gt: 90}}"),
    ("No purchase for one hundred and twenty days", "{days_since_last_purchase: {gt: 90}}"),
])
def test_a_day_count_the_threshold_does_not_have_is_caught(rules_copy: RulesCopy, title: str, when: str) -> None:
    """Off by more than the operator's one, in either direction, or in weeks: at the title."""
    rules = _no_purchase(rules_copy, title, when)

    assert len(messages_at(rules, "follow_ups.yaml", f"en: '{title}'")) == 1


def test_a_count_in_words_is_named_in_words(rules_copy: RulesCopy) -> None:
    """"ninety days" over gt 60: the title should say "sixty days", as it spells its number."""
    rules = _no_purchase(rules_copy, "No purchase for ninety days", "{days_since_last_purchase: {gt: 60}}")

    [message] = messages_at(rules, "follow_ups.yaml", "en: 'No purchase for ninety days'")

    assert '"ninety days"' in message and '"sixty days"' in message and "days_since_last_purchase: {gt: 90}" in message


@pytest.mark.parametrize(("title", "when"), [
    # several day thresholds, or a range
    ("No purchase for 30 days", "{all: [{days_since_last_purchase: {gt: 90}}, {days_since_last_contact: {gt: 60}}]}"),
    ("No purchase for 30 days", "{days_since_last_purchase: {between: [60, 120]}}"),
    ("No purchase for 30 days", "{days_since_last_purchase: {in: [60, 90]}}"),
    ("No purchase for 30 days", "{days_since_last_purchase: {gt: 90.5}}"),
    # several counts in the title
    ("No purchase for 30 days nor contact for 60 days", "{days_since_last_purchase: {gt: 90}}"),
    # no day-valued field: units are declared, not guessed from the name
    ("Due dates moved on invoices of 30 days", "{due_date_changes_90d: {gte: 2}}"),
    ("Bought late by 30 days", "{purchase_interval_ratio: {gte: 1.5}}"),
    ("No orders for 30 days", "{months_since_last_order: {gte: 6}}"),
    # no day count it can pin
    ("No purchase for thirty to sixty days", "{days_since_last_purchase: {gt: 90}}"),
    ("No purchase for 5 working days", "{days_since_last_purchase: {gt: 90}}"),
    ("No purchase for 30-60 days", "{days_since_last_purchase: {gt: 90}}"),
    ("No purchase for 3 months", "{days_since_last_purchase: {gt: 90}}"),
    ("Bought twice in 30 days", "{days_since_last_purchase: {gt: 90}}"),
    # a count not worded as the threshold names another number
    ("Customers on 30-day terms", "{days_since_last_purchase: {gt: 90}}"),
    ("Slow payers on terms of 30 days", "{days_since_last_purchase: {gt: 90}}"),
    ("30天账期客户", "{days_since_last_purchase: {gt: 90}}"),
])
def test_a_title_the_check_cannot_pin_to_one_threshold_passes(rules_copy: RulesCopy, title: str, when: str) -> None:
    """No false refusals: a count that could speak of another threshold, or no sure count, says nothing."""
    assert mismatches(_no_purchase(rules_copy, title, when)) == []


@pytest.mark.parametrize(("text", "days"), [
    ("two days ahead", 2),
    ("2 days ahead", 2),
    ("one day ahead", 1),
    ("a 90-day silence", 90),
    ("one week ahead", 7),
    ("2 weeks ahead", 14),
    ("提前2天", 2),
    ("提前两天", 2),
    ("超过六十天", 60),
    ("超过60日未跟进", 60),
    ("提前1周", 7),
    ("提前两周", 14),
    ("提前两个星期", 14),
    ("提前一个礼拜", 7),
    ("超过６０天", 60),
    ("for thirty days", 30),
    ("for ninety days", 90),
    ("for forty-five days", 45),
    ("for Forty Five days", 45),
    ("a ninety-day silence", 90),
    ("for one hundred and twenty days", 120),
    ("for one hundred twenty days", 120),
    ("for nine hundred and ninety-nine days", 999),
    ("a week ahead", 7),
    ("A week ahead", 7),
    ("a fortnight ahead", 14),
    ("one fortnight ahead", 14),
    ("two fortnights ahead", 28),
    ("提前一周", 7),
    ("超过九十天", 90),
    ("超过十五天", 15),
    ("超过一百二十天", 120),
    ("超过两百天", 200),
])
def test_each_way_of_writing_a_day_count_is_read(text: str, days: int) -> None:
    """Digits, English words and Chinese numerals as the month check reads them; weeks are seven days."""
    assert [count.days for count in day_counts(text)] == [days]


@pytest.mark.parametrize("text", [
    "a week or two", "a week and a half", "a fortnight or so", "一周半", "两天半", "提前一周左右", "two weeks or three",
    "a day ahead", "once a day", "半个月",
    "thirty or sixty days", "thirty-sixty days", "超过一百二天", "一百十天", "一千二十天",
    "提前1~2天", "提前1-2天", "提前一两天", "提前两三天", "3月5日到期", "第3天", "3周岁", "每天", "每周",
    "1-2 days", "5 working days", "every day", "5个工作日", "twice in 30 days", "每周两次",
    "two or three days", "10 to 20 days", "between 10 and 20 days", "1,000 days", "2、3天", "2或者3天",
])
def test_a_text_with_no_day_count_it_can_pin_reads_none(text: str) -> None:
    """Ranges, dates, ordinals, ages, working days and counts of times are not read as a number of days."""
    assert day_counts(text) == []


def test_a_condition_with_a_problem_of_its_own_is_not_read_for_its_threshold(rules_copy: RulesCopy) -> None:
    """A misspelt field leaves one day threshold of two in what the checker read: the title is not held to it."""
    when = "{all: [{days_since_last_purchase: {gt: 30}}, {days_since_last_purchse: {gt: 90}}]}"
    rules = _no_purchase(rules_copy, "No purchase for 90 days", when)

    problems = lint(read_rule_files(rules), str(rules))

    assert [p.code for p in problems] == ["unknown_feature"]
