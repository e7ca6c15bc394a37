"""The batch on a bad night: runs resumed out of order, stopped ones, and what `queue` and `report` say then."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from adapters.batch import worker as batch_worker
from adapters.batch.runner import BatchOptions, run_batch
from policy_engine.cli import build_app
from tests.integration.test_batch_interrupt import _ctrl_c_inside_a_library
from tests.integration.test_batch_support import AS_OF, RULES, make_portfolio, scalar

NEXT_DAY = AS_OF + timedelta(days=1)


def _run(url: str, **kwargs: object) -> dict[str, object]:
    options = {"db_url": url, "as_of": AS_OF, "rules_dir": RULES, "chunk_size": 50, **kwargs}
    return run_batch(BatchOptions(**options))  # type: ignore[arg-type]


def test_an_older_as_of_run_finished_late_leaves_the_newer_profiles_as_they_are(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path, customers=120)
    _run(url, as_of=NEXT_DAY)

    older = _run(url)

    assert older["status"] == "complete" and older["evaluated_now"] == 120
    assert scalar(url, f"SELECT COUNT(*) FROM credit_profiles WHERE as_of = '{NEXT_DAY}'") == 120
    assert older["profiles_newer_kept"] == 120
    ok = f"SELECT COUNT(*) FROM batch_results WHERE run_id = '{older['run_id']}' AND status = 'ok'"
    assert scalar(url, ok) == 120
    assert scalar(url, f"SELECT COUNT(*) FROM decision_log WHERE source = 'batch' AND as_of = '{AS_OF}'") == 120


def test_a_run_of_the_same_day_under_another_policy_replaces_the_profiles(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path, customers=120)
    first = _run(url)
    candidate = tmp_path / "rules"
    shutil.copytree(RULES, candidate)
    (candidate / "policy.yaml").write_text((candidate / "policy.yaml").read_text() + "\n# a new version\n")

    second = _run(url, rules_dir=candidate)

    assert second["policy_version"] != first["policy_version"] and second["profiles_newer_kept"] == 0
    replaced = f"SELECT COUNT(*) FROM credit_profiles WHERE policy_version = '{second['policy_version']}'"
    assert scalar(url, replaced) == 120


def _stopped_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, object]:
    """A store whose run was stopped by Ctrl-C after 100 of its 300 customers; the batch's CLI result."""
    url = make_portfolio(tmp_path)
    _ctrl_c_inside_a_library(monkeypatch)  # at C0000120, in the third chunk of 50
    result = CliRunner().invoke(build_app(), ["batch", "--db", url, "--as-of", AS_OF.isoformat(),
                                              "--chunk-size", "50", "--quiet"])  # fmt: skip
    monkeypatch.undo()
    return url, result


def test_a_stopped_batch_still_prints_its_json_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _url, result = _stopped_run(tmp_path, monkeypatch)

    summary = json.loads(result.stdout)  # type: ignore[attr-defined]

    assert result.exit_code == 130  # type: ignore[attr-defined]
    assert (summary["status"], summary["exit_code"], summary["attempt"]) == ("failed", 130, 1)
    assert summary["run_id"].startswith(AS_OF.isoformat())
    assert (summary["customers"], summary["settled"], summary["evaluated_now"]) == (300, 100, 100)
    assert summary["error"] == "interrupted: run the same command again to resume"


def test_a_stopped_batch_counts_a_chunk_committed_after_the_last_progress_report(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With workers, chunks in flight at a Ctrl-C are finished and committed while the batch stops, and
    never report progress: the summary said `settled: 100` where the store held 150."""
    url = make_portfolio(tmp_path)
    run = batch_worker.ChunkEvaluator.run
    calls = []

    def committed_then_interrupted(self: Any, ids: Any) -> Any:
        result = run(self, ids)  # the third chunk of 50 is committed ...
        calls.append(len(ids))
        if len(calls) == 3:
            raise KeyboardInterrupt  # ... and the stop comes before its progress is reported
        return result

    monkeypatch.setattr(batch_worker.ChunkEvaluator, "run", committed_then_interrupted)
    result = CliRunner().invoke(build_app(), ["batch", "--db", url, "--as-of", AS_OF.isoformat(),
                                              "--chunk-size", "50", "--quiet"])  # fmt: skip

    summary = json.loads(result.stdout)
    assert result.exit_code == 130, result.output
    assert scalar(url, "SELECT COUNT(*) FROM batch_results") == 150
    assert (summary["customers"], summary["settled"], summary["evaluated_now"]) == (300, 150, 150)
    assert (summary["ok"], summary["quarantined"], summary["skipped"]) == (150, 0, 0)
    assert "settled_at_least" not in summary
    assert "150 of 300 customers settled" in result.stderr


def test_a_batch_stopped_by_an_error_says_how_far_it_got(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk after two chunks: the summary said which run failed and why, not how much of it was
    done; now it counts the store, as a stopped run's does."""
    from sqlalchemy.exc import OperationalError

    url = make_portfolio(tmp_path)
    run = batch_worker.ChunkEvaluator.run
    calls = []

    def disk_fills(self: Any, ids: Any) -> Any:
        calls.append(ids)
        if len(calls) == 3:
            raise OperationalError("INSERT INTO batch_results …", {}, Exception("database or disk is full"))
        return run(self, ids)

    monkeypatch.setattr(batch_worker.ChunkEvaluator, "run", disk_fills)
    result = CliRunner().invoke(build_app(), ["batch", "--db", url, "--as-of", AS_OF.isoformat(),
                                              "--chunk-size", "50", "--quiet"])  # fmt: skip

    summary = json.loads(result.stdout)
    assert (result.exit_code, summary["status"], summary["exit_code"]) == (3, "failed", 3)
    assert (summary["customers"], summary["settled"], summary["ok"]) == (300, 100, 100)
    assert summary["evaluated_now"] == 100 and "settled_at_least" not in summary
    assert "100 of 300 customers settled" in result.stderr


def test_a_stopped_batch_whose_store_cannot_be_counted_says_at_least(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from policy_engine.cli import batch_stopped

    monkeypatch.setattr(batch_stopped, "_count_in_store", lambda *args: None)  # the database went away
    _url, result = _stopped_run(tmp_path, monkeypatch)

    summary = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert (summary["settled"], summary["settled_at_least"]) == (100, True)
    assert "at least 100 of 300 customers settled" in result.stderr  # type: ignore[attr-defined]


def test_queue_and_report_of_a_stopped_run_say_it_is_not_complete(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url, _result = _stopped_run(tmp_path, monkeypatch)
    app = CliRunner()

    queue = app.invoke(build_app(), ["queue", "--db", url, "--date", AS_OF.isoformat(), "--limit", "1"])
    report = app.invoke(build_app(), ["report", "--db", url, "--out", str(tmp_path / "reports")])

    for result in (queue, report):
        assert result.exit_code == 0, result.stderr
        assert "is not complete (part 0/1 failed; 100 of 300 customers settled)" in result.stderr
        assert f"credit-policy batch --db {url} --as-of {AS_OF}" in result.stderr  # the store asked about
    written = json.loads(report.stdout)
    assert written["complete"] is False
    assert json.loads(Path(written["json"]).read_text())["complete"] is False
