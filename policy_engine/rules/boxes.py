"""Static analysis of conditions: one that is an and of simple comparisons forms a "box" (an interval or a
set of values per field), which never_fires, shadowed and the band checks (analysis.py) compare."""

from __future__ import annotations

from typing import Any

from policy_engine.domain.values import GRADE_RANK, GRADES
from policy_engine.rules.condition_nodes import GRADE_FIELDS, Cmp, Group, Node, is_number

Interval = tuple[float, bool, float, bool]  # low, low included, high, high included
INF = float("inf")


def box_of(node: Node | None) -> dict[str, Any] | None:
    """{field: Interval | frozenset} when the condition is an and of simple comparisons, else None."""
    if node is None:
        return {}
    items = node.items if isinstance(node, Group) and node.op == "all" else (node,)
    box: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, Cmp):
            return None
        constraint = _constraint(item)
        if constraint is None:
            return None
        key = item.field
        box[key] = _intersect(box[key], constraint) if key in box else constraint
    return box


def _constraint(c: Cmp) -> Any:
    v = c.value
    if c.field in GRADE_FIELDS:
        ranks = {g: GRADE_RANK[g] for g in GRADES}
        sets = {
            "eq": {v},
            "in": set(v) if isinstance(v, list) else None,
            "ne": set(GRADES) - {v},
            "not_in": set(GRADES) - set(v) if isinstance(v, list) else None,
            "at_least": {g for g in GRADES if ranks[g] <= ranks.get(v, 0)},
            "at_most": {g for g in GRADES if ranks[g] >= ranks.get(v, 10)},
        }
        s = sets.get(c.op)
        return frozenset(s) if s is not None else None
    if isinstance(v, str | bool) or (isinstance(v, list) and v and isinstance(v[0], str | bool)):
        if c.op == "eq":
            return frozenset({v})
        if c.op == "in" and isinstance(v, list):
            return frozenset(v)
        return None
    table: dict[str, Interval | None] = {
        "lt": (-INF, False, v, False) if is_number(v) else None,
        "lte": (-INF, False, v, True) if is_number(v) else None,
        "gt": (v, False, INF, False) if is_number(v) else None,
        "gte": (v, True, INF, False) if is_number(v) else None,
        "eq": (v, True, v, True) if is_number(v) else None,
        "between": (v[0], True, v[1], False) if isinstance(v, list) else None,
    }
    return table.get(c.op)


def _intersect(a: Any, b: Any) -> Any:
    if isinstance(a, frozenset) or isinstance(b, frozenset):
        return (a & b) if isinstance(a, frozenset) and isinstance(b, frozenset) else frozenset()
    lo, lo_in = max((a[0], a[1]), (b[0], b[1]), key=lambda x: (x[0], not x[1]))
    hi, hi_in = min((a[2], a[3]), (b[2], b[3]), key=lambda x: (x[0], x[1]))
    return (lo, lo_in, hi, hi_in)


def is_empty(constraint: Any) -> bool:
    """True when no value satisfies the constraint."""
    if isinstance(constraint, frozenset):
        return not constraint
    lo, lo_in, hi, hi_in = constraint
    return lo > hi or (lo == hi and not (lo_in and hi_in))


def box_contains(outer: dict[str, Any], inner: dict[str, Any]) -> bool:
    """Every value satisfying `inner` satisfies `outer`."""
    for name, c in outer.items():
        if name not in inner:
            return False
        i = inner[name]
        if isinstance(c, frozenset):
            if not isinstance(i, frozenset) or not i <= c:
                return False
            continue
        if isinstance(i, frozenset):
            return False
        lo_ok = c[0] < i[0] or (c[0] == i[0] and (c[1] or not i[1]))
        hi_ok = c[2] > i[2] or (c[2] == i[2] and (c[3] or not i[3]))
        if not (lo_ok and hi_ok):
            return False
    return True
