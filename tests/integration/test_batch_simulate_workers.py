"""`simulate --workers`: its workers go with their main process and leave a Ctrl-C to it, as the batch's do."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.integration.test_batch_support import AS_OF, CLI, RULES, children, digest, make_portfolio, workers_outliving

PROGRESS = re.compile(r"simulate: \d+/1200 \(\d+%\)")
"""simulate's progress line where stderr is no terminal (batch_progress): told at the start and every 30 s."""
CUSTOMERS = 1200  # simulate takes 500 a chunk: the second worker is spawned for the second chunk
pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")


def _start(url: str, tmp_path: Path, argv0: str = CLI) -> subprocess.Popen[str]:
    candidate = tmp_path / "candidate"
    if not candidate.exists():
        shutil.copytree(RULES, candidate, ignore=shutil.ignore_patterns("tests"))
    args = [argv0, "simulate", "--rules", str(candidate), "--db", url, "--as-of", AS_OF.isoformat(), "--json",
            "--workers", "2"]  # fmt: skip
    # A session of its own: a Ctrl-C goes to its whole group, as a terminal sends it.
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _workers_spawned(proc: subprocess.Popen[str], then: float = 0.0) -> list[int]:
    """Its children once both workers and multiprocessing's resource tracker are there, `then` seconds later."""
    started = time.monotonic()
    while len(children(proc.pid)) < 3 and proc.poll() is None and time.monotonic() - started < 60:
        time.sleep(0.01)
    time.sleep(then)
    assert proc.poll() is None, "simulate ended before the signal: the test needs a longer run"
    return children(proc.pid)


@pytest.mark.parametrize("then", [0.0, 1.5], ids=["starting-up", "running"])
def test_workers_whose_simulate_was_killed_alone_exit_instead_of_waiting_forever(tmp_path: Path, then: float) -> None:
    """`kill -9 PID` or the OOM killer takes the main process only; its workers used to wait for work for ever.
    Killed while they still import their libraries, they must not take the init process for their parent."""
    proc = _start(make_portfolio(tmp_path, CUSTOMERS), tmp_path)
    workers = _workers_spawned(proc, then)

    left = workers_outliving(proc, workers)

    assert len(workers) >= 3 and not left, f"workers {left} of {workers} outlived their simulate"


@pytest.mark.parametrize("then", [0.0, 1.5], ids=["starting-up", "running"])
def test_a_ctrl_c_stops_simulate_with_one_line_and_writes_nothing(tmp_path: Path, then: float) -> None:
    """A Ctrl-C while the workers still imported their libraries printed a KeyboardInterrupt traceback from each."""
    url = make_portfolio(tmp_path, CUSTOMERS)
    before = digest(url)
    proc = _start(url, tmp_path)
    _workers_spawned(proc, then)

    os.killpg(proc.pid, signal.SIGINT)  # as a terminal sends it: to the whole group
    out, err = proc.communicate(timeout=60)

    said = [line for line in err.splitlines() if not PROGRESS.match(line)]  # its progress lines may come first
    assert (proc.returncode, out, said) == (130, "", ["credit-policy: interrupted"])
    assert digest(url) == before
