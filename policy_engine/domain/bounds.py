"""What a value beyond its bound says, in one form for every bounded field (ids and text, lists, term days,
counts, scores) wherever it comes in: the bound, then what was sent — `at most 64 characters, got 70:
'C0000001…'`, `at most 80 items, got 81`, `at most 3650, got 5000`, `at least 0, got -1`.

Only ever called once a value has been refused, so none of it costs a valid request anything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sized
from typing import Any

from policy_engine.domain.suggest import echoed_input
from policy_engine.domain.values import IDENTIFIER_PATTERN, MAX_ID_LENGTH, PATTERN_MESSAGES

BOUND_ERRORS = frozenset({"string_too_long", "too_long", "less_than_equal", "greater_than_equal", "less_than",
                          "greater_than"})
"""pydantic's error types for a value beyond its bound: their descriptions (beyond_bound) repeat the value."""

_BOUNDS = (("le", "at most"), ("ge", "at least"), ("lt", "less than"), ("gt", "more than"))


def too_long(text: str, limit: int) -> str:
    """`at most 64 characters, got 70: 'C00…'` (the text echoed, cut short when long)."""
    return f"at most {limit} characters, got {len(text)}: {echoed_input(text)[0]}"


def too_many(count: int, limit: int) -> str:
    """`at most 80 items, got 81` (a list is not repeated: its size is what was wrong)."""
    return f"at most {limit} items, got {count}"


def beyond_bound(kind: str, ctx: Mapping[str, Any], value: Any) -> str:
    """The description of a pydantic bound error (`kind` in BOUND_ERRORS, its `ctx` and `input`) in our words.
    Text is measured as the model measures it, with surrounding whitespace stripped."""
    if kind == "string_too_long":
        return too_long(value.strip() if isinstance(value, str) else str(value), ctx["max_length"])
    if kind == "too_long":
        return too_many(ctx.get("actual_length") or (len(value) if isinstance(value, Sized) else 0), ctx["max_length"])
    bound = next(f"{words} {ctx[key]}" for key, words in _BOUNDS if key in ctx)
    return f"{bound}, got {echoed_input(value)[0]}"


_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)


def id_problem(text: str) -> str:
    """What is wrong with an id as given, "" if nothing: longer than MAX_ID_LENGTH (the bound, then the id cut
    short) or holding a control or invisible character (which the id printed raw would act out: not echoed)."""
    if len(text) > MAX_ID_LENGTH:
        return too_long(text, MAX_ID_LENGTH)
    if not _IDENTIFIER.match(text):
        return PATTERN_MESSAGES[IDENTIFIER_PATTERN]
    return ""
