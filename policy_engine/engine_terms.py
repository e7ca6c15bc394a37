"""The durable_rules definition language as plain data: terms, rules on one fact, short property keys,
and the JSON text its core reads. No call into durable_rules here (engine.py makes those)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_NUMBER_WITHOUT_POINT = re.compile(r'"(?:[^"\\]|\\.)*"|(?<![\d.])(-?\d+)([eE][+-]?\d+)')
"""A JSON string (kept as it is), or a number with an exponent and no point in its mantissa."""


def engine_json(text: str) -> str:
    """JSON text as durable_rules reads it: `2e-6` → `2.0e-6` (see engine.py's docstring). Both
    encoders always sign the exponent, so text without `e-`/`e+` has no such number (~0.1 µs)."""
    if "e-" not in text and "e+" not in text:
        return text
    return _NUMBER_WITHOUT_POINT.sub(
        lambda m: m.group(0) if m.group(1) is None else f"{m.group(1)}.0{m.group(2)}", text)


def short_keys(names: Iterable[str]) -> dict[str, str]:
    """A short engine property name for every field name: `k0`, `k1`, … in sorted order."""
    return {name: f"k{i}" for i, name in enumerate(sorted(set(names)))}


def rename_properties(term: Any, keys: dict[str, str]) -> Any:
    """A rule definition (or term) with field names replaced by their engine keys.

    durable_rules terms are `{name: value}` (equality), `{"$op": {name: value}}` and
    `{"$and"|"$or": [terms]}`; names not in `keys` (the `_f` discriminator) are kept.
    """
    if isinstance(term, list):
        return [rename_properties(t, keys) for t in term]
    if not isinstance(term, dict):
        return term
    out: dict[str, Any] = {}
    for key, value in term.items():
        if key.startswith("$") or key in ("all", "any", "m"):
            out[key] = rename_properties(value, keys)
        else:
            out[keys[key] if key in keys else key] = value
    return out


def term_eq(name: str, value: Any) -> dict[str, Any]:
    """The durable_rules term `name == value` (used for the stage discriminator)."""
    return {name: value}


def rule_definition(terms: list[dict[str, Any]]) -> dict[str, Any]:
    """A durable_rules rule matching one fact on the and of `terms`."""
    condition = terms[0] if len(terms) == 1 else {"$and": terms}
    return {"all": [{"m": condition}]}
