"""Day counts written in a title, in English or Chinese: "two days", "a week", "a fortnight", "a 90-day", 提前2天, 两周,
超过60日.

Numbers are read as number_words reads them (ninety, forty-five, 一百二十). Only a sure count is read: a range
or list (1~2天, 1-2 days, two or three days, a week or two, 一两天, 2、3天), half more or about (一周半, 一周左右),
a number's tail (1,000), a month (not a sure number of days), a date (3月5日), an
ordinal (第3天), an age (3周岁), working days (5个工作日) and a text counting times (twice in 30 days,
每周两次) give none.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from policy_engine.rules.month_counts import TIMES, stands_alone
from policy_engine.rules.number_words import EN_NUM, ZH_NUM, en_spelled, read_number, zh_numeral


class DayCount(NamedTuple):
    """A day count as written in a text: the phrase, its days, how it was written, and where it is."""

    phrase: str
    days: float
    number: str
    """The number as written: digits, an English word or a Chinese numeral."""
    unit: str
    """The unit as written: days, day, week, weeks, 天, 日, 周, 个星期 …"""
    in_weeks: bool
    """Whether it was written in weeks (its days are seven times its number)."""
    start: int
    end: int


# A number right after another number's range mark (1-2, 1~2, 一到两) or a word's hyphen (twenty-one) is
# half of something else, and a number after 月 is a date (3月5日), after 第 an ordinal.
_EN = re.compile(rf"(?<![\w.~～–—-])(?P<n>{EN_NUM})[\s-]+(?P<unit>days?|weeks?|fortnights?)\b", re.I)
# "a week", "a fortnight"; not "half a week", and not "a day" ("once a day" counts times).
_EN_ONE = re.compile(r"(?<![\w.~～–—-])(?<!half )(?P<n>an?)\s+(?P<unit>week|fortnight)\b", re.I)
_UNIT_DAYS = ((re.compile(r"fortnight", re.I), 14), (re.compile(r"week|周|星期|礼拜", re.I), 7))
_ZH = re.compile(rf"(?<![\d.~～–—\-到至或第月])(?P<n>{ZH_NUM})\s*"
                 r"(?P<unit>天|日|个?\s*(?:周|星期|礼拜)(?![岁年]))")


def day_counts(text: str) -> list[DayCount]:
    """Every day count `text` states, in the order written; none when it counts times (twice in 30 days)."""
    if TIMES.search(text):
        return []
    found = []
    for pattern in (_EN, _EN_ONE, _ZH):
        for match in pattern.finditer(text):
            number = 1.0 if pattern is _EN_ONE else read_number(match["n"])
            if number is not None and stands_alone(text, match.start(), match.end()):
                per = next((days for unit, days in _UNIT_DAYS if unit.search(match["unit"])), 1)
                found.append(DayCount(match[0], number * per, match["n"], match["unit"], per > 1,
                                      match.start(), match.end()))
    return sorted(found, key=lambda count: count.start)


def written_as(count: DayCount, days: int) -> str:
    """`days` written as `count` was: in weeks when it was and they are whole, its digits or words, its hyphen."""
    weeks = count.in_weeks and days % 7 == 0
    n = days // 7 if weeks else days
    chinese = bool(re.search(r"[天日周星期礼拜]", count.unit))
    if re.search(r"\d", count.number):
        number = str(n)
    else:
        number = zh_numeral(n) if chinese else en_spelled(n)
    if chinese:
        return number + (count.unit if weeks or not count.in_weeks else "天")
    sep = count.phrase[len(count.number):len(count.phrase) - len(count.unit)]
    return f"{number}{sep}{'week' if weeks else 'day'}" + ("" if n == 1 or sep == "-" else "s")
