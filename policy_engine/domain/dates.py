"""What a refused date says, in one form wherever a date comes in (a command's option, a snapshot file, a gRPC
request, a rule test case, an imported row): `no such day: '2026-02-30' (February 2026 has 28 days)` for a day
the calendar does not have, else why it was refused, the value, and what to write where one can tell
(`not an ISO date (YYYY-MM-DD): '2026/11/01'; write 2026-11-01`).

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


def _year_month_day(text: str) -> tuple[int, int, int] | None:
    """The year, month and day of a day written year first (ISO or _OTHER_DAY), whether or not it exists."""
    match = _OTHER_DAY.fullmatch(text.strip())
    if match is None:
        return None
    return (int(match[1]), int(match[3]), int(match[4])) if match[1] else (int(match[5]), int(match[6]), int(match[7]))


def iso_date_hint(text: str) -> str:
    """`; write 2026-11-01` for a day `parse_iso_date` refused that is written year first in another common
    form (_OTHER_DAY); "" for anything else: a day or month first (01/11/2026) is not guessed at."""
    parts = _year_month_day(text)
    if parts is None:
        return ""
    try:
        meant = parse_iso_date(f"{parts[0]:04d}-{parts[1]:02d}-{parts[2]:02d}")
    except ValueError:
        return ""
    return f"; write {meant.isoformat()}"


def no_such_day(text: str) -> str:
    """`February 2026 has 28 days`, `there is no month 13`: why a day written year first (as iso_date_hint reads
    it) is not in the calendar; "" when it is, or is not written so."""
    parts = _year_month_day(text)
    if parts is None or parts[0] < 1:  # year 0: no calendar.monthrange (parse_iso_date says "out of range")
        return ""
    year, month, day = parts
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
