"""The store's schema revisions: alembic's migrations applied (`migrate`), stepped back and read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from adapters.store.lock_wait import begin_immediate

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    """Alembic's configuration for the store's migrations (no alembic.ini: run from code only)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    """The newest migration's id."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


class UnknownSchema(Exception):
    """The database is not a credit-policy store this release can migrate; `reason` says which way."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        """`not_a_store` (no migration recorded: another database) or `newer_schema` (a later release's)."""


def known_revision(engine: Engine) -> str:
    """The revision of the credit-policy store at `engine`, one this release knows (its own or an older one's):
    UnknownSchema for another database or a later release's schema, which `migrate` must not be given."""
    revision = current_revision(engine)
    if revision is None:
        raise UnknownSchema("not_a_store", "not a credit-policy store (no migration recorded: another database)")
    refuse_unknown(revision)
    return revision


def refuse_unknown(revision: str) -> None:
    """Raise UnknownSchema `newer_schema` unless this release has the migration `revision` (its own or an older one)."""
    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except Exception:  # noqa: BLE001 - alembic's CommandError or ResolutionError: no such migration here
        known = f"this release's newest is {head_revision()}"
        raise UnknownSchema("newer_schema", f"the schema is at revision {revision}, which this release does not "
                                            f"know (a later release's? {known}): run that release or a newer "
                                            "one, or restore the store from a backup taken before it "
                                            "upgraded it") from None


class SchemaChangeRefused(Exception):
    """The store's schema is behind this release's and the database refused the role the change (PostgreSQL)."""


def migrate(engine: Engine, revision: str = "head", on_wait: Callable[[str], None] | None = None) -> str | None:
    """Upgrade the database to `revision` (default: the newest); a no-op when already there. Returns the
    revision it found the database at (None: empty), read under the migration's lock: the newest when
    another process migrated it meanwhile, so a caller can tell whether it migrated anything itself.

    On SQLite the migration holds the store's write lock from its start: another process holding it for
    over 2 s is said through `on_wait` (lock_wait.py); `database is locked` once it held it all the wait."""
    head = head_revision()
    if revision == "head" and (found := current_revision(engine)) == head:
        return found
    config = alembic_config()
    with engine.connect() as conn:
        _take_the_store(conn, on_wait)
        found = MigrationContext.configure(conn).get_current_revision()
        if revision == "head" and found == head:  # another process migrated it while this one waited
            conn.rollback()
            return found
        if found is not None:
            refuse_unknown(found)  # before: alembic's "Can't locate revision identified by '0009'"
        config.attributes["connection"] = conn
        try:
            command.upgrade(config, revision)
        except DBAPIError as exc:
            _refuse_privilege(exc, conn, found, head)
            raise
        conn.commit()
    return found


_INSUFFICIENT_PRIVILEGE = "42501"


def _refuse_privilege(exc: DBAPIError, conn: Connection, found: str | None, head: str) -> None:
    """SchemaChangeRefused, naming the revisions and `credit-policy migrate`, when the role may not change the
    schema. A production role that may only read and write the tables met a release's migration with the
    CREATE TABLE and its parameters dumped, and nothing said which command, run by whom, upgrades the store."""
    if getattr(exc.orig, "sqlstate", None) != _INSUFFICIENT_PRIVILEGE:
        return
    said = str(exc.orig).strip().splitlines()[0]
    role = conn.engine.url.username or "this role"
    at = f"at revision {found}" if found else "empty (no tables yet)"
    raise SchemaChangeRefused(
        f"role {role} may not change the store's schema ({said}); the store is {at}, this release reads and writes "
        f"{head}: run `credit-policy migrate --db URL` once with a role that may (the owner of the schema and its "
        "tables), then run the same command again") from None


def _take_the_store(conn: Connection, on_wait: Callable[[str], None] | None) -> None:
    """Keep other writers out of the migration: a second process opening a fresh database at once must
    not create the tables too, and on SQLite the wait for another writer's lock is said, not silent."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(724201)"))
    begin_immediate(conn, on_wait, doing="to upgrade its schema")


def downgrade(engine: Engine, revision: str) -> None:
    """Step the schema back to `revision` (for rolling back a release; drops the newer tables)."""
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)
