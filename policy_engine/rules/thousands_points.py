"""A number whose point may separate thousands (`floor: 1.000`, `{gt: 250.000}`): YAML reads 1.0 and 250.0, a floor a
thousand times too small, and the float alone cannot tell. The text as written can (the loader keeps it:
Document.points), and where the place takes both readings lint says so, as a warning (`thousands_point`).

A warning, not an error: `1.500` may be meant (a multiple written to three places), and the rule set that holds it is
as valid as the one that holds 1.5; `lint --strict` fails on it for CI, as on `likely_percent`. It is said only where
the place takes the thousands reading as well (money, a count, days: not a share, a score or a ratio, whose 1000 is
out of range, so `share_of_net_worth: 0.300` or `{current_ratio: {gte: 1.500}}` say nothing) and the digits end in 0,
so that the decimal has a shorter form to write that says nothing (`1.5`): `2.125` is written as exactly as either.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

from policy_engine.domain.amounts import Reading, point_readings, written
from policy_engine.domain.models import CustomerSnapshot, OrderRequest
from policy_engine.domain.values import FLOAT_MONEY
from policy_engine.features import FieldSpec
from policy_engine.rules.field_ranges import field_bounds
from policy_engine.rules.problems import Problem
from policy_engine.rules.schema_problems import named_path, setting_at

THOUSANDS_POINT = "thousands_point"
Loc = tuple[Any, ...]


def point_message(text: str, takes: Callable[[float], bool], whole: bool = False) -> str | None:
    """`1.000 is read as 1.0 …; write 1000 if the point separates thousands, or 1.0 if the point is a decimal point`,
    where `text` ends in 0 and the place `takes` both readings; else None. `whole`: a count, whose 1.0 is written 1."""
    found = point_readings(text)
    if not found or not text.endswith("0") or not all(takes(float(plain)) for plain, _ in found):
        return None
    if whole:
        found = (found[0], (found[1][0].removesuffix(".0"), found[1][1]))
    return _both_readings(text, found, written(found))


def _both_readings(text: str, found: tuple[Reading, ...], to_write: str) -> str:
    return (f"{text} is read as {found[1][0]} (in YAML a point is a decimal point), but may be {found[0][0]} with a "
            f"point between thousands, as much of Europe writes it; write {to_write}")


def case_money_said(said: str, text: str | None) -> str:
    """`said`, a case's bare money refused (`…: 1.0`), naming both readings where it was written `1.000` (`text`):
    `1.000 is read as 1.0 …, but may be 1000 …; write "1000" if …, or "1.0" if …`; else `said` as it is."""
    head, refused, _ = said.rpartition(f"{FLOAT_MONEY}: ")
    found = point_readings(text) if text is not None and refused else ()
    if not found:
        return said
    quoted = ", or ".join(f'"{plain}" {why}'.rstrip() for plain, why in found)
    in_quotes = " (money in a case is a decimal string: in quotes)"
    return f"{head}{refused}{_both_readings(text or '', found, quoted)}{in_quotes}"


def setting_warnings(doc: Any, model: type[BaseModel]) -> list[Problem]:
    """A `thousands_point` warning at each number setting of `doc` (a file of `model`) written so; a condition's
    threshold is the Checker's (threshold_warnings), which knows its field."""
    warnings = []
    for loc, text in doc.points.items():
        setting = None if "when" in loc else setting_at(model, loc)
        message = point_message(text, setting.allows) if setting is not None else None
        if message is not None:
            warnings.append(doc.problem(loc, THOUSANDS_POINT, f"{named_path(doc.data, loc)}: {message}"))
    return warnings


def threshold_warnings(spec: FieldSpec, op: str, loc: Loc, points: Mapping[Loc, str],
                       problem: Callable[[Loc, str, str], Problem]) -> list[Problem]:  # fmt: skip
    """A `thousands_point` warning at each threshold under the comparison at `loc` (`{gt: 1.000}`, `{in: [1.000]}`,
    shorthand `{field: 1.000}`) written so, where `spec`'s range and realistic range take both readings."""
    return [problem(at, THOUSANDS_POINT, f'"{spec.name}" {op}: {message}') for at, text in points.items()
            if at[: len(loc)] == loc and (message := point_message(text, lambda x: _in_range(spec, x))) is not None]


_CASE_PARTS: dict[str, type[BaseModel]] = {"snapshot": CustomerSnapshot, "order": OrderRequest}


def case_warnings(docs: list[Any]) -> list[Problem]:
    """A `thousands_point` warning at each number of a case's snapshot or order, or of a fixture, written so where
    its field takes both readings (`payment_term_days: 1.000`, which the snapshot read as 1 day). A fixture's is said
    once, at the fixture. Money is a decimal string in a case, refused bare: its problem says so."""
    warnings = []
    for doc in docs:
        for loc, text in doc.points.items():
            label, model, inner = _case_place(doc.data, loc)
            setting = setting_at(model, inner) if model is not None and inner else None
            message = point_message(text, setting.allows, setting.whole) if setting is not None else None
            if message is not None:
                path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in inner).lstrip(".")
                warnings.append(doc.problem(loc, THOUSANDS_POINT, f"{label}{path}: {message}"))
    return warnings


def _case_place(data: Any, loc: Loc) -> tuple[str, type[BaseModel] | None, Loc]:
    """(`case ID: snapshot.` or `fixture NAME: `, the model of the part `loc` is in, `loc` within it)."""
    if len(loc) > 3 and loc[0] == "cases" and loc[2] in _CASE_PARTS:
        case = data["cases"][loc[1]]
        return f"case {case.get('id', loc[1])}: {loc[2]}.", _CASE_PARTS[loc[2]], loc[3:]
    if len(loc) > 2 and loc[0] == "fixtures":
        return f"fixture {loc[1]}: ", CustomerSnapshot, loc[2:]
    return "", None, ()


def _in_range(spec: FieldSpec, number: float) -> bool:
    """Whether `number` is within the field's bounds and, where it has one, its realistic range (a ratio's 0 to 10)."""
    low, high = field_bounds(spec) or (-math.inf, math.inf)
    real_low, real_high = spec.realistic or (-math.inf, math.inf)
    return max(low, real_low) <= number <= min(high, real_high)
