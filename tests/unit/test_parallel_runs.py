"""`make test` runs the suite under pytest-xdist: what tests/conftest.py does for a run must hold in each worker."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from tests.pg_database import worker_database_url

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


# One test on each of the two workers (--dist loadfile), each run on SQLite and on PostgreSQL (db_url).
ONE_STORE_TEST_EACH = ["tests/integration/test_store_migrations.py", "tests/integration/test_store_snapshot_dedupe.py",
                       "-k", "empty_database_to_head or same_snapshot_store_its_text_once"]


def _pytest_in_two_workers(pg_url: str, *selection: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "CREDIT_POLICY_PG_URL"))}
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", "-q", "-n", "2",
               "--dist", "loadfile", *selection]
    return subprocess.run(command, cwd=ROOT, env=dict(env, PYTHONPATH=str(ROOT), CREDIT_POLICY_PG_URL=pg_url),
                          capture_output=True, text=True, timeout=600)


def _a_closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens there once the socket is closed


def test_an_unreachable_postgresql_fails_only_the_postgresql_tests_of_a_parallel_run_each_with_one_line() -> None:
    url = f"postgresql+psycopg://credit_policy:s3cret@127.0.0.1:{_a_closed_port()}/credit_policy_test"

    done = _pytest_in_two_workers(url, *ONE_STORE_TEST_EACH)

    said = done.stdout + done.stderr
    assert done.returncode == 1 and "2 passed, 2 errors" in done.stdout, said[-3000:]  # before: no test ran
    # Once in each error's section; the short summary repeats it too where pytest does not cut its lines (CI=true).
    where = re.escape("CREDIT_POLICY_PG_URL: PostgreSQL at postgresql+psycopg://credit_policy:***@127.0.0.1:")
    lines = re.findall(f"(?m)^{where}", said)
    assert len(lines) == 2, said[-3000:]
    assert "Connection refused; start it" in said and "s3cret" not in said and "Traceback" not in said


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("CREDIT_POLICY_PG_URL"), reason="CREDIT_POLICY_PG_URL is not set")
def test_a_parallel_run_drops_the_postgresql_databases_its_workers_made() -> None:
    url = os.environ["CREDIT_POLICY_PG_URL"]  # this process's own: a run inside it names its workers' after it
    name = make_url(url).database

    done = _pytest_in_two_workers(url, *ONE_STORE_TEST_EACH)

    assert done.returncode == 0 and "4 passed" in done.stdout, (done.stdout + done.stderr)[-3000:]
    engine = create_engine(url)
    with engine.connect() as conn:
        left = conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :n"), {"n": f"{name}\\_gw%"})
        assert list(left.scalars()) == []  # before: credit_policy_test_gw0 and _gw1 stayed, reused by the next run
    engine.dispose()
