"""The condition problems of a rule file that failed its schema, so one lint run reports them beside it."""

from __future__ import annotations

from typing import Any

from policy_engine.features import FEATURE_BY_NAME
from policy_engine.rules.conditions import Checker
from policy_engine.rules.loader import Document
from policy_engine.rules.problems import Problem
from policy_engine.rules.scopes import KIND_TABLES, all_scope_fields, scope_for


class _RawView:
    """Attribute access to the parsed YAML of a file that failed its schema, so that KIND_TABLES can
    find its rules (`model.rules[i]`) as it does in a validated model."""

    __slots__ = ("data",)

    def __init__(self, data: Any):
        self.data = data

    def __getattr__(self, name: str) -> Any:
        if not isinstance(self.data, dict) or name not in self.data:
            raise AttributeError(name)
        value = self.data[name]
        if isinstance(value, list):
            return [_RawView(v) for v in value]
        return _RawView(value) if isinstance(value, dict) else value


def raw_condition_problems(doc: Document) -> list[Problem]:
    """The condition problems of a file that failed its schema (as far as its rules can be found)."""
    data = doc.data
    kind = data.get("kind") if isinstance(data, dict) else None
    tables = KIND_TABLES.get(kind) if isinstance(kind, str) else None
    problems: list[Problem] = []
    if tables is None:
        return problems
    catalogue = dict(FEATURE_BY_NAME, **all_scope_fields())
    try:
        for _table, stage, kind, loc, spec in tables(_RawView(data)):
            raw = spec.data if isinstance(spec, _RawView) else None
            if isinstance(raw, dict) and raw.get("when") is not None:
                checker = Checker(scope_for(stage), catalogue, doc.problem, kind=kind)
                checker.parse(raw["when"], (*loc, "when"))
                problems += checker.problems
    except (AttributeError, TypeError):  # a table that is not a list of mappings: its schema problem says so
        pass
    return problems
