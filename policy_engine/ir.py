"""The compiled form of a policy, shared by the compiler (which builds it) and the evaluator (which runs it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from policy_engine.features import FeatureSettings

STAGES = ("customer", "invoice", "rating", "profile", "order")
"""Facts the evaluator asserts, in order; each rule kind matches facts of one stage."""


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
    money_fields: frozenset[str] = frozenset()
    engine_keys: dict[str, str] = field(default_factory=dict)
    """Catalogue field name → the property name facts carry in the engine (see engine.short_keys)."""
