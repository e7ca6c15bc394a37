"""`credit-policy rules [RULES]`: each rule's id, file kind, file:line and title, as GetPolicy's `rules` has them."""

from __future__ import annotations

from collections.abc import Sequence

import typer

from policy_engine.cli.core import RulesAlso, RulesArgument, load_or_exit, rules_dir
from policy_engine.rule_table import RuleRow, rule_rows


def rules(rules: RulesArgument = None, rules_option: RulesAlso = None) -> None:
    """List every rule with its file kind, file:line and title (English, then Chinese), in the engine's order."""
    policy = load_or_exit(rules_dir(rules, rules_option), refused="rules refused: {problems}")
    try:
        for line in rule_lines(rule_rows(policy)):
            typer.echo(line)
    finally:
        policy.close()


def rule_lines(rows: Sequence[RuleRow]) -> list[str]:
    """One line per rule, `id  kind  file:line  title (标题)`, each column as wide as its longest entry."""
    if not rows:
        return []
    wheres = [f"{row.file}:{row.line}" for row in rows]
    id_w = max(len(row.id) for row in rows)
    kind_w = max(len(row.kind) for row in rows)
    where_w = max(map(len, wheres))
    return [f"{row.id:{id_w}}  {row.kind:{kind_w}}  {where:{where_w}}  {row.title_en} ({row.title_zh})"
            for row, where in zip(rows, wheres, strict=True)]
