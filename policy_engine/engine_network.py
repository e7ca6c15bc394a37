"""How full durable_rules' fixed-size node tables would be for a ruleset, counted before the core sees it.

The core (2.0.28, src/rules) builds one network per ruleset: a node per distinct comparison, shared by
every rule whose condition starts with the same comparisons (a trie). Each node keeps what follows it in
tables of fixed size (rules.h), and a full one is not refused but hangs or crashes:

- `NEXT_BUCKET_LENGTH 512` (rules.h:47): the distinct comparisons that follow a node (all but `$nex`), an
  open-addressed table probed from `hash & 0x1F` until an empty slot. Looking up a comparison that is not
  there (rete.c `findAlpha`, ~line 1001) never stops once all 512 are taken, so a 513th hangs
  `create_ruleset` holding the GIL; with exactly 512 the first match never returns (events.c ~1749).
  Measured: 511 compile in 11 ms and match; 512 and 513 were killed after 10 s.
- `BETA_LIST_LENGTH 256` (rules.h:49): the rules whose condition ends at one node (the same condition, or
  none, for one fact); with 257 the first match crashes the process (a segfault).
- `NEXT_LIST_LENGTH 128` (rules.h:48): the `$nex` comparisons and the `$or`s ending at one node; a 129th is
  refused (error 107) and the 128th is written past the end of the list.

We refuse well below each (BOUNDS). Our emitter puts the fact discriminator `_f` first, so one node per
fact (a stage, or one kind of the customer stage's rules: ir.fact_of) is followed by the first comparison of
each of its rules: there the 400 is counted across every file of that fact's
rules. One more fixed size is not a table but the stack a match walks the network on (64 entries);
engine_stack.py bounds the most a fact could push, and `overloads` reports it as `match_stack`.

And one is per rule: `MAX_SEQUENCE_EXPRESSIONS 32` (rete.h), the entries of a rule's expression sequence. Each
`$and` and `$or` of its condition writes two (rete.c `createAlpha`: an OP_AND or OP_OR, then an OP_END), and the
core refuses the ruleset (error 113, ERR_EXPRESSION_LIMIT_EXCEEDED) when the sequence reaches 32: at the 16th.
Measured: 15 in one rule compile, 16 are refused, whether chained, nested or branches of one `$or`; comparisons
add none (1,000 `$neq` and 14 `$or` compile), and each rule has a sequence of its own. It is a clean refusal, not a
hang, so we allow exactly the engine's 15 (`and_or_groups`), and say which rule.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from policy_engine.engine_stack import first_past

BOUNDS = {"branches": 400, "same_condition": 200, "absent_or_any": 100, "match_stack": 60, "and_or_groups": 15}
"""Entries we allow in each table of one node (cliffs: 512, 257 and 128), on the match stack (cliff: 65), and
`$and`/`$or` terms in one rule (cliff: 16).
The stack's margin is smaller: its count is exact (measured at the cliff for the shipped pack's worst customer),
and it is per fact: the shipped customer stage's warning signs reach 38, its scorecard rows 16, its follow-ups 6."""


@dataclass(frozen=True)
class Overload:
    """A node past a bound: the first rule that took it past, its table, the entries in all, the bound."""

    rule: str
    table: str
    count: int
    bound: int


class _Network:
    """The core's trie of comparisons, as far as its tables' fill goes."""

    def __init__(self) -> None:
        self._nodes: dict[tuple[int, str], int] = {}  # (parent, comparison as JSON) -> node
        self._fill: Counter[tuple[int, str]] = Counter()  # (node, table) -> entries
        self._first_over: dict[tuple[int, str], str] = {}
        self._ids = itertools.count(1)  # 0 is the root
        self.rule = ""

    def _new(self) -> int:
        return next(self._ids)

    def _add(self, node: int, table: str) -> None:
        self._fill[node, table] += 1
        if self._fill[node, table] > BOUNDS[table]:
            self._first_over.setdefault((node, table), self.rule)

    def build(self, term: dict[str, Any], parent: int) -> int:
        """The node a term ends at, from `parent` (as rete.c `createAlpha` links it)."""
        op, value = next(iter(term.items()))
        if op == "$and":
            for item in value:
                parent = self.build(item, parent)
            return parent
        if op == "$or":  # a fresh forward node, listed at each branch's end
            forward = self._new()
            for item in value:
                self._add(self.build(item, parent), "absent_or_any")
            return forward
        key = (parent, json.dumps(term, sort_keys=True))
        if key not in self._nodes:
            self._nodes[key] = self._new()
            self._add(parent, "absent_or_any" if op == "$nex" else "branches")
        return self._nodes[key]

    def overloads(self) -> list[Overload]:
        """Each node past a bound, at the first rule past it, with the node's final count."""
        return [Overload(rule, table, self._fill[node, table], BOUNDS[table])
                for (node, table), rule in self._first_over.items()]


def overloads(definition: dict[str, Any]) -> list[Overload]:
    """The nodes of a durable_rules ruleset definition (`{name: {"all": [{"m": term}]}}`) past BOUNDS, the
    match stack past its bound (its count: the peak of the rules sharing the first rule past's stage), and each
    rule with more `$and`/`$or` terms than the core takes."""
    network = _Network()
    for name, rule in definition.items():
        network.rule = name
        for part in rule["all"]:
            network._add(network.build(part["m"], 0), "same_condition")
    stack = first_past(definition, BOUNDS["match_stack"])
    past = [Overload(stack.rule, "match_stack", stack.count, BOUNDS["match_stack"])] if stack else []
    bound = BOUNDS["and_or_groups"]
    groups = [Overload(name, "and_or_groups", count, bound)
              for name, rule in definition.items() if (count := and_or_groups(rule)) > bound]
    return network.overloads() + past + groups


def and_or_groups(rule: dict[str, Any]) -> int:
    """The `$and` and `$or` terms of a rule definition, nested ones included (walked without recursion)."""
    count, todo = 0, [part["m"] for part in rule["all"]]
    while todo:
        op, value = next(iter(todo.pop().items()))
        if op in ("$and", "$or"):
            count += 1
            todo.extend(value)
    return count
