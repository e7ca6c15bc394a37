"""What the store commands share: the --db option, the consoles and opening the store with a clear error."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

DbOption = Annotated[
    str | None,
    typer.Option("--db", metavar="URL", help="SQLAlchemy URL; default $CREDIT_POLICY_DB or sqlite:///var/credit-policy.sqlite"),
]
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _out() -> Console:
    """stdout; piped output is not squeezed to 80 columns."""
    return Console(highlight=False, width=None if sys.stdout.isatty() else 200)


def open_store_or_exit(db: str | None, *, command: str, must_exist: bool = False) -> Any:
    """The store; with `must_exist` (commands that only read) a SQLite file that is not there, an empty database
    or another one is an error rather than a new empty store (presence.py). A migration kept waiting for the SQLite
    write lock says so, `command` (`history`) first, as every line a command says on stderr."""
    from adapters.store import open_store
    from adapters.store.engine import NoSuchStore, resolve_db_url
    from adapters.store.presence import require_store

    try:
        if must_exist:
            require_store(db)
        return open_store(db, on_wait=say_waiting(command))
    except NoSuchStore as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None
    except Exception as exc:  # a bad URL or an unreachable server: say which, no traceback; never the password
        exit_cannot_open(exc, resolve_db_url(db))


def exit_cannot_open(exc: Exception, url: str) -> NoReturn:
    """Exit for a store at `url` that could not be opened or migrated: 3 when another process held its write lock or
    its disk is full (the same command again may do), else 2 with cannot_open's line (what is wrong, what to do)."""
    from adapters.store.engine import cannot_open

    exit_if_locked(exc, NOT_UPGRADED)
    _exit_if_no_room(exc, url)
    err.print(f"error: {cannot_open(url, exc)}", markup=False)
    raise typer.Exit(2) from None


def _exit_if_no_room(exc: Exception, url: str) -> None:
    """Exit 3 (free space, then again), not 2 ("fix the command"), when the store's disk is full as it is opened
    (its schema created or upgraded); before, exit 2 with the driver's words and the SQL statement."""
    from sqlalchemy import make_url

    from adapters.batch.fatal import no_room, no_room_left
    from adapters.store.engine import safe_url, scrub_password

    if no_room(exc):
        said = str(getattr(exc, "orig", None) or exc).strip()
        err.print(scrub_password(f"error: cannot open the store {safe_url(url)}: {said}"
                                 f"{no_room_left(make_url(url), then='run the same command again')}; {NOT_UPGRADED}",
                                 url), markup=False)  # fmt: skip
        raise typer.Exit(3) from None


NOT_UPGRADED = "the store was not upgraded and the command did nothing"
"""What became of a command locked out of the store's migration (exit_if_locked)."""


def say_waiting(command: str) -> Callable[[str], None]:
    """What `command` shows on stderr while another process holds the SQLite store's write lock (lock_wait.py)."""
    return lambda line: err.print(f"{command}: {line}", markup=False)


def exit_if_locked(exc: Exception, outcome: str, again: str = "run the same command again") -> None:
    """Exit 3 (run it again later) when another process held the SQLite store's write lock all the while,
    saying who may and what became of the work (`outcome`); before, 30 s of silence ended in a traceback."""
    from adapters.store import engine as store_engine
    from adapters.store.lock_wait import HOLDERS, is_locked

    if is_locked(exc):
        err.print(f"error: database is locked (another process held the store's write lock for over "
                  f"{store_engine.SQLITE_LOCK_WAIT} s: {HOLDERS}); {outcome}: once it is done, {again}",
                  markup=False)  # fmt: skip
        raise typer.Exit(3) from None


def exit_if_store_failed(exc: Exception, url: Any, outcome: str, again: str = "run the same command again") -> None:
    """One line and exit 3 when the store's disk is full (free space, then `again`), exit 2 when the store cannot be
    written or is damaged (adapters/store/unusable.py), saying what became of the work (`outcome`); else return.
    Before, `import` and `demo-data` ended in a traceback and exit 1."""
    from adapters.batch.fatal import no_room, no_room_left
    from adapters.store.engine import scrub_password
    from adapters.store.unusable import unusable_store

    said = str(getattr(exc, "orig", None) or exc).strip()
    if no_room(exc):
        advice, code = no_room_left(url, then=again), 3
    else:
        unusable = unusable_store(exc, url)
        if unusable is None:
            return
        advice, code = unusable.advice, 3 if unusable.retry_may_help else 2
    shown = url.render_as_string(hide_password=False) if hasattr(url, "render_as_string") else str(url)
    err.print(scrub_password(f"error: {said}{advice}; {outcome}", shown), markup=False)  # the driver's words and role
    raise typer.Exit(code) from None
