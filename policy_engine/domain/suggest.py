"""What to write instead of a value outside a closed set (signal codes, grades, sizes, statuses, currencies).

Only ever called once a value has been refused, so none of it costs a valid request anything.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection
from datetime import date
from typing import Any

LISTED_AT_MOST = 30
"""Allowed values spelled out in one message at most (the signal vocabulary has 21: all of them fit)."""

ECHOED_AT_MOST = 64
"""Characters of a refused value repeated back; a longer one is no typo of a short code, so it gets no suggestion."""


def _folded(text: str) -> str:
    return text.strip().casefold().replace("-", "_").replace(" ", "_")


def close_choices(value: str, choices: Collection[str], *, fuzzy: bool = True) -> list[str]:
    """The allowed values `value` was probably meant to be: the one it equals but for case, `-` or
    spaces, else (with `fuzzy`) those difflib rates closest, at 0.6 or more (ties all kept; none when
    they are every choice there is, which would tell nothing)."""
    if len(value) > ECHOED_AT_MOST:
        return []
    by_folded = {_folded(choice): choice for choice in choices}
    folded = _folded(value)
    if folded in by_folded:
        return [by_folded[folded]]
    if not fuzzy:
        return []
    ratings = {f: _rating(folded, f) for f in by_folded}
    best = max(ratings.values(), default=0.0)
    close = [by_folded[f] for f, rating in ratings.items() if rating >= 0.6 and rating == best]
    return close if len(close) < len(by_folded) else []


NOTCH_SIGNS = "+-"
"""Signs written after a grade for a notch within it (`BBB+`, `A-`), as rating agencies do; our nine grades have
none."""


def meant_choice(value: str, choices: Collection[str]) -> str | None:
    """The one allowed value `value` was meant to be, case ignored: the one it equals but for `-`, spaces or a notch
    sign after it (`Bbb+` is BBB), else the one closest by spelling; None when two are as close (`bA`: A or B?),
    which is no answer to give."""
    bare = value.strip().rstrip(NOTCH_SIGNS).strip()
    close = (close_choices(bare, choices, fuzzy=False) if bare else []) or close_choices(value, choices)
    return close[0] if len(close) == 1 else None


def _rating(value: str, choice: str) -> float:
    """difflib's ratio of the two, or 0.0 where its cheap upper bounds already fall short of the 0.6 a suggestion
    needs: rated in full against every choice, a snapshot's 1,000 refused signal codes cost ~0.75 s."""
    matcher = difflib.SequenceMatcher(None, value, choice)
    if matcher.real_quick_ratio() < 0.6 or matcher.quick_ratio() < 0.6:
        return 0.0
    return matcher.ratio()


def did_you_mean(close: list[str]) -> str:
    """`did you mean 'a'?` / `did you mean 'a' or 'b'?`, or "" when nothing is close."""
    if not close:
        return ""
    quoted = [repr(choice) for choice in close]
    return "did you mean " + (", ".join(quoted[:-1]) + " or " if len(quoted) > 1 else "") + quoted[-1] + "?"


def echoed(value: str) -> str:
    """A refused value as a message repeats it: quoted, and cut short if it is long."""
    return repr(value if len(value) <= ECHOED_AT_MOST else value[:ECHOED_AT_MOST] + "…")


def quoted(value: str) -> str:
    """A text a message names in double quotes (`"HOLDS" is not one of …`), cut short if it is long: one line a
    person reads, not the megabyte a rule file may hold in one value."""
    return f'"{value if len(value) <= ECHOED_AT_MOST else value[:ECHOED_AT_MOST] + "…"}"'


def echoed_input(value: Any) -> tuple[str, str]:
    """(as a message repeats it, as text) for a refused input of any type: text quoted (echoed), a date as its
    ISO text quoted, anything else (`as_of: 20261101` is a number to YAML, and JSON may hold one) as written."""
    if isinstance(value, str):
        return echoed(value), value
    if isinstance(value, date):  # a stored day out of range
        return echoed(value.isoformat()), value.isoformat()
    text = str(value)
    return (text if len(text) <= ECHOED_AT_MOST else text[:ECHOED_AT_MOST] + "…"), text


def unknown_choice(what: str, value: str, choices: Collection[str]) -> str:
    """`unknown signal code 'x'; did you mean 'y'?`, or, with nothing close, the allowed values listed
    (after `required` when it is empty: proto3 sends "" for a field left out)."""
    message = f"unknown {what} {echoed(value)}" if value.strip() else "required"
    if hint := did_you_mean(close_choices(value, choices)):
        return f"{message}; {hint}"
    listed = ", ".join(list(choices)[:LISTED_AT_MOST])
    more = f", … ({len(choices)} in all)" if len(choices) > LISTED_AT_MOST else ""
    return f"{message}; expected one of: {listed}{more}"
