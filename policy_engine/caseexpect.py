"""What a rule test case expects: the expectation keys, the type and value each takes, and the grades,
outcomes, rules and actions it may name. A wrong one is a problem at its line: it would otherwise
fail whatever the rules decide, or pass whatever they decide.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, get_args

from policy_engine.domain.amounts import finite_text, refused_amount
from policy_engine.domain.dates import iso_date_hint, refused_date
from policy_engine.domain.models import Outcome
from policy_engine.domain.values import GRADE_CLASSES, GRADES, NOT_A_DECIMAL, parse_iso_date
from policy_engine.effects import FIXED_ACTION_CODES
from policy_engine.evaluator import Policy
from policy_engine.rules.loader import Document
from policy_engine.rules.numbers import not_finite
from policy_engine.rules.problems import Problem
from policy_engine.rules.schema import suggest

EXPECT_KEYS = frozenset(
    {
        "grade",
        "grade_class",
        "outcome",
        "credit_limit",
        "next_review_on",
        "limit_valid_until",
        "score_at_least",
        "score_below",
        "fired",
        "not_fired",
        "actions",
        "not_actions",
        "gather",
    }
)


@dataclass(frozen=True)
class Known:
    """What expectations may name: a value outside these can never match (and a `not_fired` or
    `not_actions` naming it could never fail)."""

    rule_ids: tuple[str, ...]
    action_codes: tuple[str, ...]
    gather_items: tuple[str, ...] = ()

    @classmethod
    def of(cls, policy: Policy) -> Known:
        """The rule ids, action codes and items to gather at a review of `policy`."""
        follow_ups = (r.spec.action for r in policy.program.rules if r.kind == "follow_up")
        items = (item.en for r in policy.program.rules if r.kind == "gather" for item in r.spec.gather)
        return cls(tuple(policy.rule_ids), tuple(dict.fromkeys([*FIXED_ACTION_CODES, *follow_ups])),
                   tuple(dict.fromkeys(items)))


_OUTCOMES: tuple[str, ...] = get_args(Outcome)


def checks_something(doc: Document, loc: tuple[Any, ...], label: str, case: dict[Any, Any],
                     problems: list[Problem]) -> None:  # fmt: skip
    """A case with no `expect`, an empty one, or one of empty lists only checks nothing: it would pass
    whatever the rules decide. Reported at the case's line. `gather: []` is no empty check: it pins that
    the review gathers nothing (a size no review_information row lists), and fails when it gathers items."""
    expect = case.get("expect")
    if "expect" not in case:
        problems.append(doc.problem(loc, "missing_field", f"case {label} checks nothing: it has no expect"))
    elif expect is None or expect == {}:
        problems.append(doc.problem(loc, "invalid_value", f"case {label} checks nothing: expect is empty"))
    elif isinstance(expect, dict) and set(expect) <= EXPECT_KEYS - {"gather"} and all(v == [] for v in expect.values()):
        message = f"case {label} checks nothing: every list in expect is empty"
        problems.append(doc.problem(loc, "invalid_value", message))


_TEXT_EXPECT = ("grade", "grade_class", "outcome", "next_review_on", "limit_valid_until")
_DATE_EXPECT = ("next_review_on", "limit_valid_until")
_NUMBER_EXPECT = ("score_at_least", "score_below")
_LIST_EXPECT = ("fired", "not_fired", "actions", "not_actions", "gather")


def check_expect(doc: Document, loc: tuple[Any, ...], expect: Any, problems: list[Problem], known: Known) -> None:
    """Each expectation has the type _compare needs (else it would crash instead of reporting), and
    names only grades, outcomes, rules and actions that exist (else it could never fail, or never pass)."""
    if not isinstance(expect, dict):
        problems.append(doc.problem(loc, "type_mismatch", "expect must be a mapping"))
        return
    for key, message, code, at in (*_wrong_types(expect), *_wrong_values(expect), *_unknown_names(expect, known)):
        problems.append(doc.problem((*loc, key, *at), code, f"expect.{key}: {message}"))


_Wrong = tuple[str, str, str, tuple[Any, ...]]
"""An expectation's problem: its key, the message, the code and where under the key (a list item's index)."""


def _wrong_types(expect: dict[Any, Any]) -> Iterator[_Wrong]:
    """The expectations not of the type their key takes, and a credit_limit that is no amount."""
    for key in _TEXT_EXPECT:
        if key in expect and not isinstance(expect[key], str):
            yield key, _not_text(key, expect[key]), "type_mismatch", ()
    for key in _NUMBER_EXPECT:
        if key in expect and (isinstance(expect[key], bool) or not isinstance(expect[key], int | float)):
            quoted = isinstance(expect[key], str) and finite_text(expect[key])
            hint = f" (a text because of the quotes: write {expect[key].strip()} without them)" if quoted else ""
            yield key, f"a number, got {_as_yaml(expect[key])}{hint}", "type_mismatch", ()
    for key in _LIST_EXPECT:
        if key in expect and not (isinstance(expect[key], list) and all(isinstance(x, str) for x in expect[key])):
            what = "items" if key == "gather" else "ids"
            yield key, f"a list of {what}, got {_as_yaml(expect[key])}", "type_mismatch", ()
    limit = expect.get("credit_limit")
    if isinstance(limit, float) and math.isfinite(limit):  # .nan and .inf: _value_problem says they are no amount
        yield "credit_limit", _float_money(limit), "type_mismatch", ()
    elif "credit_limit" in expect:
        try:
            Decimal(str(expect["credit_limit"]))
        except ArithmeticError:  # echoed with what to write, as a case's input amounts are
            yield "credit_limit", in_case(refused_amount(expect["credit_limit"])), "type_mismatch", ()


def _wrong_values(expect: dict[Any, Any]) -> Iterator[_Wrong]:
    """The amounts, days and scores of the right type that no decision could match, or every one would."""
    for key in ("credit_limit", *_DATE_EXPECT, *_NUMBER_EXPECT):
        wrong = _value_problem(key, expect[key]) if key in expect else None
        if wrong:
            yield key, wrong, "invalid_value", ()


def _unknown_names(expect: dict[Any, Any], known: Known) -> Iterator[_Wrong]:
    """The grades, grade classes, outcomes, rules and actions named that do not exist."""
    for key, what, options in (("grade", "grade", GRADES), ("grade_class", "grade class", GRADE_CLASSES),
                               ("outcome", "outcome", _OUTCOMES)):  # fmt: skip
        value = expect.get(key)
        if isinstance(value, str) and value not in options:
            yield key, f"no {what} {value!r}{suggest(value, list(options))}", "invalid_value", ()
    for key, what, options in (("fired", "rule", known.rule_ids), ("not_fired", "rule", known.rule_ids),
                               ("actions", "action", known.action_codes),
                               ("not_actions", "action", known.action_codes),
                               ("gather", "item", known.gather_items)):  # fmt: skip
        items = expect.get(key)
        for i, item in enumerate(items if isinstance(items, list) else []):
            # A non-text item is already reported as the wrong type.
            if isinstance(item, str) and item not in options:
                yield key, f"no {what} {item!r}{suggest(item, list(options))}", "invalid_value", (i,)


_AMOUNT_TO_WRITE = re.compile(rf"^(.*{re.escape(NOT_A_DECIMAL)}.*; write )([0-9].*)$")
_EACH_READING = re.compile(r"(^|, or )(-?[0-9]+(?:\.[0-9]+)?)")


def in_case(message: str) -> str:
    """A refused amount's `; write 1000.00` as a case writes it: `write "1000.00"` (YAML reads 1000.00 as a float,
    which a case's money refuses), every reading of `12,500` or `1.000,50` quoted alike (amounts.readings)."""
    def quoted(match: re.Match[str]) -> str:
        each = _EACH_READING.sub(lambda m: f'{m[1]}"{m[2]}"', match[2])
        return f"{match[1]}{each} (money in a case is a decimal string: in quotes)"

    return _AMOUNT_TO_WRITE.sub(quoted, message)


