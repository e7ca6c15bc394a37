"""Fixtures for every test."""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Iterator

import pytest

from tests.pg_database import TestDatabase

# Each pytest-xdist worker (PYTEST_XDIST_WORKER=gw0, gw1, ...) gets a PostgreSQL database of its own: every
# PostgreSQL test drops and recreates the public schema of the database it is given, and two workers on one
# would drop each other's tables mid-test. Set here, on import, because the modules that read the variable
# (tests/integration/conftest.py's PG_URL, test_batch_postgres.py) may be imported before pytest_configure
# when named on the command line; the database itself is made before the first PostgreSQL test
# (tests/pg_database.py) and dropped when the worker's session ends.
# The URL as the run was given it is kept aside, so that this module run a second time in one process (imported
# under another name) names the same database, not `credit_policy_test_gw0_gw0`.
SHARED_URL = "CREDIT_POLICY_PG_URL_SHARED"
TEST_DATABASE = TestDatabase(os.environ.get(SHARED_URL) or os.environ.get("CREDIT_POLICY_PG_URL", ""),
                             os.environ.get("PYTEST_XDIST_WORKER", ""))
if TEST_DATABASE.url:
    os.environ.setdefault(SHARED_URL, TEST_DATABASE.shared_url)
    os.environ["CREDIT_POLICY_PG_URL"] = TEST_DATABASE.url


def pytest_configure(config: pytest.Config) -> None:
    """Ctrl-C as a terminal's user has it, however the suite was started. A run started in the background
    (`make test &` from a script, some CI runners) inherits SIGINT ignored, and every process a test starts
    would keep it ignored (exec keeps an ignored signal): the CLI then rightly ignores the tests' Ctrl-C
    (tests/unit/test_cli_interrupt.py pins that), and the tests of Ctrl-C fail. A handler, unlike an
    ignored signal, is reset to the default in every child the tests start."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before a PostgreSQL test (marked `postgres`, not skipped): its database, reached once per process; one that
    cannot be reached fails each PostgreSQL test with the same line and leaves every other test to run."""
    if TEST_DATABASE.url and item.get_closest_marker("postgres"):
        TEST_DATABASE.require()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A worker's own PostgreSQL database is dropped once its tests are done (tests/pg_database.py)."""
    TEST_DATABASE.drop()


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
