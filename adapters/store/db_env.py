"""Which store a command opens: --db, else $CREDIT_POLICY_DB, else the embedded SQLite file.

Apart from adapters/store/engine.py, which imports SQLAlchemy (~0.12 s): `serve --db memory` (and
`$CREDIT_POLICY_DB=memory`) reads these and opens no SQL store at all."""

from __future__ import annotations

import os

DEFAULT_DB_URL = "sqlite:///var/credit-policy.sqlite"
DB_ENV_VAR = "CREDIT_POLICY_DB"


def resolve_db_url(url: str | None = None) -> str:
    """The URL to use: the one given, else $CREDIT_POLICY_DB, else the embedded SQLite file."""
    return url or os.environ.get(DB_ENV_VAR) or DEFAULT_DB_URL
