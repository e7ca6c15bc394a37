"""A parsed condition: comparisons of one field with a constant, combined by all / any / not. The checker
(conditions.py) builds them; the emitter (condition_emit.py) and the static analysis (boxes.py) read them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Loc = tuple[str | int, ...]
GRADE_FIELDS = frozenset({"grade", "base_grade", "current_grade"})


@dataclass(frozen=True)
class Cmp:
    """A comparison of one field with a constant."""

    field: str
    op: str
    value: Any
    loc: Loc


@dataclass(frozen=True)
class Group:
    """all / any / not of sub-conditions."""

    op: str  # "all" | "any" | "not"
    items: tuple[Node, ...]
    loc: Loc


Node = Cmp | Group


def is_number(value: Any) -> bool:
    """An int or a float, not a bool (YAML's true is no threshold)."""
    return isinstance(value, int | float) and not isinstance(value, bool)
