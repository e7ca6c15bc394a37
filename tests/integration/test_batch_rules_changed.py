"""A stopped run rerun after the rules changed is a new run, and says so: not taken for its resume."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from adapters.batch.runner import BatchOptions, run_batch
from tests.integration.test_batch_support import AS_OF, RULES, make_portfolio


def _stopped_half_way(url: str, rules: Path, as_of: date = AS_OF) -> str:
    """A run of `rules` left as a Ctrl-C leaves one: `failed`, 150 of its 300 customers settled."""
    run_id = str(run_batch(BatchOptions(db_url=url, as_of=as_of, rules_dir=rules))["run_id"])
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE batch_runs SET status = 'failed' WHERE run_id = :r"), {"r": run_id})
        conn.execute(text("DELETE FROM batch_results WHERE run_id = :r AND customer_id > 'C0000150'"), {"r": run_id})
    engine.dispose()
    return run_id


def _changed_rules(tmp_path: Path) -> Path:
    """The shipped rules with one cut-off moved: another policy version."""
    changed = tmp_path / "rules"
    shutil.copytree(RULES, changed)
    warnings = changed / "warnings.yaml"
    warnings.write_text(warnings.read_text().replace("max_downgrade: 4 ", "max_downgrade: 3 ", 1))
    return changed


def test_a_rerun_after_a_rule_change_names_the_stopped_run_it_does_not_resume(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)
    stopped = _stopped_half_way(url, RULES)
    notices: list[str] = []

    summary = run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=_changed_rules(tmp_path)),
                        on_notice=notices.append)  # fmt: skip

    assert summary["run_id"] != stopped and summary["evaluated_now"] == 300
    assert summary["unfinished_under_other_rules"] == [
        {"run_id": stopped, "policy_version": stopped.split(":")[1], "status": "failed", "settled": 150}]
    said = [line for line in notices if stopped in line]
    assert len(said) == 1 and "not resumed" in said[0] and summary["run_id"] in said[0], notices


def test_a_resume_under_the_same_rules_or_another_days_stopped_run_is_not_mentioned(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)
    _stopped_half_way(url, RULES, AS_OF - timedelta(days=1))
    _stopped_half_way(url, RULES)
    notices: list[str] = []

    summary = run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES), on_notice=notices.append)

    assert (summary["attempt"], summary["evaluated_now"]) == (2, 150)
    assert "unfinished_under_other_rules" not in summary and notices == []
