"""The most entries durable_rules' match stack could hold for any fact, computed from a ruleset definition.

The core (2.0.28, src/rules/events.c `handleAlpha`) walks the network of one fact's match depth first on a
stack of MAX_STACK_SIZE 64 node pointers. Visiting a node pops it and pushes, all at once, every successor
that holds for the fact: each `$nex` whose field the fact lacks, each `$or`'s continuation once per branch
that ends here, then each comparison that holds. The last pushed is visited next, so the successors of every
node on the path from the root wait below it. A push onto 64 entries fails the match with error 303. So the
peak is, along the worst path, the sum over its nodes of (successors that hold - 1), plus 1; past 64 it
fails. Measured (child processes): 64 holding after the stage pass and 65 fail, whether they are thresholds
on one field, one comparison on each of 65 fields, `$or` branches or `$nex`; 36 holding, each followed by 30
holding, fail (35 + 30) and 35 pass (34 + 30); a deep successor fails only when it is visited first.

The stack is the fact's: each fact of one assert is matched on its own, from the root. Our emitter starts every
rule with `_f == <fact>` and `_f` takes one value per fact, so the peak of a definition is the largest of its
facts' (the customer stage's kinds each match their own fact: ir.fact_of). Measured with the shipped rules and
threshold warning signs added, on a customer holding most: as one customer fact, 22 added pass and 23 fail;
as a fact per kind, the warning signs' fact takes 42 added and fails at 43.

We bound it without the core and without a fact: comparisons on one field hold together at most as many as
their intervals overlap at one value (`gte 10`, `gte 20` overlap; `between` bands and `eq` values do not);
fields are independent; a comparison we cannot read is taken to hold. Which successor is visited first is
taken to be the worst.
"""

from __future__ import annotations

import bisect
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

CLIFF = 64
"""events.c MAX_STACK_SIZE: the entries the match stack holds."""
_ORDERED = {"$lt", "$lte", "$gt", "$gte"}


@dataclass(eq=False)
class _Node:
    """One node of the core's network: its comparisons (a trie), `$nex` ones, and `$or` continuations."""

    comparisons: dict[str, _Node] = field(default_factory=dict)
    continuations: list[_Node] = field(default_factory=list)


def _build(term: dict[str, Any], parent: _Node) -> _Node:
    """The node a term ends at, from `parent` (as rete.c `createAlpha` links it)."""
    op, value = next(iter(term.items()))
    if op == "$and":
        for item in value:
            parent = _build(item, parent)
        return parent
    if op == "$or":  # a fresh forward node, pushed at each branch's end
        forward = _Node()
        for item in value:
            _build(item, parent).continuations.append(forward)
        return forward
    return parent.comparisons.setdefault(json.dumps(term, sort_keys=True), _Node())


def _interval(op: str, value: float) -> tuple[float, bool, float, bool]:
    """(low, low included, high, high included) of the numbers where `field op value` holds."""
    return {"$lt": (-math.inf, False, value, False), "$lte": (-math.inf, False, value, True),
            "$gt": (value, False, math.inf, False), "$gte": (value, True, math.inf, False),
            "eq": (value, True, value, True)}[op]


def _overlap(intervals: list[tuple[float, bool, float, bool]]) -> int:
    """The most intervals holding at one number: tried at each end, and between and beyond the ends."""
    ends = sorted({v for lo, _, hi, _ in intervals for v in (lo, hi) if math.isfinite(v)})
    points = [*ends, *((a + b) / 2 for a, b in zip(ends, ends[1:], strict=False))]
    points += [ends[0] - 1, ends[-1] + 1] if ends else [0.0]
    # An interval holds at x when it has started (low < x, or = x included) and not ended (high < x, or = x
    # excluded): two counts by bisection, since every interval starts before it ends.
    starts = sorted((lo, not included) for lo, included, _, _ in intervals)
    stops = sorted((hi, included) for _, _, hi, included in intervals)
    return max(bisect.bisect_right(starts, (x, False)) - bisect.bisect_left(stops, (x, True)) for x in points)


