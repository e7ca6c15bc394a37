"""A SIGTERM early in a rerun of a run that is already complete: the run stays complete and the summary says so.
Before, the summary said `"status": "failed"` and `terminated: run the same command again to resume`, while
batch_runs still said complete: a finished night read as one to resume."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.test_batch_support import AS_OF, cli, make_portfolio, scalar

ROOT = Path(__file__).resolve().parents[2]

STOPPED_AT = """
import os, signal, sys
from adapters.batch import runner
where = sys.argv.pop(1)
original = getattr(runner, where)

def stopped_meanwhile(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGTERM)  # as `systemctl stop` sends it, early in the run
    return original(*args, **kwargs)

setattr(runner, where, stopped_meanwhile)
from policy_engine.cli import main
sys.argv = ["credit-policy", *sys.argv[1:]]
main()
"""


def batch(url: str, stop_in: str | None = None) -> subprocess.CompletedProcess[str]:
    """The batch command on `url`, stopped by SIGTERM as the runner calls `stop_in` (None: not stopped)."""
    args = ["batch", "--db", url, "--as-of", AS_OF.isoformat(), "--quiet"]
    if stop_in is None:
        return cli(*args)
    return subprocess.run([sys.executable, "-c", STOPPED_AT, stop_in, *args], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)  # fmt: skip


# record_policy_files: before the runner has looked at the part; ensure_portfolio: after it found it complete
@pytest.mark.parametrize("stop_in", ["record_policy_files", "ensure_portfolio"])
def test_a_sigterm_early_in_a_rerun_of_a_complete_run_leaves_it_complete_and_says_so(tmp_path: Path,
                                                                                     stop_in: str) -> None:
    url = make_portfolio(tmp_path, customers=60)
    assert batch(url).returncode == 0

    result = batch(url, stop_in)

    assert result.returncode == 3, result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "complete"
    assert (summary["attempt"], summary["already_complete"]) == (1, True)
    assert (summary["customers"], summary["settled"], summary["ok"]) == (60, 60, 60)
    assert summary["error"] == (f"terminated before this command began an attempt: run {summary['run_id']} part 0/1 "
                                "is complete (attempt 1) and left as it is")
    assert result.stderr.splitlines()[0] == summary["error"]
    assert scalar(url, "SELECT status || ' ' || attempts FROM batch_runs") == "complete 1"


def test_a_sigterm_in_a_first_run_still_says_failed_and_to_resume(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path, customers=60)

    result = batch(url, "ensure_portfolio")

    summary = json.loads(result.stdout)
    assert (result.returncode, summary["status"]) == (3, "failed")
    assert summary["error"] == "terminated: run the same command again to resume"
    assert scalar(url, "SELECT status FROM batch_runs") == "failed"


@pytest.mark.parametrize("first_run", [True, False])
def test_a_sigterm_while_the_rules_load_says_nothing_was_written_not_failed_and_resume(
        tmp_path: Path, first_run: bool) -> None:
    # Before, `"status": "failed"` and `terminated: run the same command again to resume`, though no run had begun
    # (none in the store on a first night; a complete one stays complete).
    url = make_portfolio(tmp_path, customers=60)
    if not first_run:
        assert batch(url).returncode == 0

    result = batch(url, "load_rules")

    summary = json.loads(result.stdout)
    assert (result.returncode, summary["status"], summary["exit_code"]) == (3, "not_started", 3)
    assert summary["error"] == ("terminated while the rules were loaded, before the run began: nothing was written; "
                                "run the same command again")
    assert result.stderr.splitlines()[0] == summary["error"] and "run_id" not in summary
    assert scalar(url, "SELECT COUNT(*) || ' ' || COALESCE(MAX(status), '') FROM batch_runs") == (
        "0 " if first_run else "1 complete")


@pytest.mark.parametrize("stop_in", ["open_store", "record_policy_files"])
def test_a_sigterm_on_a_first_night_before_the_first_attempt_says_not_started_not_failed_and_resume(
        tmp_path: Path, stop_in: str) -> None:
    # Before, `"status": "failed"` and `terminated: run the same command again to resume`, though the run's id was
    # all there was: no row in batch_runs, no attempt to resume.
    url = make_portfolio(tmp_path, customers=60)

    result = batch(url, stop_in)

    summary = json.loads(result.stdout)
    assert (result.returncode, summary["status"], summary["exit_code"]) == (3, "not_started", 3)
    assert summary["error"] == (f"terminated before the run's first attempt began: run {summary['run_id']} part 0/1 "
                                "has not started; run the same command again")
    assert result.stderr.splitlines()[0] == summary["error"] and "attempts_begun" not in summary
    assert scalar(url, "SELECT COUNT(*) FROM batch_runs") == 0
    assert batch(url).returncode == 0  # the same command again runs it
