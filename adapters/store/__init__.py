"""The SQL customer store: schema, migrations, snapshot loading and the decision log."""

from adapters.store.audit import LoggedDecision
from adapters.store.engine import DEFAULT_DB_URL, make_engine, resolve_db_url
from adapters.store.revisions import migrate
from adapters.store.sql_store import SqlStore, open_store

__all__ = [
    "DEFAULT_DB_URL",
    "LoggedDecision",
    "SqlStore",
    "make_engine",
    "migrate",
    "open_store",
    "resolve_db_url",
]