def _field_most(terms: list[tuple[str, Any]]) -> int:
    """The most of one field's comparisons (op, value) holding for one fact: absent, or one value present."""
    absent = sum(op == "$nex" for op, _ in terms)
    anything = 0  # hold for many values: `$neq`, `$ex`, and what we cannot read
    numbers: list[tuple[float, bool, float, bool]] = []
    points: defaultdict[str, int] = defaultdict(int)  # `eq` a string or boolean: they exclude each other
    for op, value in terms:
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if op in _ORDERED | {"eq"} and is_number:
            numbers.append(_interval(op, float(value)))
        elif op == "eq" and isinstance(value, str | bool):
            points[json.dumps(value)] += 1
        elif op != "$nex":
            anything += 1
    present = anything + max(_overlap(numbers) if numbers else 0, max(points.values(), default=0))
    return max(absent, present)


def _most_holding(node: _Node) -> int:
    """The most of a node's successors that could be pushed at once for one fact."""
    by_field: defaultdict[str, list[tuple[str, Any]]] = defaultdict(list)
    for text in node.comparisons:
        op, value = next(iter(json.loads(text).items()))
        if op.startswith("$") and isinstance(value, dict) and len(value) == 1:
            name, value = next(iter(value.items()))
        else:
            op, name = "eq", op
        by_field[name].append((op, value))
    return len(node.continuations) + sum(_field_most(terms) for terms in by_field.values())


def _peak(root: _Node) -> int:
    """The most entries on the stack while `root`'s successors are visited (it popped, from its pending).

    Walked with a stack of our own, successors before the node: a rule's comparisons are a chain of nodes
    (a `not_in` of 100 is 100 of them, one after another), and the engine takes chains of tens of
    thousands that Python's recursion limit (1,000 frames) would not."""
    memo: dict[int, int] = {}
    todo: list[tuple[_Node, bool]] = [(root, False)]
    while todo:
        node, ready = todo.pop()
        if id(node) in memo:
            continue
        successors = (*node.comparisons.values(), *node.continuations)
        if not ready:  # come back to it once every successor's peak is known
            todo.append((node, True))
            todo.extend((n, False) for n in successors if id(n) not in memo)
            continue
        held = _most_holding(node)
        memo[id(node)] = 0 if held == 0 else held - 1 + max([1, *(memo[id(n)] for n in successors)])
    return memo[id(root)]


def stack_peak(definition: dict[str, Any]) -> int:
    """The most entries a match on this ruleset definition (`{name: {"all": [{"m": term}]}}`) could push."""
    root = _Node()
    for rule in definition.values():
        for part in rule["all"]:
            _build(part["m"], root)
    return max(1, _peak(root))


@dataclass(frozen=True)
class StackOverload:
    """The first rule (in order) past the bound, and the peak of the rules sharing its first comparison."""

    rule: str
    count: int


def first_past(definition: dict[str, Any], bound: int) -> StackOverload | None:
    """The first rule whose addition takes the stack's peak past `bound`, if any (the peak only grows)."""
    names = list(definition)
    if stack_peak(definition) <= bound:
        return None
    low, high = 0, len(names)  # the peak of names[:low] is within the bound; of names[:high], past it
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if stack_peak({n: definition[n] for n in names[:middle]}) <= bound else (low, middle)
    rule = names[high - 1]
    lead = _lead(definition[rule])
    return StackOverload(rule, stack_peak({n: d for n, d in definition.items() if _lead(d) == lead}))


def _lead(rule: dict[str, Any]) -> str:
    """A rule's first comparison (our emitter's fact discriminator `_f`), as JSON."""
    term = rule["all"][0]["m"]
    return json.dumps(term["$and"][0] if "$and" in term else term, sort_keys=True)
