"""What a refused date says, in one form wherever a date comes in (a command's option, a snapshot file, a gRPC
request, a rule test case, an imported row): `no such day: '2026-02-30' (February 2026 has 28 days)` for a day
the calendar does not have, else why it was refused, the value, and what to write where one can tell
(`not an ISO date (YYYY-MM-DD): '2026/11/01'; write 2026-11-01`, also `'22/11/2026'; write 2026-11-22`, and for a
date and time `'2026-11-22T00:00:00'; write the date alone: 2026-11-22`), or both readings where one cannot
(`'01/11/2026'; ambiguous, …`).

Only ever called once a date has been refused, so none of it costs a valid request anything.
"""

from __future__ import annotations

import calendar
import re
from typing import Any

from policy_engine.domain.suggest import echoed_input
from policy_engine.domain.values import NOT_A_DATE, parse_iso_date

_OTHER_DAY = re.compile(r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})|([0-9]{4})([0-9]{2})([0-9]{2})")
"""A day written year first in another common form: 2026/11/01, 2026.11.01, 2026-1-5, 20261101."""

_YEAR_LAST = re.compile(r"([0-9]{1,2})([-/.])([0-9]{1,2})\2([0-9]{4})")
"""A day written with the year last, day or month first: 22/11/2026, 11/22/2026, 22.11.2026, 1-5-2026."""

_WITH_TIME = re.compile(r"(?i)(\S+?)(?:T|\s+)[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]{1,9})?)?\s*"
                        r"(Z|UTC|GMT|[+-][0-9]{2}(?::?[0-9]{2})?)?")
"""A day with a time of day after it, as serialisers write a timestamp (2026-11-22T00:00:00, 2026-11-22 10:30,
2026-11-21T16:00:00.000Z, 2026-11-22T08:00:00+08:00): the day, and the zone or offset when one is written."""
TIMED_AT_MOST = 64
"""Characters of a refused date read for a time of day: a longer one is no timestamp (and is not searched)."""


def _day_and_zone(text: str) -> tuple[str, str | None, bool]:
    """(the day part, the zone written after the time or None, whether a time was there) of a date and time;
    `text` itself, None and False for anything else."""
    if len(text) <= TIMED_AT_MOST and (match := _WITH_TIME.fullmatch(text.strip())):
        return match[1], match[2], True
    return text, None, False


def _readings(text: str) -> list[tuple[int, int, int]]:
    """The (year, month, day) a day written in another common form may be, whether or not it exists: one for year
    first (_OTHER_DAY); for year last (_YEAR_LAST) the day first and the month first reading, but only one where a
    part over 12 is the day (22/11/2026, 11/22/2026) or both parts are equal; none for anything else."""
    text = _day_and_zone(text)[0].strip()
    if match := _OTHER_DAY.fullmatch(text):
        return [(int(match[1]), int(match[3]), int(match[4])) if match[1] else
                (int(match[5]), int(match[6]), int(match[7]))]
    if (match := _YEAR_LAST.fullmatch(text)) is None:
        return []
    first, second, year = int(match[1]), int(match[3]), int(match[4])
    if first > 12 and second > 12:  # 31/31/2026: neither is a month
        return []
    if first > 12 or first == second:
        return [(year, second, first)]
    return [(year, first, second)] if second > 12 else [(year, second, first), (year, first, second)]


def iso_date_hint(text: str) -> str:
    """`; write 2026-11-22` for a day `parse_iso_date` refused that is written in another common form one can read
    one way only (year first as in _OTHER_DAY, or year last with a part over 12: 22/11/2026, 11/22/2026); for one
    that reads two ways (01/11/2026) both, said to be ambiguous, never one guessed at; "" for anything else. A day
    with a time after it (_WITH_TIME) is read by its day: `; write the date alone: 2026-11-22`, and where the time
    names its zone, that this is the day in that zone (a midnight in Shanghai sent in UTC reads as the day before)."""
    meant = []
    for year, month, day in _readings(text):
        try:
            meant.append(parse_iso_date(f"{year:04d}-{month:02d}-{day:02d}").isoformat())
        except ValueError:
            return ""
    if len(meant) == 2:
        day_first, month_first = meant
        return (f"; ambiguous (day or month first?): write {day_first} if the day comes first, {month_first} if the "
                "month does")
    if not meant:
        return ""
    _, zone, timed = _day_and_zone(text)
    if not timed:
        return f"; write {meant[0]}"
    if zone is None:
        return f"; write the date alone: {meant[0]}"
    where = "UTC" if zone.upper() in ("Z", "UTC", "GMT") else zone
    return f"; write the date alone: {meant[0]}, the day in the business's time zone (this one is the day at {where})"


def no_such_day(text: str) -> str:
    """`February 2026 has 28 days`, `there is no month 13`: why a day read one way only (as iso_date_hint reads it)
    is not in the calendar; "" when it is, or is not written so."""
    readings = _readings(text)
    if len(readings) != 1 or readings[0][0] < 1:  # year 0: no calendar.monthrange (parse_iso_date: "out of range")
        return ""
    year, month, day = readings[0]
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    last = calendar.monthrange(year, month)[1]
    return "" if 1 <= day <= last else f"{calendar.month_name[month]} {year} has {last} days"


NULL_DATE = "got null; write " + NOT_A_DATE.removeprefix("not ")
"""A JSON or YAML null where a date must be: said so (not "not an ISO date" with no value)."""


def refused_date(value: Any, why: str = NOT_A_DATE) -> str:
    """`no such day: 'value' (why not)` for a day not in the calendar (no_such_day), else `why: 'value'` and
    iso_date_hint's `; write …`; NULL_DATE for None; `why` alone for "" (`required: …`)."""
    if value is None:
        return NULL_DATE
    if value == "":
        return why
    shown, text = echoed_input(value)
    if lacking := no_such_day(text):
        return f"no such day: {shown} ({lacking})"
    return f"{why}: {shown}{iso_date_hint(text)}"
