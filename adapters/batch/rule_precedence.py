"""The rules a candidate moves within a table where order decides (simulate): in a first-hit table the first matching
row wins, so moving a row changes what decides though no rule's content changes.

A rule's precedence is its place among the rules of its table that decide before it when both match: those above it
in a first-hit table; in a `priority` table those of higher priority, then those of the same priority above it. A
collect table (warning signs, follow-ups) has none: every match counts, in any order. Of the rules in a table on both
sides, the moved ones are the fewest whose moves explain the new order (the others keep theirs among themselves), and
each says which rules it now decides before and after. A rule in another table (a scorecard row under another factor)
moved too. Where a table's `hit` changed, the setting says so (simulate_settings.py), not its rows.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, NamedTuple


class Place(NamedTuple):
    """Where a rule stands: its table, its row there (1 = first, in file order), how its table's matches combine,
    and the key that orders the rules of its table by who decides first."""

    table: str
    row: int
    hit: str
    key: tuple[int, int]


def places(policy: Any) -> dict[str, Place]:
    """Per rule id: where it stands in its table."""
    rows: Counter[str] = Counter()
    out: dict[str, Place] = {}
    for rule in policy.program.rules:  # in file order
        rows[rule.table] += 1
        hit = _hit(policy.program.kinds.get(rule.file_kind))
        priority = int(getattr(rule.spec, "priority", 0)) if hit == "priority" else 0
        out[rule.id] = Place(rule.table, rows[rule.table], hit, (-priority, rows[rule.table]))
    return out


def _hit(model: Any) -> str:
    """How a file kind's matches combine: `first`, `priority` or `collect` (a scorecard's factors are first-hit)."""
    if isinstance(model, list):  # the kinds that may span several files collect
        model = model[0] if model else None
    return str(getattr(model, "hit", "first"))


def moved_rules(live: Any, cand: Any) -> dict[str, dict[str, Any]]:
    """Per moved rule id: `table` and `row` ([live, candidate]), `now_before` and `now_after`: the rules of its table
    it now decides before, or after, that it did not (in the candidate's order)."""
    before, after = places(live), places(cand)
    common = set(before) & set(after)
    moved: dict[str, dict[str, Any]] = {}
    for rule_id in sorted(common):
        if before[rule_id].table != after[rule_id].table and "collect" not in (before[rule_id].hit, after[rule_id].hit):
            moved[rule_id] = _row(before[rule_id], after[rule_id], [], [])
    tables = {p.table for p in before.values() if p.hit != "collect"}
    for table in sorted(tables):
        ids = [i for i in common if before[i].table == after[i].table == table and before[i].hit == after[i].hit]
        live_order = sorted(ids, key=lambda i: before[i].key)
        cand_order = sorted(ids, key=lambda i: after[i].key)
        kept = set(_common_order(live_order, cand_order))
        for rule_id in (i for i in live_order if i not in kept):
            ahead_live = set(live_order[:live_order.index(rule_id)])
            ahead_cand = cand_order[:cand_order.index(rule_id)]
            now_before = [i for i in cand_order if i in ahead_live and i not in ahead_cand]
            now_after = [i for i in ahead_cand if i not in ahead_live]
            moved[rule_id] = _row(before[rule_id], after[rule_id], now_before, now_after)
    return moved


def _row(live: Place, cand: Place, now_before: list[str], now_after: list[str]) -> dict[str, Any]:
    return {"table": [live.table, cand.table], "row": [live.row, cand.row], "now_before": now_before,
            "now_after": now_after}  # fmt: skip


def _common_order(live: list[str], cand: list[str]) -> list[str]:
    """The longest run of rules in the same order on both sides (a longest common subsequence); of equal ones, the
    one keeping the rules that came first live, so that a swap of two rows reads as the lower one moved up."""
    n, m = len(live), len(cand)
    longest = [[0] * (m + 1) for _ in range(n + 1)]  # longest[i][j]: of live[i:] and cand[j:]; tables hold ≤ 100 rows
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            longest[i][j] = (longest[i + 1][j + 1] + 1 if live[i] == cand[j]
                             else max(longest[i + 1][j], longest[i][j + 1]))  # fmt: skip
    kept, i, j = [], 0, 0
    while i < n and j < m:
        if live[i] == cand[j]:
            kept.append(live[i])
            i, j = i + 1, j + 1
        elif longest[i][j + 1] >= longest[i + 1][j]:
            j += 1
        else:
            i += 1
    return kept
