"""Month counts written in a title, in English or Chinese: "every three months", "half-yearly", "a year", 每三个月,
每月, 半个月, 一年一次.

Read only where the count is sure: every lint problem refuses the rule set, so a title whose number
cannot be pinned says nothing. A count of times (twice a year, 每年两次) makes the whole text unread,
and so does a month's name (3月 is March: only 三个月 and 每三月 count months). A range or list (two or
three months, 2、3个月, a month or two), a number's tail (1,000), half more (一年半, a year and a half) and an
approximation (两个月左右) give no count; numbers are read as number_words reads them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

from policy_engine.rules.number_words import EN_NUM, ZH_NUM, ZH_WORD_NUM, read_number

TIMES = re.compile(r"\b(?:twice|thrice|times)\b|(?:[2-9]|\d\d+|[二两三四五六七八九十]+)\s*次", re.IGNORECASE)
"""A count of times (twice, 每年两次): a text that has one is not read for a count of months or days."""
AFTER_NUMBER = re.compile(rf"(?:{EN_NUM}|{ZH_NUM})\s*(?:[,，、~～–—-]|to|or|and|through|到|至|或者?)\s*$", re.I)
"""Text ending in a number and a range or list mark: a count right after it is the range's end (two or
three months, 10 to 20 days, 2、3个月) or a number's tail (1,000), no count of its own."""
RANGE_TAIL = re.compile(rf"^\s*(?:(?:or|to|through|[-~～–—到至或、])\s*(?:{EN_NUM}|{ZH_NUM}|an?\b)"
                        r"(?![\s-]*(?:days?|weeks?|fortnights?|months?|years?|[天日周月年个]))|and\s+a\s+half|or\s+so\b|半|左右)",
                        re.I)
"""Text after a count that makes it a range's start (a month or two, 两周到三), half more (a year and a half, 一年半)
or an approximation (a week or so, 两个月左右): no count of its own."""


class MonthCount(NamedTuple):
    """A month count as written in a text: the phrase, its number of months, and where it is."""

    phrase: str
    months: float
    start: int
    end: int


def stands_alone(text: str, start: int, end: int) -> bool:
    """Whether the count at text[start:end] is neither part of a range or list, nor half more, nor approximate."""
    return not AFTER_NUMBER.search(text[:start]) and not RANGE_TAIL.match(text[end:])


def _fixed(months: float) -> Callable[[re.Match[str]], float | None]:
    return lambda _match: months


def _counted(times: int) -> Callable[[re.Match[str]], float | None]:
    def read(match: re.Match[str]) -> float | None:
        number = read_number(match.group("n"))
        return None if number is None else number * times
    return read


# Longest first: each match is blanked before the next pattern looks, so "half-yearly" is not
# read again as "yearly", nor "three-monthly" as "monthly".
_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], float | None]]] = [
    (re.compile(r"\b(?:half[- ]?year(?:ly)?|half\s+a\s+year|semi-?annual(?:ly)?)\b|半年", re.I), _fixed(6)),
    (re.compile(r"(?<!个)半个?月"), _fixed(0.5)),
    (re.compile(rf"(?<![\w.-])(?P<n>{EN_NUM})[- ]monthly\b", re.I), _counted(1)),
    (re.compile(rf"(?<![\w.-])(?:(?:every|each)\s+)?(?P<n>{EN_NUM})[\s-]+months?\b", re.I), _counted(1)),
    (re.compile(rf"(?<![\w.-])(?:(?:every|each)\s+)?(?P<n>{EN_NUM})[\s-]+years?\b", re.I), _counted(12)),
    (re.compile(rf"每?\s*(?P<n>{ZH_NUM})\s*个\s*月|每\s*(?P<m>{ZH_NUM})\s*月"),
     lambda m: read_number(m["n"] or m["m"])),
    (re.compile(rf"每\s*(?P<n>{ZH_NUM})\s*年"), _counted(12)),
    # Without 每 a year is a count only followed by what a cadence or validity says: 2024年 names a year,
    # 两年以上 and 合作一年的 describe the customer.
    (re.compile(rf"(?P<n>{ZH_WORD_NUM}|(?<![\d.])\d{{1,2}})\s*年(?=一次|复查|复审|有效|$|[，,。；;：:（）()\s])"),
     _counted(12)),
    (re.compile(r"\bevery\s+other\s+month\b|隔月", re.I), _fixed(2)),
    (re.compile(r"(?<!half )\b(?:every|each|a|per)\s+month\b|(?<![\w-])(?<!bi )(?<!semi )monthly\b|每个?月|按月",
                re.I), _fixed(1)),
    (re.compile(r"\b(?:quarterly|(?:every|each|a|per)\s+quarter)\b|每个?季度?|按季度?", re.I), _fixed(3)),
    (re.compile(r"\b(?:yearly|annually|annual|(?:every|each|a|per)\s+year)\b|每年|按年", re.I), _fixed(12)),
]


def month_counts(text: str) -> list[MonthCount]:
    """Every month count `text` states, in the order written; none when it counts times (twice a year)."""
    if TIMES.search(text):
        return []
    found: list[MonthCount] = []
    rest = text
    for pattern, read in _PATTERNS:
        for match in pattern.finditer(rest):
            months = read(match)
            if months is not None and stands_alone(text, match.start(), match.end()):
                found.append(MonthCount(text[match.start():match.end()], months, match.start(), match.end()))
            rest = rest[:match.start()] + " " * (match.end() - match.start()) + rest[match.end():]
    return sorted(found, key=lambda count: count.start)

