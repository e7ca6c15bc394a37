"""Resume after SIGKILL at random points: the same result as an uninterrupted run, nothing written twice."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from adapters.batch.runner import BatchOptions, run_batch
from tests.integration.test_batch_support import (
    AS_OF,
    CLI,
    RULES,
    children,
    digest,
    make_portfolio,
    scalar,
    workers_outliving,
)

CUSTOMERS = 300


def _settled(url: str) -> int:
    try:
        return int(scalar(url, "SELECT COUNT(*) FROM batch_results"))
    except Exception:  # the tables may not exist yet, or the writer holds a lock for a moment
        return 0


def _start(url: str, workers: int) -> subprocess.Popen[str]:
    args = [CLI, "batch", "--db", url, "--as-of", AS_OF.isoformat(), "--chunk-size", "10", "--quiet",
            "--workers", str(workers)]  # fmt: skip
    # A session of its own, so the kill takes the workers too, as a machine crash would.
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _kill_when(proc: subprocess.Popen[str], url: str, target: int | None, delay: float) -> int:
    """SIGKILL the run once `target` customers are settled (or after `delay` seconds); return how many were."""
    started = time.monotonic()
    while proc.poll() is None:
        elapsed = time.monotonic() - started
        if (target is None and elapsed >= delay) or (target is not None and _settled(url) >= target) or elapsed > 60:
            os.killpg(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.01)
    proc.communicate()
    return _settled(url)


def test_a_run_killed_at_random_points_resumes_to_the_uninterrupted_result(tmp_path: Path) -> None:
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    reference, killed = make_portfolio(tmp_path, name="ref.sqlite"), make_portfolio(tmp_path, name="killed.sqlite")
    run_batch(BatchOptions(db_url=reference, as_of=AS_OF, rules_dir=RULES))
    expected = digest(reference)

    # One kill at a random moment of start-up (imports, migrations, the portfolio pass), then kills at random
    # progress points; chunks of 10 customers give 30 commit points to land between or inside.
    history = [("time", _kill_when(_start(killed, 1), killed, None, rng.uniform(0.1, 0.9)))]
    targets = sorted(rng.sample(range(1, CUSTOMERS - 20), 4))
    for i, target in enumerate(targets):
        history.append((f"settled>={target}", _kill_when(_start(killed, 1 + i % 2), killed, target, 0)))
    final = subprocess.run([CLI, "batch", "--db", killed, "--as-of", AS_OF.isoformat(), "--quiet"],
                           capture_output=True, text=True, timeout=120)  # fmt: skip

    context = f"seed {seed}, kills {history}"
    assert final.returncode == 0, f"{context}: {final.stderr}"
    assert any(0 < n < CUSTOMERS for _, n in history), f"no kill landed mid-run: {context}"
    got = digest(killed)
    diffs = [(a, b) for a, b in zip(got["profiles"], expected["profiles"], strict=True) if a != b]
    context += f", {len(diffs)} profiles differ: {diffs[:3]}"
    assert got["profiles"] == expected["profiles"], context
    assert got["results"] == expected["results"], context
    assert got["log"] == expected["log"], context
    assert got["actions"] == expected["actions"], context
    duplicates = scalar(killed, "SELECT COUNT(*) FROM (SELECT customer_id FROM decision_log WHERE source = 'batch' "
                                "GROUP BY customer_id, as_of, policy_version HAVING COUNT(*) > 1)")  # fmt: skip
    assert duplicates == 0, context


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_sigterm_from_a_scheduler_marks_the_run_failed_and_the_next_start_finishes_it(
        tmp_path: Path, sig: signal.Signals) -> None:
    """SIGTERM as cron or Airflow sends it; SIGHUP as a closed terminal or a dropped ssh session does."""
    url = make_portfolio(tmp_path)
    proc = _start(url, 2)
    started = time.monotonic()
    while _settled(url) < 20 and proc.poll() is None and time.monotonic() - started < 60:
        time.sleep(0.01)

    proc.send_signal(sig)  # the parent only, as cron or Airflow would
    out, err = proc.communicate(timeout=60)

    if proc.returncode == 0:
        pytest.skip(f"the run finished before {sig.name} landed")
    assert proc.returncode == 3, err
    assert "run the same command again to resume" in err
    assert scalar(url, "SELECT status FROM batch_runs") == "failed"
    settled = _settled(url)
    stopped = json.loads(out)  # the chunks the two workers held were committed before the count: exact
    assert (stopped["settled"], stopped["customers"], "settled_at_least" in stopped) == (settled, CUSTOMERS, False)
    final = subprocess.run([CLI, "batch", "--db", url, "--as-of", AS_OF.isoformat(), "--quiet"],
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    assert final.returncode == 0, final.stderr
    assert scalar(url, "SELECT status FROM batch_runs") == "complete"
    assert scalar(url, "SELECT COUNT(*) FROM decision_log WHERE source = 'batch'") == CUSTOMERS
    assert 0 < settled < CUSTOMERS


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
@pytest.mark.parametrize("running", [True, False], ids=["running", "starting-up"])
def test_workers_whose_batch_was_killed_alone_exit_instead_of_waiting_forever(tmp_path: Path, running: bool) -> None:
    """The OOM killer or a `kill -9 PID` takes the main process only. Its workers used to wait for work
    for ever (~100 MiB each, every such night adding more); now each sees its parent gone and exits,
    and the next start resumes as after any kill. Killed while its workers still import their libraries
    (both spawned, with the resource tracker: 3 children), they took init for their parent and stayed."""
    url = make_portfolio(tmp_path)
    proc = _start(url, 2)
    started = time.monotonic()
    while ((_settled(url) < 20 if running else len(children(proc.pid)) < 3) and proc.poll() is None
           and time.monotonic() - started < 60):  # fmt: skip
        time.sleep(0.01)
    workers = children(proc.pid)

    left = workers_outliving(proc, workers)

    assert len(workers) >= 2 and not left, f"workers {left} of {workers} outlived their batch"
    final = subprocess.run([CLI, "batch", "--db", url, "--as-of", AS_OF.isoformat(), "--quiet"],
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    assert final.returncode == 0, final.stderr
    assert scalar(url, "SELECT COUNT(*) FROM decision_log WHERE source = 'batch'") == CUSTOMERS


def test_a_hang_up_of_the_whole_terminal_stops_the_run_without_tracebacks(tmp_path: Path) -> None:
    """A closed terminal hangs up its whole process group, multiprocessing's resource tracker included.
    The tracker ignores SIGINT and SIGTERM but died of SIGHUP, and its replacement printed a warning and a
    `KeyError: '/mp-…'` traceback per semaphore under the batch's own `terminated` line."""
    url = make_portfolio(tmp_path)
    proc = _start(url, 2)
    started = time.monotonic()
    while _settled(url) < 20 and proc.poll() is None and time.monotonic() - started < 60:
        time.sleep(0.01)

    os.killpg(proc.pid, signal.SIGHUP)
    out, err = proc.communicate(timeout=60)

    if proc.returncode == 0:
        pytest.skip("the run finished before the hang-up landed")
    assert proc.returncode == 3, err
    assert json.loads(out)["error"].startswith("terminated")
    assert "Traceback" not in err and "resource_tracker" not in err, err
