"""Opening the store for the commands that read a batch run (`report`, `queue`, `runs`)."""

from __future__ import annotations

from typing import Any

import typer

from policy_engine.cli.batch_cmds import EXIT_BAD_INPUT, err
from policy_engine.cli.store_common import NOT_UPGRADED, exit_if_locked, say_waiting


def open_engine(db: str | None, command: str) -> Any:
    """An engine on the existing store (none is created: presence.py), migrated (a wait for the SQLite write lock
    said, `command` first); or exit 2 saying why it cannot be opened, 3 when another process held the lock all the
    while."""
    from adapters.store import make_engine, migrate, resolve_db_url
    from adapters.store.engine import NoSuchStore, cannot_open
    from adapters.store.presence import require_store

    url = str(resolve_db_url(db))
    try:
        require_store(url)
        engine = make_engine(url)
    except NoSuchStore as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except Exception as exc:  # a bad location (BadDbUrl: says what to write) or an unknown driver
        err.print(f"error: {cannot_open(url, exc)}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    try:
        migrate(engine, on_wait=say_waiting(command))
    except Exception as exc:  # an unreachable or foreign database: say which, no traceback
        exit_if_locked(exc, NOT_UPGRADED)
        err.print(f"error: {cannot_open(url, exc)}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    return engine
