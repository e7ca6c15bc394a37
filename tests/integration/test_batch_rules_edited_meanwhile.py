"""Rules edited while a run starts (risk staff deploy at night; the service reloads by itself): the worker
processes decide with the rule files the run loaded, whose version names the run, not with what the directory
holds by the time they start. Before, each worker read the directory again: an edit between the run's load and
the workers' start (the portfolio pass, minutes on a large book) had every customer decided and logged under
another policy version than the run's, and a broken edit crashed the pool (`BrokenProcessPool`, exit 3, a
traceback per worker)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from adapters.batch import simulate as simulate_module
from adapters.batch.runner import BatchOptions, run_batch
from tests.integration.test_batch_support import AS_OF, RULES, make_portfolio


def _run_editing_the_rules_before_the_workers_start(tmp_path: Path, edit: str) -> tuple[dict[str, Any], str]:
    """Run with 2 workers; at the first progress report (the workers not yet started) append `edit` to a file."""
    url, rules = make_portfolio(tmp_path, customers=120), tmp_path / "rules"
    shutil.copytree(RULES, rules)
    edited: list[bool] = []

    def risk_staff_edit(_progress: Any) -> None:
        if not edited:
            with (rules / "grades.yaml").open("a", encoding="utf-8") as file:
                file.write(edit)
            edited.append(True)

    summary = run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=rules, workers=2, chunk_size=30),
                        on_progress=risk_staff_edit)  # fmt: skip
    assert edited
    return summary, url


def _logged_versions(url: str) -> set[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        versions = set(conn.execute(text("SELECT DISTINCT policy_version FROM decision_log WHERE source = 'batch'"))
                       .scalars())  # fmt: skip
    engine.dispose()
    return versions


def test_an_edit_while_the_run_starts_does_not_reach_its_workers(tmp_path: Path) -> None:
    summary, url = _run_editing_the_rules_before_the_workers_start(tmp_path, "# tightened tonight\n")

    assert (summary["status"], summary["exit_code"], summary["ok"]) == ("complete", 0, 120)
    assert _logged_versions(url) == {summary["policy_version"]}


def test_a_broken_edit_while_the_run_starts_does_not_stop_it(tmp_path: Path) -> None:
    summary, url = _run_editing_the_rules_before_the_workers_start(tmp_path, "not: [valid yaml\n")

    assert (summary["status"], summary["exit_code"], summary["ok"]) == ("complete", 0, 120)
    assert _logged_versions(url) == {summary["policy_version"]}


def test_simulate_s_workers_compare_the_rules_it_loaded_even_if_the_candidate_is_edited_meanwhile(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`simulate --workers 2` had the same gap: its workers read both directories again when they started."""
    url, candidate = make_portfolio(tmp_path, customers=1200), tmp_path / "candidate"
    shutil.copytree(RULES, candidate, ignore=shutil.ignore_patterns("tests"))
    compare = simulate_module._compare_portfolio

    def edited_before_the_workers_start(*args: Any) -> Any:
        (candidate / "grades.yaml").write_text("not: [valid yaml\n", encoding="utf-8")
        return compare(*args)

    monkeypatch.setattr(simulate_module, "_compare_portfolio", edited_before_the_workers_start)
    summary = simulate_module.simulate(url, RULES, candidate, AS_OF, workers=2)

    assert summary["customers"] == 1200 and summary["changed"] == 0
