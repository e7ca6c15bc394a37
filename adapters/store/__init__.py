"""The SQL customer store: schema, migrations, snapshot loading and the decision log.

Its names are imported when first used (PEP 562): a process that needs one small part (`serve --db memory` reads
only adapters.store.db_env, which imports this package first) does not pay for the ORM schema and Alembic
(~0.25 s of a `serve` start's ~1 s of imports, measured), nor for SQLAlchemy (engine.py, db_url.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.store.audit import LoggedDecision as LoggedDecision
    from adapters.store.db_env import DEFAULT_DB_URL as DEFAULT_DB_URL
    from adapters.store.db_env import resolve_db_url as resolve_db_url
    from adapters.store.engine import make_engine as make_engine
    from adapters.store.revisions import migrate as migrate
    from adapters.store.sql_store import SqlStore as SqlStore
    from adapters.store.sql_store import open_store as open_store

_HOMES = {
    "LoggedDecision": "adapters.store.audit",
    "DEFAULT_DB_URL": "adapters.store.db_env",
    "make_engine": "adapters.store.engine",
    "resolve_db_url": "adapters.store.db_env",
    "migrate": "adapters.store.revisions",
    "SqlStore": "adapters.store.sql_store",
    "open_store": "adapters.store.sql_store",
}

__all__ = [
    "DEFAULT_DB_URL",
    "LoggedDecision",
    "SqlStore",
    "make_engine",
    "migrate",
    "open_store",
    "resolve_db_url",
]


def __getattr__(name: str) -> Any:
    """A public name of the store, imported from its module on first use."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
