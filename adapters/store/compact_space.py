"""What the decision log takes on disk, and giving the space `compact-log` freed back (`--vacuum`)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text


def storage_bytes(engine: Engine) -> tuple[str, int] | None:
    """What the decision log takes on disk, as (measure, bytes): the SQLite file with its WAL, or on
    PostgreSQL pg_total_relation_size of decision_log (heap, TOAST and indexes)."""
    if engine.dialect.name == "sqlite":
        database = engine.url.database or ""
        files = [Path(database), Path(database + "-wal")]
        return "sqlite file + WAL", sum(f.stat().st_size for f in files if f.is_file())
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            size = conn.execute(text("SELECT pg_total_relation_size('decision_log')")).scalar_one()
        return "pg_total_relation_size(decision_log)", int(size)
    return None


def vacuum(engine: Engine) -> dict[str, Any]:
    """Give the freed space back: on SQLite VACUUM (the file shrinks; it needs free disk for a copy of
    the database and holds the write lock throughout), then truncate the WAL; on PostgreSQL plain
    VACUUM (ANALYZE) of decision_log and decision_snapshots (the space becomes reusable, the files
    do not shrink; VACUUM FULL is the operator's call)."""
    started = time.perf_counter()
    with engine.connect() as raw:
        conn = raw.execution_options(isolation_level="AUTOCOMMIT")  # VACUUM cannot run in a transaction
        if engine.dialect.name == "sqlite":
            statements = ["VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"]
        else:
            statements = ["VACUUM (ANALYZE) decision_log, decision_snapshots"]
        for statement in statements:
            conn.exec_driver_sql(statement)
    return {"ran": statements, "seconds": round(time.perf_counter() - started, 3)}
