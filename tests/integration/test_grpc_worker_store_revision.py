"""An engine worker opens the store its service migrated without alembic, and still refuses one whose schema is
not its code's (a release installed under the running service, a store migrated by another release): its start
fails saying which revisions, and no decision is logged into a schema the code does not write."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from adapters.grpc import runtime
from adapters.grpc.engines import WorkerPoolEngine
from adapters.store import open_store
from adapters.store.schema_head import SCHEMA_HEAD
from policy_engine.domain.errors import EngineFailure
from tests.integration.test_grpc_worker_pool import FILES


def store_at(tmp_path: Path, revision: str) -> str:
    """A migrated SQLite store whose recorded revision is then set to `revision`."""
    path = tmp_path / "store.sqlite"
    open_store(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    return f"sqlite:///{path}"


@pytest.mark.parametrize("revision", ["0006", "0099"])
def test_a_worker_refuses_a_store_at_another_schema_revision_than_its_code(tmp_path: Path, revision: str) -> None:
    pool = WorkerPoolEngine(FILES, 1, store_url=store_at(tmp_path, revision))

    said = (rf"worker failed to start: StoreAtAnotherRevision: the store's schema is at revision {revision}, this "
            rf"code reads and writes {SCHEMA_HEAD}: .*restart serve, which migrates it")
    with pytest.raises(EngineFailure, match=said):
        runtime.run(pool.start(), "asyncio")


def test_a_worker_serves_a_store_at_its_code_revision(tmp_path: Path) -> None:
    async def scenario() -> str:
        pool = await WorkerPoolEngine(FILES, 1, store_url=store_at(tmp_path, SCHEMA_HEAD)).start()
        await pool.aclose(grace=5)
        return pool.version

    assert runtime.run(scenario(), "asyncio")