def _float_money(value: float) -> str:
    """A limit written with a point and no quotes: YAML reads a binary float, not always the amount written (a
    limit of 9999999999999999.99 reads as 1e+16), so it is refused, showing what was read, as snapshot money is."""
    return (f"a number with a point: YAML reads {value!r}, a binary float, not always the amount written; write "
            'the amount in quotes, such as "350000.00" (money in a case is a decimal string)')


def _not_text(key: str, value: Any) -> str:
    """`a text, got 20261101`, and for a day YAML read as a number (`next_review_on: 20261101`) what to write,
    as for the day of any case (dates.iso_date_hint)."""
    hint = iso_date_hint(str(value)) if key in _DATE_EXPECT and type(value) is int else ""
    return f"a text, got {_as_yaml(value)}{hint}"


def _as_yaml(value: Any) -> str:
    """A value as the case file wrote it: `null` (or nothing after the colon) for None, `true` for True, not
    Python's `None` and `True`."""
    if value is None:
        return "null (nothing after the colon)"
    return str(value).lower() if isinstance(value, bool) else repr(value)


def _value_problem(key: str, value: Any) -> str | None:
    """What is wrong with the value of an expectation of the right type (a wrong type is reported
    apart): `score_below: .nan` held for every decision, so the case passed whatever the rules
    decided; `credit_limit: .nan` and `next_review_on: 2027/02/01` held for none, and the case failed
    saying "expected 2027/02/01, got 2027-02-01"."""
    if key in _NUMBER_EXPECT and isinstance(value, float) and not math.isfinite(value):
        return f"{not_finite(value)}; write a score from 0 to 100"
    if key == "credit_limit":
        try:
            finite = Decimal(str(value)).is_finite()
        except ArithmeticError:
            return None
        return None if finite else f'{value!r} is not an amount; write one such as "350000.00"'
    if key in _DATE_EXPECT and isinstance(value, str):
        try:
            parse_iso_date(value)
        except ValueError as exc:
            return refused_date(value, str(exc))
    return None
