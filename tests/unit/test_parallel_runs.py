"""`make test` runs the suite under pytest-xdist: what tests/conftest.py does for a run must hold in each worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import worker_database_url

ROOT = Path(__file__).resolve().parents[2]


def test_each_worker_gets_a_postgresql_database_of_its_own_beside_the_shared_one() -> None:
    url = "postgresql+psycopg://credit_policy:p%40ss@localhost:5432/credit_policy_test?connect_timeout=5"

    mine = worker_database_url(url, "gw1")

    assert mine == "postgresql+psycopg://credit_policy:p%40ss@localhost:5432/credit_policy_test_gw1?connect_timeout=5"


def test_a_parallel_run_started_with_ctrl_c_ignored_still_tests_ctrl_c_in_every_worker() -> None:
    """As `make test &` from a script: the conftest's handler must be set in each worker, not only in the
    controller, or the CLI children inherit SIGINT ignored and the Ctrl-C tests fail (in 120 s each)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "CREDIT_POLICY_PG_URL"))}
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", "-q", "-n", "2",
               "--dist", "each", "tests/unit/test_cli_interrupt.py", "-k", "once_the_cli_runs and 0.05"]

    done = subprocess.run(command, cwd=ROOT, env=dict(env, PYTHONPATH=str(ROOT)), capture_output=True, text=True,
                          timeout=600, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "2 passed" in done.stdout  # the one test, once on each of the two workers
