"""`runs`' note under a table with a part not complete: what resumes it, and what does not."""

from __future__ import annotations

from typing import Any

from policy_engine.cli.runs_cmd import _table


def _part(status: str) -> dict[str, Any]:
    return {"run_id": "2026-11-22:32a5f9462b159a41", "part": "0/1", "status": status, "attempts": 1,
            "customers": 3000, "settled": 1800, "quarantined": 0, "started_at": None, "finished_at": None,
            "last_settled_at": None, "seconds_all_attempts": 4.6}  # fmt: skip


def test_a_stopped_part_is_resumed_only_under_the_rules_of_its_policy_version() -> None:
    """`batch` run again after the rules changed starts a new run and leaves the stopped one as it is."""
    caption = str(_table([_part("failed")]).caption)

    assert "the same `credit-policy batch` command resumes it" in caption
    assert "with the rules of its policy version (after the run id's colon)" in caption
    assert "other rules start a new run" in caption


def test_a_table_of_complete_parts_has_no_note() -> None:
    assert _table([_part("complete")]).caption is None
