"""Emit a parsed condition (condition_nodes.py) as durable_rules JSON terms, and name the fields it looks at.

The engine implements the semantics: a comparison on a field the customer has no value for is false,
and `not` is pushed down to the comparisons (De Morgan), so it stays false there too.
"""

from __future__ import annotations

from typing import Any

from policy_engine.domain.values import GRADE_RANK
from policy_engine.features import SIGNAL_FIELDS
from policy_engine.rules.condition_nodes import Cmp, Group, Node

_NEGATE = {"lt": "gte", "lte": "gt", "gt": "lte", "gte": "lt", "eq": "ne", "ne": "eq"}
_DURABLE = {"lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte", "ne": "$neq"}


def referenced_fields(node: Node | None) -> set[str]:
    """Every field (as sent to the engine) a condition looks at."""
    if node is None:
        return set()
    if isinstance(node, Cmp):
        return {_engine_field(node)}
    return set().union(*(referenced_fields(i) for i in node.items))


def _engine_field(cmp: Cmp) -> str:
    return f"{cmp.field}_rank" if cmp.op in ("at_least", "at_most") else cmp.field


def to_durable(node: Node | None, negate: bool = False) -> list[dict[str, Any]]:
    """The condition as a list of durable_rules terms to be and-ed (empty: always true)."""
    if node is None:
        return []
    if isinstance(node, Group):
        if node.op == "not":
            return to_durable(node.items[0], not negate)
        if (node.op == "all") != negate:  # one flat and: the engine chains its terms alike, nested or not, but
            return [t for item in node.items for t in to_durable(item, negate)]  # counts each and (engine_network)
        return [{"$or": [_single(to_durable(item, negate)) for item in node.items]}]
    return _cmp_terms(node, negate)


def _single(terms: list[dict[str, Any]]) -> dict[str, Any]:
    return terms[0] if len(terms) == 1 else {"$and": terms}


def _term(op: str, name: str, value: Any) -> dict[str, Any]:
    return {name: value} if op == "eq" else {_DURABLE[op]: {name: value}}


def _cmp_terms(c: Cmp, negate: bool) -> list[dict[str, Any]]:
    name, op, value = c.field, c.op, c.value
    if name in SIGNAL_FIELDS:
        return _flag_terms(name, op, value, negate)
    if op == "exists":
        present = bool(value) != negate
        return [{"$ex" if present else "$nex": {name: 1}}]
    if op in ("at_least", "at_most"):
        op, value, name = ("lte" if op == "at_least" else "gte"), GRADE_RANK[value], f"{name}_rank"
    if op == "between":
        lo, hi = value
        if negate:
            return [{"$or": [_term("lt", name, lo), _term("gte", name, hi)]}]
        return [_term("gte", name, lo), _term("lt", name, hi)]
    if op in ("in", "not_in"):
        member = (op == "in") != negate
        terms = [_term("eq" if member else "ne", name, v) for v in value]
        if member:
            return [terms[0] if len(terms) == 1 else {"$or": terms}]
        return terms
    return [_term(_NEGATE[op] if negate else op, name, value)]


def _flag_terms(name: str, op: str, value: Any, negate: bool) -> list[dict[str, Any]]:
    """A flag sent only when true: `true` is presence, `false` is absence; it is never unknown."""
    if op == "exists":
        return [] if bool(value) != negate else [{"$ex": {"_never": 1}}]
    wanted = (op == "eq") == bool(value)
    return [{name: True}] if wanted != negate else [{"$nex": {name: 1}}]
