"""Conditions: parse the YAML form and type-check it against a scope (condition_emit.py emits them).

Semantics, which the engine implements: a comparison on a field the customer has no value for is
false, and `not` is pushed down to the comparisons (De Morgan), so it stays false there too.

The parsed form (Cmp, Group) is in condition_nodes.py, the box analysis in boxes.py and the emitter in
condition_emit.py; their names are importable from here as before.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from policy_engine.domain.suggest import quoted
from policy_engine.domain.values import SIGNAL_CODES
from policy_engine.features import FieldSpec
from policy_engine.rules.boxes import INF as INF
from policy_engine.rules.boxes import Interval as Interval
from policy_engine.rules.boxes import box_contains as box_contains
from policy_engine.rules.boxes import box_of as box_of
from policy_engine.rules.boxes import is_empty as is_empty
from policy_engine.rules.condition_emit import referenced_fields as referenced_fields
from policy_engine.rules.condition_emit import to_durable as to_durable
from policy_engine.rules.condition_nodes import GRADE_FIELDS as GRADE_FIELDS
from policy_engine.rules.condition_nodes import Cmp as Cmp
from policy_engine.rules.condition_nodes import Group as Group
from policy_engine.rules.condition_nodes import Loc as Loc
from policy_engine.rules.condition_nodes import Node as Node
from policy_engine.rules.condition_nodes import is_number
from policy_engine.rules.echo_yaml import as_written
from policy_engine.rules.field_ranges import out_of_range
from policy_engine.rules.numbers import between_order, split_number
from policy_engine.rules.problems import Problem
from policy_engine.rules.schema import suggest
from policy_engine.rules.scopes import not_available
from policy_engine.rules.thousands_points import threshold_warnings
from policy_engine.rules.threshold_words import number_hint
from policy_engine.rules.whole_percents import likely_percents, whole_percents
from policy_engine.rules.yes_no import not_true_false

NUMERIC_OPS = ("eq", "ne", "lt", "lte", "gt", "gte", "between", "in", "not_in", "exists")
ENUM_OPS = ("eq", "ne", "in", "not_in", "exists")
GRADE_OPS = ENUM_OPS + ("at_least", "at_most")
BOOL_OPS = ("eq", "ne", "exists")
ALL_OPS = frozenset(NUMERIC_OPS + GRADE_OPS)
OPERATOR_SPELLINGS = {
    ">": "gt", ">=": "gte", "<": "lt", "<=": "lte", "=": "eq", "==": "eq", "!=": "ne", "<>": "ne",
    "greater_than": "gt", "more_than": "gt", "above": "gt", "over": "gt", "exceeds": "gt",
    "less_than": "lt", "fewer_than": "lt", "below": "lt", "under": "lt",
    "greater_or_equal": "gte", "ge": "gte", "min": "gte", "at_least": "gte", "not_less_than": "gte",
    "no_less_than": "gte", "less_or_equal": "lte", "le": "lte", "max": "lte", "at_most": "lte",
    "not_more_than": "lte", "no_more_than": "lte",
    "equals": "eq", "equal": "eq", "is": "eq", "not_equal": "ne", "not_equals": "ne", "not": "ne", "isnt": "ne",
    "is_not": "ne", "range": "between", "one_of": "in", "not_one_of": "not_in",
    "less_than_or_equal": "lte", "less_than_or_equal_to": "lte", "less_or_equal_to": "lte", "lt_or_eq": "lte",
    "greater_than_or_equal": "gte", "greater_than_or_equal_to": "gte", "greater_or_equal_to": "gte",
    "more_than_or_equal": "gte", "gt_or_eq": "gte", "equal_to": "eq", "not_equal_to": "ne",
    "greater": "gt", "more": "gt", "larger": "gt", "bigger": "gt", "higher": "gt", "exceeding": "gt",
    "larger_than": "gt", "bigger_than": "gt", "higher_than": "gt",
    "less": "lt", "lesser": "lt", "fewer": "lt", "smaller": "lt", "lower": "lt",
    "smaller_than": "lt", "lower_than": "lt", "lesser_than": "lt",
    "greater_equal": "gte", "less_equal": "lte",
}  # fmt: skip
"""Other ways to write an operator, for the did-you-mean of an unknown one (or of a grade's `at_least` on a number).
Only words with one reading: `up_to` may or may not take its number in, so it gets the list, not a guess. Keys are
written in English throughout the rule files, so Chinese words (大于, 不超过) are not looked for here. A comparison word
alone (`greater`, `less`) reads as its `_than`: before, `less` was matched by spelling to `exists`, `greater` to
`gte`."""
_SPELLINGS_RUN_TOGETHER = {word.replace("_", ""): op for word, op in OPERATOR_SPELLINGS.items()}
"""The same words written without their underscores, or in camel case: `lessthan`, `greaterThanOrEqual`."""
_COMBINATORS = ("all", "any", "not", "signal")
MAX_LIST_ITEMS = 100
"""The most values an `in` or `not_in` list takes: each is a comparison of its own in the engine."""


@dataclass
class Checker:
    """Parses and type-checks conditions of one file against the fields its rule kind can see."""

    scope: dict[str, FieldSpec]
    catalogue: dict[str, FieldSpec]
    problem: Any  # Callable[[Loc, str, str], Problem]
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    """What is probably a slip but may be meant (`likely_percent`): said, never a reason to refuse the rules."""
    kind: str = ""
    """The rule kind (scopes.KIND_WORDS), named when a field is not available to it."""
    points: Mapping[Loc, str] = field(default_factory=dict)
    """Thresholds whose point may separate thousands, as written (Document.points): `thousands_point` warnings."""

    def parse(self, raw: Any, loc: Loc) -> Node | None:
        """Parse `raw` (the value of a rule's `when`); None means always true."""
        if raw is None:
            return None
        return self._node(raw, loc)

    def _err(self, loc: Loc, code: str, message: str) -> None:
        self.problems.append(self.problem(loc, code, message))

    def _node(self, raw: Any, loc: Loc) -> Node | None:
        if not isinstance(raw, dict) or len(raw) != 1:
            keys = list(raw) if isinstance(raw, dict) else []
            stray = [k for k in keys if k not in self.catalogue and k not in _COMBINATORS]
            hint = (f'; "{stray[0]}" is no field a condition compares: if it belongs to the rule, move it out of '
                    f'"when", in line with it') if stray and loc[-1] == "when" else ""
            self._err(loc, "type_mismatch", "a condition is a mapping with exactly one key" + hint)
            return None
        ((key, value),) = raw.items()
        here = (*loc, key)
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                self._err(here, "type_mismatch", f"`{key}` takes a non-empty list of conditions")
                return None
            items = [self._node(item, (*here, i)) for i, item in enumerate(value)]
            return Group(key, tuple(i for i in items if i is not None), here)
        if key == "not":
            inner = self._node(value, here)
            return Group("not", (inner,), here) if inner is not None else None
        if key == "signal":
            if value not in SIGNAL_CODES:
                hint = suggest(str(value), list(SIGNAL_CODES)) or (
                    f": staff record only the signs {', '.join(SIGNAL_CODES)} (credit-policy fields lists them as "
                    "signal_…); a new sign must be added to that vocabulary first, or write the condition on a field")
                self._err(here, "invalid_value", f"unknown signal {as_written(value)}{hint}")
                return None
            return self._compare(f"signal_{value}", {"eq": True}, here)
        return self._compare(key, value, here)

    def _compare(self, name: str, value: Any, loc: Loc) -> Node | None:
        spec = self.scope.get(name)
        if spec is None:
            if name in self.catalogue:
                self._err(loc, "field_not_available", not_available(name, self.kind, self.scope))
            else:
                hint = suggest(name, list(self.scope) + list(_COMBINATORS))
                self._err(loc, "unknown_feature", f"unknown field {quoted(name)}{hint}")
            return None
        if not isinstance(value, dict):
            value = {"eq": value}
        if len(value) != 1:
            split = next((f"; {s}" for k in list(value)[1:] if (s := split_number(value, (k,)))), "")
            self._err(loc, "bad_operator", "a comparison has exactly one operator, e.g. {gt: 30}" + split)
            return None
        ((op, operand),) = value.items()
        allowed = self._ops(spec)
        if op not in allowed:
            self._err((*loc, op), "bad_operator", _operator_problem(op, spec, allowed))
            return None
        if not self._operand_ok(spec, op, operand, (*loc, op)):
            return None
        if self.points:
            self.warnings += threshold_warnings(spec, op, loc, self.points, self.problem)
        return Cmp(name, op, operand, (*loc, op))

    @staticmethod
    def _ops(spec: FieldSpec) -> tuple[str, ...]:
        if spec.type in ("number", "integer"):
            return NUMERIC_OPS
        if spec.type == "boolean":
            return BOOL_OPS
        return GRADE_OPS if spec.name in GRADE_FIELDS else ENUM_OPS

    def _operand_ok(self, spec: FieldSpec, op: str, operand: Any, loc: Loc) -> bool:
        if not self._operand_typed(spec, op, operand, loc):
            return False
        # `lte: 10` for 10 % of a share: always true, never what was meant; `gte: 80` of a utilisation, 80 times over
        slips = out_of_range(spec, op, operand) or whole_percents(spec, op, operand)
        for where, message in slips:
            self._err((*loc, *where), "invalid_value", message)
        for where, message in [] if slips else likely_percents(spec, op, operand):
            self.warnings.append(self.problem((*loc, *where), "likely_percent", message))
        return not slips

    def _operand_typed(self, spec: FieldSpec, op: str, operand: Any, loc: Loc) -> bool:
        if op == "exists":
            return self._expect(isinstance(operand, bool), loc, "`exists` takes true or false")
        if op == "between":
            ok = isinstance(operand, list) and len(operand) == 2
            if not self._expect(ok, loc, "`between` takes [low, high] numbers (low included, high excluded)"):
                return False
            ends = [self._scalar_ok(spec, x, (*loc, i)) for i, x in enumerate(operand)]  # each end reported
            if not all(ends):
                return False
            return self._expect(operand[0] < operand[1], loc, between_order(spec.name, *operand), "invalid_value")
        if op in ("in", "not_in"):
            if not self._expect(isinstance(operand, list) and len(operand) > 0, loc, f"`{op}` takes a non-empty list"):
                return False
            if len(operand) > MAX_LIST_ITEMS:  # of the right type, as a schema list too long is
                return self._expect(False, loc, _too_many_items(spec.name, op, len(operand)), "invalid_value")
            return all(self._scalar_ok(spec, x, (*loc, i)) for i, x in enumerate(operand))
        return self._scalar_ok(spec, operand, loc)

    def _scalar_ok(self, spec: FieldSpec, value: Any, loc: Loc) -> bool:
        # The messages are written only for a value refused: as_written writes YAML (~0.3 ms), and a rule set
        # compares ~200 values that pass (written eagerly, it cost every load ~60 ms).
        if spec.type in ("number", "integer"):
            if not is_number(value):
                message = f'"{spec.name}" is a number; got {as_written(value)}{number_hint(value, spec, self.scope)}'
                return self._expect(False, loc, message)
            return self._finite(spec, value, loc)
        if spec.type == "boolean":
            return isinstance(value, bool) or self._expect(False, loc, not_true_false(spec.name, value))
        if not isinstance(value, str):
            said = f'"{spec.name}" takes one of {", ".join(spec.values)}; got {as_written(value)}'
            return self._expect(False, loc, said)
        ok = value in spec.values
        hint = suggest(value, list(spec.values))
        message = f'{quoted(value)} is not a value of "{spec.name}" (one of {", ".join(spec.values)}){hint}'
        return self._expect(ok, loc, message, "invalid_value")

    def _finite(self, spec: FieldSpec, value: float, loc: Loc) -> bool:
        """YAML's .nan and .inf are numbers to the parser; as thresholds they compare false with
        everything (.nan), or are refused by the engine (.inf), so each is one problem here."""
        if math.isfinite(value):
            return True
        spelt = ".nan" if math.isnan(value) else ".inf" if value > 0 else "-.inf"
        what = "not a number" if math.isnan(value) else "not a finite number"
        return self._expect(False, loc, f'"{spec.name}": {spelt} is {what}', "invalid_value")

    def _expect(self, ok: bool, loc: Loc, message: str, code: str = "type_mismatch") -> bool:
        if not ok:
            self._err(loc, code, message)
        return ok


def _too_many_items(name: str, op: str, count: int) -> str:
    """An `in` or `not_in` list past MAX_LIST_ITEMS: the bound, the count, and how to write the values in lists."""
    head = f"`{op}` takes at most {MAX_LIST_ITEMS} items; this list has {count}: write the rest in another list,"
    if op == "not_in":
        return f"{head} all: [{{{name}: {{not_in: [...]}}}}, {{{name}: {{not_in: [...]}}}}]"
    return f"{head} any: [{{{name}: {{in: [...]}}}}, {{{name}: {{in: [...]}}}}] (or values in a range as one `between`)"


def _operator_problem(op: Any, spec: FieldSpec, allowed: tuple[str, ...]) -> str:
    """An operator `spec` cannot take: one of another type's, or unknown; either with the one meant, if sure."""
    words = str(op).strip().lower().replace("'", "").replace(" ", "_").replace("-", "_")
    meant = OPERATOR_SPELLINGS.get(words) or _SPELLINGS_RUN_TOGETHER.get(words.replace("_", ""))
    if op in ALL_OPS:
        hint = f' — did you mean "{meant}"?' if meant in allowed else ""
        return f'"{op}" cannot compare "{spec.name}", which is {_values_of(spec)}; it takes {", ".join(allowed)}{hint}'
    # a word whose meaning is known but which this field cannot take gets the list: by its spelling, `less` is `exists`
    hint = f' — did you mean "{meant}"?' if meant in allowed else "" if meant else suggest(str(op), list(allowed))
    return f'unknown operator "{op}"; expected one of {", ".join(allowed)}{hint}'


def _values_of(spec: FieldSpec) -> str:
    """The values a field takes, in staff's words rather than its type's (`enum`)."""
    if spec.type == "enum":
        return f"one of {', '.join(spec.values)}"
    return {"boolean": "true or false", "integer": "a whole number"}.get(spec.type, "a number")
