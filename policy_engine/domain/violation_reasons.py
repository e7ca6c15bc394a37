"""The stable reason of a field violation (`REQUIRED`, `NOT_A_DATE`, …): what a program reads where people
read the description. The vocabulary is small and only grows; docs/service.md lists it."""

from __future__ import annotations

from typing import Any

REQUIRED = "REQUIRED"
NOT_A_DECIMAL = "NOT_A_DECIMAL"
NOT_A_DATE = "NOT_A_DATE"
OUT_OF_RANGE = "OUT_OF_RANGE"
TOO_LONG = "TOO_LONG"
TOO_MANY = "TOO_MANY"
UNKNOWN_VALUE = "UNKNOWN_VALUE"
UNKNOWN_FIELD = "UNKNOWN_FIELD"
BAD_CHARACTERS = "BAD_CHARACTERS"
WRONG_TYPE = "WRONG_TYPE"
DUPLICATE = "DUPLICATE"
INCONSISTENT = "INCONSISTENT"
WRONG_WIRE_TYPE = "WRONG_WIRE_TYPE"
BOTH_SET = "BOTH_SET"
NOT_A_MESSAGE = "NOT_A_MESSAGE"
INVALID = "INVALID"
"""The fallback: a refusal no other reason names (its description says what is wrong)."""

VOCABULARY = frozenset({REQUIRED, NOT_A_DECIMAL, NOT_A_DATE, OUT_OF_RANGE, TOO_LONG, TOO_MANY, UNKNOWN_VALUE,
                        UNKNOWN_FIELD, BAD_CHARACTERS, WRONG_TYPE, DUPLICATE, INCONSISTENT, WRONG_WIRE_TYPE,
                        BOTH_SET, NOT_A_MESSAGE, INVALID})

CONTEXT_KEY = "violation_reason"
"""Where a custom pydantic error (PydanticCustomError's context) names its reason; an unusual name, since the
context's keys are also substituted into the message's `{…}` placeholders."""

_OF_KIND = {
    "missing": REQUIRED, "extra_forbidden": UNKNOWN_FIELD, "literal_error": UNKNOWN_VALUE,
    "string_too_long": TOO_LONG, "too_long": TOO_MANY, "less_than_equal": OUT_OF_RANGE,
    "greater_than_equal": OUT_OF_RANGE, "less_than": OUT_OF_RANGE, "greater_than": OUT_OF_RANGE,
    "int_parsing": WRONG_TYPE, "int_type": WRONG_TYPE, "int_from_float": WRONG_TYPE, "string_type": WRONG_TYPE,
    "list_type": WRONG_TYPE, "model_type": WRONG_TYPE, "dict_type": WRONG_TYPE, "bool_type": WRONG_TYPE,
    "bool_parsing": WRONG_TYPE, "string_pattern_mismatch": BAD_CHARACTERS,
}
"""pydantic's error type → reason, for fields that are no amount or date."""


def reason_of_pydantic_error(kind: str, ctx: dict[str, Any], currency: bool) -> str:
    """The reason of a pydantic error of type `kind` with context `ctx` (`currency`: a currency code's pattern
    refused it, which means an unknown code rather than a stray character)."""
    if CONTEXT_KEY in ctx:
        return str(ctx[CONTEXT_KEY])
    if kind == "string_too_short":
        return REQUIRED if ctx.get("min_length") == 1 else OUT_OF_RANGE  # min 1: an id sent empty
    if currency:
        return UNKNOWN_VALUE
    return _OF_KIND.get(kind, INVALID)


def amount_or_date_reason(wanted: str, required: frozenset[str], out_of_range: frozenset[str], date: bool) -> str:
    """The reason of a refused amount or date whose description starts from the message `wanted`."""
    if wanted in required:
        return REQUIRED
    if wanted in out_of_range:
        return OUT_OF_RANGE
    return NOT_A_DATE if date else NOT_A_DECIMAL
