"""Fixtures for every test."""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# Each pytest-xdist worker (PYTEST_XDIST_WORKER=gw0, gw1, ...) gets a PostgreSQL database of its own: every
# PostgreSQL test drops and recreates the public schema of the database it is given, and two workers on one
# would drop each other's tables mid-test. Set here, on import, because the modules that read the variable
# (tests/integration/conftest.py's PG_URL, test_batch_postgres.py) may be imported before pytest_configure
# when named on the command line; the database itself is made in pytest_configure.
_PG_SHARED_URL = os.environ.get("CREDIT_POLICY_PG_URL", "")
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def worker_database_url(url: str, worker: str) -> str:
    """The PostgreSQL URL `url` with its database named for the xdist worker: `credit_policy_test_gw1`."""
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


if _PG_SHARED_URL and _WORKER:
    os.environ["CREDIT_POLICY_PG_URL"] = worker_database_url(_PG_SHARED_URL, _WORKER)


def _create_worker_database(shared_url: str, worker_url: str) -> None:
    """Create the worker's database beside the shared one (the CI role may create databases), if missing."""
    name = make_url(worker_url).database
    engine = create_engine(shared_url, isolation_level="AUTOCOMMIT")  # CREATE DATABASE refuses a transaction
    try:
        with engine.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar() is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        from adapters.store.engine import scrub_password

        said = scrub_password(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, shared_url)
        raise pytest.UsageError(f"CREDIT_POLICY_PG_URL: cannot create this worker's database {name}: {said}; "
                                "run with -n0 to use the shared database") from None
    finally:
        engine.dispose()


def pytest_configure(config: pytest.Config) -> None:
    """Ctrl-C as a terminal's user has it, however the suite was started. A run started in the background
    (`make test &` from a script, some CI runners) inherits SIGINT ignored, and every process a test starts
    would keep it ignored (exec keeps an ignored signal): the CLI then rightly ignores the tests' Ctrl-C
    (tests/unit/test_cli_interrupt.py pins that), and the tests of Ctrl-C fail. A handler, unlike an
    ignored signal, is reset to the default in every child the tests start."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if _PG_SHARED_URL and _WORKER:
        _create_worker_database(_PG_SHARED_URL, os.environ["CREDIT_POLICY_PG_URL"])


@pytest.fixture(autouse=True)
def _service_log_handler_removed() -> Iterator[None]:
    """A command run in-process (`serve` through CliRunner, say) installs the service's JSON log
    handler on the root logger, writing to the stderr of that moment: CliRunner's, closed when the
    command returns. Left in place, every later log record fails to write ("--- Logging error ---
    ... I/O operation on closed file" in the output of failing tests)."""
    from adapters.grpc.logs import JsonFormatter

    root = logging.getLogger()
    before, level = set(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in before and isinstance(handler.formatter, JsonFormatter):
            root.removeHandler(handler)
    root.setLevel(level)
