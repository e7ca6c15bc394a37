"""The portfolio pass once per run: the first part to get there computes it, the others wait and read it.

On SQLite the others wait for the store's write lock, which the computing part holds for minutes on a
large portfolio: up to an hour, saying so once after 2 s (before, an hour of silence), and when they give
up the error says what held them and what to do.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, exists, text
from sqlalchemy.exc import OperationalError

from adapters.batch import tables as t
from adapters.batch.config import PortfolioConfig
from adapters.batch.scan import bucket_of, portfolio_summary, record_portfolio
from adapters.store import engine as store_engine
from adapters.store import lock_wait

PORTFOLIO_WAIT_SECONDS = 3600
"""How long a part waits for the SQLite write lock at its portfolio pass: another part computing the pass
holds it for as long as the pass takes, minutes on a large portfolio."""
PORTFOLIO_HOLDERS = (f"another part of this run computing its portfolio pass, minutes on a large portfolio; "
                     f"or {lock_wait.HOLDERS}")  # fmt: skip


class PortfolioLockedOut(Exception):
    """Another process held the SQLite store's write lock for the whole wait of the portfolio pass."""


def ensure_portfolio(engine: Engine, run_id: str, as_of: date, config: PortfolioConfig,
                     wait_seconds: float = PORTFOLIO_WAIT_SECONDS,
                     on_wait: Callable[[str], None] | None = None) -> dict[str, Any]:  # fmt: skip
    """Run the portfolio pass once per run (one transaction: killed halfway, it starts over).

    Another process already computing it (a second part starting at once) is waited for: on
    PostgreSQL by the advisory lock, on SQLite by retrying while the database stays locked, up to
    `wait_seconds`, saying so once through `on_wait` after LOCK_QUIET_SECONDS; PortfolioLockedOut then.
    """
    deadline = time.monotonic() + wait_seconds
    patience = min(lock_wait.LOCK_QUIET_SECONDS, wait_seconds)  # the first try: a wait is said after 2 s
    said = False
    while True:
        try:
            return _ensure_portfolio(engine, run_id, as_of, config, patience)
        except OperationalError as exc:
            left = deadline - time.monotonic()
            if not lock_wait.is_locked(exc):
                raise
            if left <= 0:
                raise PortfolioLockedOut(_locked_out(wait_seconds)) from None
            if not said and on_wait is not None:
                on_wait(lock_wait.waiting_line(engine, left, PORTFOLIO_HOLDERS))
            said = True
            # Each try waits in the driver, where Ctrl-C and SIGTERM are not seen: bounded as every write is.
            patience = min(store_engine.SQLITE_LOCK_WAIT, left)


def _locked_out(waited: float) -> str:
    return (f"database is locked (another process held the store's write lock for {lock_wait.span(waited)} in all "
            f"while this part waited to compute or read the run's portfolio pass: most likely another part of "
            f"this run still computing it, or {lock_wait.HOLDERS}; once it is done, run the same command again "
            "to resume)")


def _ensure_portfolio(engine: Engine, run_id: str, as_of: date, config: PortfolioConfig,
                      patience: float) -> dict[str, Any]:  # fmt: skip
    with engine.connect() as conn:
        done = portfolio_summary(conn, run_id)
    if done is not None:
        return done
    with engine.begin() as conn:
        _lock(conn, run_id, patience)
        done = portfolio_summary(conn, run_id)
        if done is not None:
            return done
        return record_portfolio(conn, engine, run_id, as_of, config)


def _lock(conn: Connection, run_id: str, patience: float) -> None:
    if conn.dialect.name == "postgresql":
        # Machines starting the same run at once: one computes the portfolio pass, the others wait.
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": bucket_of("portfolio:" + run_id)})
        return
    # A first write takes SQLite's write lock, so a second process waits instead of racing: `patience` s
    # in the driver, then `database is locked` for ensure_portfolio to say so and try again. It deletes
    # nothing once the pass is recorded: the wait ends on the other's commit, and the statement then sees
    # it (before, it deleted the pass just committed: a part started with another ran without classes).
    lock_wait.set_busy_timeout(conn, patience)
    bp, runs = t.batch_portfolio, t.batch_portfolio_runs
    recorded = exists().where(runs.c.run_id == run_id)
    try:
        conn.execute(bp.delete().where(bp.c.run_id == run_id, ~recorded))
    finally:
        lock_wait.set_busy_timeout(conn, store_engine.SQLITE_LOCK_WAIT)
