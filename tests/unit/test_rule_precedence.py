"""A candidate that only moves rules: a row moved within a first-hit table is `moved` (the fewest rules whose moves
explain the new order, each with the rules it now decides before or after), a scorecard row under another factor
too; a reorder of a collect table, or across priorities in a priority table, decides nothing and is not a move.
Real copies of rules/ in tmp dirs, loaded as simulate loads them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.batch.rule_precedence import moved_rules
from adapters.batch.simulate_rules import changed_rules
from policy_engine.api import load_policy
from tests.rule_copies import RULES, Edit, edited_rules, moved

PROMPT, MOSTLY = "      - id: score.character.prompt", "      - id: score.character.mostly_prompt"
SHORT, MEDIUM, LONG = "  - id: collect.short_term", "  - id: collect.medium_term", "  - id: collect.long_term"


@pytest.fixture(scope="module")
def live() -> Iterator[Any]:
    policy = load_policy(RULES)
    yield policy
    policy.close()


def _load(tmp_path: Path, *edits: Edit) -> Any:
    return load_policy(edited_rules(tmp_path, *edits))


def test_two_rows_swapped_in_a_first_hit_table_read_as_the_lower_one_moved_up(live: Any, tmp_path: Path) -> None:
    cand = _load(tmp_path, moved("scorecard.yaml", MOSTLY, PROMPT))

    rows = changed_rules(live, cand)

    assert rows == [{"rule_id": "score.character.mostly_prompt", "kind": "scorecard", "status": "moved",
                     "moved": {"table": ["scorecard.character", "scorecard.character"], "row": [2, 1],
                               "now_before": ["score.character.prompt"], "now_after": []},
                     "grades": None}]  # fmt: skip


def test_the_last_row_moved_first_is_the_one_move_and_names_every_row_it_passed(live: Any, tmp_path: Path) -> None:
    cand = _load(tmp_path, moved("collection.yaml", LONG, SHORT))

    assert moved_rules(live, cand) == {"collect.long_term": {
        "table": ["collection", "collection"], "row": [3, 1],
        "now_before": ["collect.short_term", "collect.medium_term"], "now_after": []}}  # fmt: skip


def test_the_first_row_moved_last_is_the_one_move_and_now_decides_after_the_rest(live: Any, tmp_path: Path) -> None:
    cand = _load(tmp_path, moved("collection.yaml", SHORT, ""))

    assert moved_rules(live, cand) == {
        "collect.short_term": {"table": ["collection", "collection"], "row": [1, 3], "now_before": [],
                               "now_after": ["collect.medium_term", "collect.long_term"]}}  # fmt: skip


def test_a_scorecard_row_under_another_factor_is_moved_between_tables(live: Any, tmp_path: Path) -> None:
    cand = _load(tmp_path, moved("scorecard.yaml", "      - id: score.capacity.strong", MOSTLY))

    [row] = changed_rules(live, cand)

    assert row["rule_id"] == "score.capacity.strong" and row["status"] == "moved"
    assert row["moved"] == {"table": ["scorecard.capacity", "scorecard.character"], "row": [1, 2], "now_before": [],
                            "now_after": []}  # fmt: skip


def test_a_reordered_collect_table_moves_nothing(live: Any, tmp_path: Path) -> None:
    cand = _load(tmp_path, moved("warnings.yaml", *_first_and_second("warnings.yaml")))

    assert [r.id for r in cand.program.rules] != [r.id for r in live.program.rules]
    assert changed_rules(live, cand) == []


def test_in_a_priority_table_only_a_move_among_equal_priorities_is_a_move(live: Any, tmp_path: Path) -> None:
    priority = ("orders.yaml", "hit: first\n", "hit: priority\n")
    base = _load(tmp_path, priority)
    tied = _load(tmp_path / "tied", priority, moved("orders.yaml", "  - id: order.hold_past_due",
                                                     "  - id: order.reject_bank_distress"))
    ranked = _load(tmp_path / "ranked", priority, ("orders.yaml", "    outcome: HOLD\n",
                                                   "    outcome: HOLD\n    priority: 5\n"))
    ranked_moved = _load(tmp_path / "ranked_moved", moved("orders.yaml", "  - id: order.cash_in_advance",
                                                          "  - id: order.hold_past_due"),
                         priority, ("orders.yaml", "    outcome: HOLD\n", "    outcome: HOLD\n    priority: 5\n"))

    assert moved_rules(base, tied) == {"order.hold_past_due": {"table": ["orders", "orders"], "row": [2, 1],
                                       "now_before": ["order.reject_bank_distress"], "now_after": []}}  # fmt: skip
    assert moved_rules(ranked, ranked_moved) == {}  # cash_in_advance passed hold_past_due, which outranks it anyway


def test_the_live_rules_against_themselves_move_nothing(live: Any) -> None:
    assert moved_rules(live, live) == {}


def _first_and_second(file: str) -> tuple[str, str]:
    """The id lines of a file's first two list items (rules), the second to move before the first."""
    ids = [line for line in (RULES / file).read_text(encoding="utf-8").splitlines() if line.startswith("  - id: ")]
    return ids[1], ids[0]

