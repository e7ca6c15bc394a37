"""The compiled form of a policy, shared by the compiler (which builds it) and the evaluator (which runs it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from policy_engine.features import FeatureSettings

STAGES = ("customer", "invoice", "rating", "profile", "order")
"""The stages the evaluator matches, in order; each rule kind matches facts of one stage."""

PER_KIND_STAGES = frozenset({"customer"})
"""Stages whose rule kinds each match a fact of their own, in one engine call: each fact has its own match
stack (64) and its own 252 fields, so the customer stage's scorecard rows, warning signs and follow-ups do
not share one (engine_stack.py)."""


def fact_of(stage: str, kind: str) -> str:
    """The fact (its `_f` value) that rules of `kind` in `stage` match: one per kind in a per-kind stage."""
    return f"{stage}.{kind}" if stage in PER_KIND_STAGES else stage


@dataclass(frozen=True)
class CompiledRule:
    """One rule as the engine knows it (`name`) and as people know it (`id`)."""

    name: str
    id: str
    kind: str
    stage: str
    table: str
    order: int
    fields: tuple[str, ...]
    spec: Any
    where: str = ""
    code: str = ""
    message: str = ""
    file: str = ""
    """The rule file holding it, relative to the rules directory (`where` is as problems print it)."""
    line: int = 0
    file_kind: str = ""
    """Its file's `kind` (warning_signs, scorecard, …); `kind` is the rule's own (warning, score_row, …)."""

    @property
    def fact(self) -> str:
        """The fact this rule matches (its `_f` value): see `fact_of`."""
        return fact_of(self.stage, self.kind)

    @property
    def title(self) -> str:
        """The English title, used in messages."""
        return str(self.spec.title.en)


@dataclass
class Program:
    """Everything the evaluator needs: rules by stage, their parameters, and the engine definition."""

    version: str
    files: dict[str, str]
    rules: list[CompiledRule]
    definition: dict[str, Any]
    settings: FeatureSettings
    kinds: dict[str, Any]
    stage_fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Per stage: every field its rules read (the union of its facts' fields)."""
    fact_fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Per fact (`_f` value): the fields its rules read, which is all that fact carries."""
    stage_facts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Per stage: the facts it asserts, in the order of their first rules (one, but for PER_KIND_STAGES)."""
    money_fields: frozenset[str] = frozenset()
    engine_keys: dict[str, str] = field(default_factory=dict)
    """Catalogue field name → the property name facts carry in the engine (see engine_terms.short_keys)."""
    warnings: tuple[Any, ...] = ()
    """Lint's warnings (rules.problems.Problem, each `path:line:col: code: message`): probable slips that do not
    refuse the rule set, such as a ratio's threshold written as a percentage (`likely_percent`)."""
