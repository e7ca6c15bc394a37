"""adapters.store imports its parts when first used: `serve --db memory` (most of the service's tests, and any
service without a SQL store) reads only adapters.store.engine's URL helpers, and paid for the ORM schema, the
decision log and Alembic too, ~0.35 CPU-s of every start (measured: its imports 1.03-1.08 -> 0.65-0.72 CPU-s)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import adapters.store

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("alembic", "sqlalchemy.orm", "adapters.store.audit", "adapters.store.revisions", "adapters.store.sql_store")


def test_the_url_helpers_serve_reads_without_a_sql_store_import_neither_the_orm_nor_alembic() -> None:
    code = f"import sys, adapters.store.engine; print([m for m in {HEAVY!r} if m in sys.modules])"

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_every_public_name_of_the_store_is_still_there_and_an_unknown_one_says_so() -> None:
    from adapters.store import LoggedDecision, SqlStore, migrate, open_store
    from adapters.store.revisions import migrate as migrate_itself
    from adapters.store.sql_store import open_store as open_store_itself

    assert all(callable(getattr(adapters.store, name)) or name == "DEFAULT_DB_URL" for name in adapters.store.__all__)
    assert (open_store, migrate) == (open_store_itself, migrate_itself) and LoggedDecision and SqlStore
    with pytest.raises(AttributeError, match="has no attribute 'open_stor'"):
        adapters.store.open_stor  # noqa: B018
