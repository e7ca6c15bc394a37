"""Asking the engine which rules fire: a stage's context → the facts its rules read → hits in file order.

`Policy` (evaluator.py) is built on `PolicyMatching`, which holds the compiled policy's engine ruleset
and, per fact, the fields its rules use; the evaluator applies what the hits declare.
"""

from __future__ import annotations

from typing import Any

from policy_engine.domain.errors import EngineFailure, EngineUnavailable
from policy_engine.engine import EngineClosed, EngineError, Ruleset
from policy_engine.ir import CompiledRule, Program


class PolicyMatching:
    """A compiled policy's engine ruleset and the facts each stage sends it. Thread-safe (the engine is locked)."""

    program: Program

    def __init__(self, program: Program):
        self._order_of = {rule.name: rule.order for rule in program.rules}
        if [r.order for r in program.rules] != list(range(len(program.rules))):
            raise ValueError("compiled rules must be numbered in file order")  # _match relies on it
        self._ruleset = Ruleset(f"credit_policy_{program.version}", program.definition)
        keys = program.engine_keys
        # Per fact (`_f` value): (field name, engine key, is money) for every field its rules read.
        self._fields = {
            fact: tuple((n, keys.get(n, n), n in program.money_fields) for n in names)
            for fact, names in program.fact_fields.items()
        }
        # The same split for _fact: (field name, engine key) of plain fields, then of money fields.
        self._fact_fields = {
            fact: (
                tuple((n, k) for n, k, money in fields if not money),
                tuple((n, k) for n, k, money in fields if money),
            )
            for fact, fields in self._fields.items()
        }
        self._stage_facts = program.stage_facts
        self._stage_of = {fact: stage for stage, facts in program.stage_facts.items() for fact in facts}

    def close(self) -> None:
        """Release the engine ruleset (after a reload has swapped this policy out)."""
        self._ruleset.close()

    @property
    def engine_broken(self) -> str | None:
        """Why repeated engine failures closed this policy's ruleset for good (None while it works):
        every later evaluation fails, and the memory of the abandoned engine rulesets is only given
        back with the process, so whoever runs the policy replaces it (a worker or server process
        exits to be restarted; a batch worker recompiles a bounded number of times)."""
        return self._ruleset.broken

    def _fact(
        self, fact: str, context: dict[str, Any], fact_id: int, outer: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The fact (`_f` value) some of a stage's rules see: only the fields they use, numbers as numbers."""
        out: dict[str, Any] = {"id": fact_id, "_f": fact}
        plain, money = self._fact_fields.get(fact, ((), ()))
        get = context.get if outer is None else _Layered(context, outer).get
        for name, key in plain:
            value = get(name)
            if value is not None:
                out[key] = value
        for name, key in money:
            value = get(name)
            if value is not None:
                out[key] = float(value)  # Decimal → JSON number: the engine compares numbers
        return out

    def _facts(self, stage: str, context: dict[str, Any]) -> list[dict[str, Any]]:
        """A stage's facts, ids 0, 1, …: one, or one per kind of rule in a per-kind stage (ir.fact_of)."""
        return [self._fact(fact, context, i) for i, fact in enumerate(self._stage_facts.get(stage, ()))]

    def _match(self, facts: list[dict[str, Any]], shared: int = 1) -> list[tuple[CompiledRule, int]]:
        """(rule, 0) for the hits on the first `shared` facts (one customer's, ids 0 … shared - 1), then
        (rule, i) for the hits on the fact with id shared - 1 + i; each fact's in file order."""
        try:
            hits = self._ruleset.match(facts)
        except EngineClosed as exc:
            raise EngineUnavailable(str(exc)) from exc
        except EngineError as exc:
            raise _failure(exc, *dict.fromkeys(self._stage_of[f["_f"]] for f in facts)) from exc
        order_of, rules, last = self._order_of, self.program.rules, shared - 1
        # A rule whose condition has `any` can fire once per matching branch: count it once (the set).
        # Sorted by fact, then file order; pairs of ints sort without a key function.
        found = {(fid - last if fid > last else 0, order_of[name]) for name, fid in hits}
        return [(rules[order], fid) for fid, order in sorted(found)]

    def match_stage(self, stage: str, context: dict[str, Any]) -> list[CompiledRule]:
        """The rules of `stage` that fire for `context`, in file order."""
        facts = self._facts(stage, context)
        return [rule for rule, _ in self._match(facts, len(facts))] if facts else []


def _failure(exc: EngineError, *stages: str) -> EngineFailure:
    """A failed match, naming the stages matched (the log and a batch's quarantine reason say which)."""
    return EngineFailure(f"matching the {' and '.join(stages)} stage{'s' if len(stages) > 1 else ''}: {exc}")


class _Layered:
    """An invoice fact's values: the invoice's own, else the customer's (`get` only)."""

    __slots__ = ("inner", "outer")

    def __init__(self, inner: dict[str, Any], outer: dict[str, Any]):
        self.inner, self.outer = inner, outer

    def get(self, name: str) -> Any:
        value = self.inner.get(name)
        return self.outer.get(name) if value is None else value
