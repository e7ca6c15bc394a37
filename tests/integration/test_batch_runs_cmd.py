"""`credit-policy runs`: the batch runs in the store, newest first, with what each part has settled."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path

from adapters.batch.runner import BatchOptions, run_batch
from tests.integration.test_batch_support import AS_OF, CLI, RULES, cli, make_portfolio, scalar


def _killed_mid_run(url: str, as_of: str) -> int:
    """Start `batch` and SIGKILL its process group once some customers are settled, as a crash would."""
    proc = subprocess.Popen([CLI, "batch", "--db", url, "--as-of", as_of, "--chunk-size", "10", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)  # fmt: skip
    started = time.monotonic()
    while proc.poll() is None and time.monotonic() - started < 60:
        try:
            if scalar(url, f"SELECT COUNT(*) FROM batch_results WHERE run_id LIKE '{as_of}:%'") >= 30:
                break
        except Exception:  # the tables may not be there yet, or the writer holds the lock a moment
            pass
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    return int(scalar(url, f"SELECT COUNT(*) FROM batch_results WHERE run_id LIKE '{as_of}:%'"))


def test_runs_lists_each_run_newest_first_with_its_status_and_settled_customers(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)
    run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES))
    later = (AS_OF + timedelta(days=1)).isoformat()
    settled = _killed_mid_run(url, later)

    listed = cli("runs", "--db", url, "--json")
    shown = cli("runs", "--db", url)

    assert listed.returncode == 0, listed.stderr
    runs = json.loads(listed.stdout)
    assert [(r["as_of"], r["part"], r["status"]) for r in runs] == [(later, "0/1", "running"),
                                                                    (AS_OF.isoformat(), "0/1", "complete")]  # fmt: skip
    assert [(r["settled"], r["ok"], r["quarantined"]) for r in runs] == [(settled, settled, 0), (300, 300, 0)]
    assert [r["customers"] for r in runs] == [300, 300] and 0 < settled < 300
    assert runs[0]["last_settled_at"] and runs[0]["finished_at"] is None
    assert shown.returncode == 0 and f"{later}:" in shown.stdout and f"{settled} of 300" in shown.stdout
    assert "running" in shown.stdout and "resume" in shown.stdout  # what to do about a part left running


def test_runs_on_a_store_without_runs_says_so(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)

    result = cli("runs", "--db", url)

    assert result.returncode == 0 and "no batch run" in result.stderr
