"""Opening the file now at the SQLite store's path while `serve` runs (store_watch.py): migrated as `serve`'s
start-up migrates it, so a backup of an older release, a very plausible restore, is served rather than refused
until a restart; a file that is not a credit-policy store this release knows is refused, saying what it is."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from adapters.grpc.logs import event


def open_at_path(store_url: str, path: Path) -> tuple[Any, str, str]:
    """The store at `store_url` migrated to this release's schema, with the revisions it was brought from and to:
    from the newest (nothing migrated here) when another process (`serve --processes`) migrated it first.

    Raises UnknownSchema (adapters/store/revisions.py) for another database or a later release's schema, and
    what opening or migrating raises (`database is locked` once another process held its write lock 30 s); a
    wait of over 2 s for that lock is logged (`store migration waiting`), as start-up prints it."""
    from adapters.store import open_store
    from adapters.store.revisions import head_revision, known_revision, migrate

    store = open_store(store_url, upgrade=False, background_audit=True)
    try:
        known = known_revision(store.engine)
        # Read again under the migration's lock: each --processes process reopens the file on its own.
        was = migrate(store.engine, on_wait=lambda line: event("store migration waiting", logging.WARNING,
                                                               path=str(path), waiting=line)) or known
    except BaseException:
        store.close()
        raise
    return store, was, head_revision()


def refusal(exc: BaseException) -> str:
    """Why a file at the path was not opened, as the `store not reopened` line's `reason`: `not_a_store`,
    `newer_schema`, `not_a_database` (SQLite's own words), `locked` (tried again) or `open_failed`."""
    from adapters.store.lock_wait import is_locked

    reason = getattr(exc, "reason", None)
    if isinstance(reason, str):
        return reason
    if is_locked(exc):
        return "locked"
    return "not_a_database" if "file is not a database" in str(exc) else "open_failed"
