"""Opening a store for `compact-log`: refuse by name what cannot be compacted (a bad URL, a SQLite
file that is not there, a server out of reach, a database that is not a credit-policy store, one
before 0003), or migrate it first when asked (`--upgrade`). The compaction is adapters/store/compact.py."""

from __future__ import annotations

from collections.abc import Callable

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, make_url
from sqlalchemy.engine import URL

from adapters.store.db_url import BadDbUrl, check_db_url
from adapters.store.engine import NoSuchStore, cannot_open, make_engine, require_existing, resolve_db_url, safe_url
from adapters.store.lock_wait import is_locked
from adapters.store.presence import no_store_in
from adapters.store.revisions import alembic_config, current_revision, migrate

SNAPSHOTS_REVISION = "0003"


class CompactError(Exception):
    """The database cannot be compacted: a bad URL, not a credit-policy store, or not migrated to 0003."""


def open_log_engine(url: str | None, *, upgrade: bool = False, on_wait: Callable[[str], None] | None = None) -> Engine:
    """An engine on a store migrated to 0003 or later; `upgrade` migrates it to the newest first.

    Raises CompactError naming what is wrong: an unparseable URL or unknown driver, a SQLite file
    that does not exist (it is not created), a server that cannot be reached, a database that is
    not a credit-policy store, or one still before 0003. The upgrade waiting over 2 s for a SQLite
    store's write lock says so through `on_wait`; `database is locked` after 30 s in all.
    """
    resolved = resolve_db_url(url)
    shown = safe_url(resolved)
    _check_location(resolved, shown)
    try:
        engine: Engine = make_engine(resolved)
    except Exception as exc:  # a driver that fails to start: in the words every command uses
        raise CompactError(cannot_open(resolved, exc)) from None
    try:
        _check_revision(engine, shown, upgrade, on_wait)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _check_location(resolved: str, shown: str) -> None:
    """Raise CompactError for a URL that does not parse or names no driver here, and for a SQLite
    database that is in memory, a `file:` URI or no file (it is not created)."""
    try:
        check_db_url(resolved)
    except BadDbUrl as exc:
        raise CompactError(cannot_open(resolved, exc)) from None
    try:
        parsed: URL = make_url(resolved)
    except Exception as exc:
        raise CompactError(f"not a database URL: {resolved!r} ({exc})") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if not database or database == ":memory:":
            raise CompactError(f"{shown}: an in-memory SQLite database has no decision log to compact")
        if database.startswith("file:"):
            raise CompactError(f"{shown}: SQLite URI filenames (file:…) are not taken here; write sqlite:///PATH")
    try:  # not there or empty: batch's and queue's words (`no store at …`); it is not created
        require_existing(resolved)
    except NoSuchStore as exc:
        raise CompactError(str(exc)) from None


def _check_revision(engine: Engine, shown: str, upgrade: bool, on_wait: Callable[[str], None] | None) -> None:
    try:
        revision = current_revision(engine)
    except Exception as exc:  # unreachable server, bad credentials, not a database file: what to check too
        raise CompactError(cannot_open(engine.url.render_as_string(hide_password=False), exc)) from None
    if revision is None:  # empty or another database: which, and what to do (presence.py, as the reading commands)
        with engine.connect() as conn:
            raise CompactError(f"{shown}: {no_store_in(conn) or 'not a credit-policy store'}")
    script = ScriptDirectory.from_config(alembic_config())
    try:
        ancestors = [r.revision for r in script.iterate_revisions(revision, "base") if r is not None]
    except Exception:
        raise CompactError(
            f"{shown}: the schema is at revision {revision}, which this release does not know (a newer one's?)"
        ) from None
    if SNAPSHOTS_REVISION in ancestors:
        return
    if not upgrade:
        raise CompactError(
            f"{shown}: the schema is at revision {revision}, before {SNAPSHOTS_REVISION} (which adds "
            "decision_snapshots); migrate it first: pass --upgrade, or start the new release on it once"
        )
    try:
        migrate(engine, on_wait=on_wait)
    except Exception as exc:
        if is_locked(exc):  # busy, not broken: the caller's exit 3 and "run it again", not exit 2
            raise
        raise CompactError(f"{shown}: the upgrade from revision {revision} failed: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]

