"""The PostgreSQL database the tests of one process use: the one CREDIT_POLICY_PG_URL names when run serially, a
database of its own per pytest-xdist worker (`credit_policy_test_gw1`), made on the first PostgreSQL test and
dropped when the worker's session ends. A server that cannot be reached fails the PostgreSQL tests alone, each
with the same one line, found once per process; before, under xdist every worker failed to start (10 in turn)
and no test ran at all."""

from __future__ import annotations

import sys

import pytest
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url

CONNECT_TIMEOUT_S = 5
"""How long the first PostgreSQL test waits for the server: a host that does not answer, not the OS's minutes."""


def worker_database_url(url: str, worker: str) -> str:
    """The PostgreSQL URL `url` with its database named for the xdist worker: `credit_policy_test_gw1`."""
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


class TestDatabase:
    """The PostgreSQL database of this test process: reached (and for a worker, made) once, dropped at the end."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, shared_url: str, worker: str):
        self.shared_url, self.worker = shared_url, worker
        self.url = worker_database_url(shared_url, worker) if shared_url and worker else shared_url
        self.problem: str | None = None
        """Why the PostgreSQL tests cannot run here; None while none was found (or none was looked for)."""
        self.checked = False

    def require(self) -> None:
        """Fail the calling test with one line, no traceback, when the database cannot be reached or made."""
        if not self.checked:
            self.problem, self.checked = self._prepare(), True
        if self.problem:
            pytest.fail(self.problem, pytrace=False)

    def _prepare(self) -> str | None:
        """Connect (a worker: to the shared database, to make its own if missing); what went wrong, or None."""
        engine = create_engine(self.shared_url, isolation_level="AUTOCOMMIT",  # CREATE DATABASE refuses a transaction
                               connect_args={"connect_timeout": CONNECT_TIMEOUT_S})  # fmt: skip
        try:
            try:
                conn = engine.connect()
            except Exception as exc:  # noqa: BLE001 - whatever the driver says, said in one line
                return (f"CREDIT_POLICY_PG_URL: PostgreSQL at {self._where()} cannot be reached: {self._said(exc)}; "
                        "start it (eval \"$(bash .ci/postgres.sh)\") or unset CREDIT_POLICY_PG_URL to skip the "
                        "PostgreSQL tests")
            with conn:
                if self.worker:
                    return self._create(conn)
            return None
        finally:
            engine.dispose()

    def _create(self, conn: Connection) -> str | None:
        name = make_url(self.url).database
        try:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar() is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:  # noqa: BLE001
            return (f"CREDIT_POLICY_PG_URL: cannot create this worker's database {name}: {self._said(exc)}; give "
                    "the role CREATEDB (.ci/postgres.sh does) or run with -n0 to use the shared database")
        return None

    def drop(self) -> None:
        """Drop the worker's database once its tests are done; nothing serially (the URL's own database is kept).

        Dropped, not kept for the next run: making one costs well under a second per worker, and kept ones
        pile up (one per worker count ever used, and per worker xdist replaced). WITH (FORCE) ends connections a
        test left open; a drop that fails is said on stderr, never fails the run."""
        if not (self.worker and self.checked and self.problem is None):
            return
        name = make_url(self.url).database
        engine = create_engine(self.shared_url, isolation_level="AUTOCOMMIT",
                               connect_args={"connect_timeout": CONNECT_TIMEOUT_S})  # fmt: skip
        try:
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        except Exception as exc:  # noqa: BLE001
            print(f"warning: the test database {name} was not dropped: {self._said(exc)}", file=sys.stderr)
        finally:
            engine.dispose()

    def _where(self) -> str:
        from adapters.store.engine import safe_url

        return safe_url(self.shared_url)

    def _said(self, exc: BaseException) -> str:
        """The driver's first line, the URL's password hidden."""
        from adapters.store.engine import scrub_password

        words = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return scrub_password(words[0] if words else type(exc).__name__, self.shared_url)
