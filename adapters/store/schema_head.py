"""The schema revision this release's store code reads and writes, checked where a store is opened without
migrating it (an engine worker, a `--processes` server process), without importing alembic.

Alembic and what it imports (mako, pygments) were ~0.1 CPU-s of every engine worker's start, only to open a store
the front process had migrated already; reading the one row of `alembic_version` is a statement. SCHEMA_HEAD is
alembic's head written down: tests/unit/test_schema_head.py fails when a migration is added without it.
"""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

SCHEMA_HEAD = "0008"
"""The newest migration (adapters/store/migrations/versions), as alembic's ScriptDirectory names its head."""


class StoreAtAnotherRevision(Exception):
    """The store's schema is not the one this code reads and writes: it is not used (no decision is logged in it)."""


def stored_revisions(engine: Engine) -> set[str]:
    """The revisions recorded in the store's `alembic_version` (none for a database without the table)."""
    with engine.connect() as conn:
        try:
            return {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
        except DBAPIError:  # no such table: not a store alembic has migrated
            return set()


def require_schema_head(engine: Engine) -> None:
    """StoreAtAnotherRevision unless the store is at SCHEMA_HEAD, saying what it is at and what to do."""
    found = stored_revisions(engine)
    if found == {SCHEMA_HEAD}:
        return
    at = ", ".join(sorted(found)) or "none (not a migrated credit-policy store)"
    raise StoreAtAnotherRevision(
        f"the store's schema is at revision {at}, this code reads and writes {SCHEMA_HEAD}: a release installed "
        "under the running service, or another release migrated the store; restart serve, which migrates it "
        "(or refuses a later release's schema)")


__all__ = ["SCHEMA_HEAD", "StoreAtAnotherRevision", "require_schema_head", "stored_revisions"]
