"""What each rule of a compiled policy is, for people: the table GetPolicy's `rules` and `credit-policy rules` show.

A decision's reasons and actions name a rule by its id (`warn.pays_late`); this says which file holds it,
on which line, what it is called and which handbook passage it encodes, without reading the YAML again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RuleRow:
    """One rule: its id, its file's kind, where it is, its titles, the passage it cites and the code it gives."""

    id: str
    kind: str
    file: str
    line: int
    title_en: str
    title_zh: str
    source: str
    code: str


def rule_rows(policy: Any) -> tuple[RuleRow, ...]:
    """The rules of a compiled policy, in the order of its `rule_ids`; none for a policy without a program."""
    program = getattr(policy, "program", None)
    return tuple(_row(rule) for rule in getattr(program, "rules", ()))


def _row(rule: Any) -> RuleRow:
    title = rule.spec.title
    return RuleRow(rule.id, rule.file_kind, rule.file, rule.line, str(title.en), str(title.zh),
                   str(rule.spec.source), rule.code)
