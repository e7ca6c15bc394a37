"""A backup restored under a running `serve` on port 0 (an `mv` onto the store's path) that is not at this
release's schema: one of an older release is migrated as start-up migrates, and served; a file that is not a
credit-policy store this release knows stays refused, the log naming what is wrong.

Before, the reopen never migrated: an older backup was served at its old schema or refused until a restart
(which migrates it), and another database read as `store not reopened` with a driver's `no such table`."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import grpc
import pytest

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.store import open_store
from adapters.store.revisions import current_revision, downgrade, head_revision
from tests.integration.conftest_grpc import ServerProcess
from tests.integration.conftest_grpc import server_factory as server_factory  # a fixture: pytest finds it by name
from tests.integration.test_grpc_error_info import _error_info
from tests.integration.test_grpc_service import call_error
from tests.integration.test_grpc_store_replaced import _found, _logged, _serving


def _a_release_behind(path: Path, revision: str = "0005") -> Path:
    """`path`'s store stepped back to an earlier release's schema `revision` (its customers kept)."""
    store = open_store(f"sqlite:///{path}", upgrade=False)
    downgrade(store.engine, revision)
    store.close()
    return path


def _revision(path: Path) -> str | None:
    store = open_store(f"sqlite:///{path}", upgrade=False)
    try:
        return current_revision(store.engine)
    finally:
        store.close()


@pytest.mark.parametrize("workers", [0, 2])
def test_a_backup_of_an_older_release_restored_under_a_running_server_is_migrated_and_served(
        server_factory: Any, tmp_path: Path, workers: int) -> None:
    store_file, restored, server = _serving(server_factory, tmp_path, 2, workers=workers)
    _a_release_behind(restored)

    os.replace(restored, store_file)
    reopened = server.wait_for_event("store reopened", timeout=60)
    found = _found(server, "C00002")
    assert server.stop() == 0

    assert (reopened["from_revision"], reopened["to_revision"]) == ("0005", head_revision())
    assert found and _revision(store_file) == head_revision()
    assert _logged(store_file, "C00002") == 1
    assert "store not reopened" not in [e["event"] for e in server.events()]


def _sql(path: Path, *statements: str) -> Path:
    """Run `statements` on the SQLite file at `path`, committed and closed (its WAL, if any, written back)."""
    conn = sqlite3.connect(path)
    try:
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()
    return path


def _another_database(path: Path) -> Path:
    return _sql(path, "CREATE TABLE notes (body TEXT)", "INSERT INTO notes VALUES ('not a store')")


def _a_newer_release(path: Path) -> Path:
    """A store whose schema is at a revision this release has no migration for (a later release's)."""
    return _sql(path, "UPDATE alembic_version SET version_num = '0099'")


def _not_a_database(path: Path) -> Path:
    path.write_text("customer_id,name\nC00002,not a database\n")
    return path


def _until_logged(server: ServerProcess, name: str, count: int, timeout: float = 60) -> list[dict[str, Any]]:
    """The events called `name`, once there are `count` of them."""
    deadline = time.monotonic() + timeout
    while len(found := [e for e in server.events() if e.get("event") == name]) < count:
        assert time.monotonic() < deadline, server.log_path.read_text()
        time.sleep(0.05)
    return found


def test_a_restored_file_that_is_not_this_releases_store_stays_refused_naming_why(
        server_factory: Any, tmp_path: Path) -> None:
    store_file, newer, server = _serving(server_factory, tmp_path, 2, workers=0)
    files = [_another_database(tmp_path / "other.sqlite"), _a_newer_release(newer),
             _not_a_database(tmp_path / "export.csv")]

    refusals: list[dict[str, Any]] = []
    for number, restored in enumerate(files, 1):
        os.replace(restored, store_file)
        refusals = _until_logged(server, "store not reopened", number)
    refused = call_error(server.stub().EvaluateCustomer, pb.EvaluateCustomerRequest(customer_id="C00002"))
    assert server.stop() == 0

    assert [e["reason"] for e in refusals] == ["not_a_store", "newer_schema", "not_a_database"]
    assert [e["level"] for e in refusals] == ["error"] * 3
    assert "0099" in refusals[1]["error"]
    assert refused.code() == grpc.StatusCode.UNAVAILABLE and _error_info(refused).reason == "STORE_UNAVAILABLE"
    assert "store reopened" not in [e["event"] for e in server.events()]
    assert "Traceback" not in server.log_path.read_text()
