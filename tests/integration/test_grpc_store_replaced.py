"""A SQLite store file replaced (a backup restored with `mv`) or removed under a running `serve` on port 0:
the server notices within about a second, says so once, and reads and logs to the file now at the path.

Before, its open connections read on from the old, deleted file until a restart: stale customers, and a
decision log written where nobody would read it."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.store import open_store
from policy_engine.domain.models import CustomerSnapshot
from tests.integration.conftest_grpc import TIMEOUT, ServerProcess, order_request, sample_dict
from tests.integration.conftest_grpc import server_factory as server_factory  # a fixture: pytest finds it by name
from tests.integration.test_grpc_error_info import _error_info
from tests.integration.test_grpc_service import call_error
from tests.integration.test_grpc_unavailable import _wait_until_logged
from tests.integration.test_grpc_worker_restart import wait_for_health


def _store_with(path: Path, index: int) -> Path:
    """A store file holding one customer, sample_dict(index) (C0000<index>)."""
    store = open_store(f"sqlite:///{path}")
    store.save_snapshot(CustomerSnapshot.model_validate(sample_dict(index)))
    store.close()
    return path


def _identity(path: Path) -> str:
    stat = os.stat(path)
    return f"{stat.st_dev}:{stat.st_ino}"


def _logged(path: Path, customer_id: str) -> int:
    store = open_store(f"sqlite:///{path}", upgrade=False)
    try:
        return len(store.history(customer_id))
    finally:
        store.close()


def _found(server: ServerProcess, customer_id: str) -> bool:
    try:
        server.stub().CheckOrder(order_request(customer_id=customer_id), timeout=TIMEOUT)
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.NOT_FOUND, error
        return False
    return True


def _serving(server_factory: Any, tmp_path: Path, backup_of: int, **model: int) -> tuple[Path, Path, ServerProcess]:
    """The store file (C00001), a backup beside it (C0000<backup_of>), and a server on the store file."""
    store_file = _store_with(tmp_path / "store.sqlite", 1)
    backup = _store_with(tmp_path / "backup.sqlite", backup_of)
    name = "-".join(f"{key}{value}" for key, value in model.items())
    return store_file, backup, server_factory("--db", f"sqlite:///{store_file}", name=name, **model)


@pytest.mark.parametrize("workers", [0, 2])
def test_a_store_file_replaced_under_a_running_server_is_reopened(
        server_factory: Any, tmp_path: Path, workers: int) -> None:
    store_file, restored, server = _serving(server_factory, tmp_path, 2, workers=workers)
    assert _found(server, "C00001") and not _found(server, "C00002")
    was = _identity(store_file)

    os.replace(restored, store_file)
    replaced = server.wait_for_event("store file replaced", timeout=30)
    server.wait_for_event("store reopened", timeout=60)
    found = (_found(server, "C00002"), _found(server, "C00001"))
    assert server.stop() == 0

    assert found == (True, False)
    assert (replaced["level"], replaced["path"], replaced["was"]) == ("error", str(store_file), was)
    assert replaced["now"] == _identity(store_file)
    assert _logged(store_file, "C00002") == 1  # its decision log is in the file at the path
    assert [e["event"] for e in server.events()].count("store file replaced") == 1
    assert "Traceback" not in server.log_path.read_text()


@pytest.mark.parametrize("workers", [0, 2])
def test_a_store_file_removed_is_not_serving_until_one_is_there_again(
        server_factory: Any, tmp_path: Path, workers: int) -> None:
    store_file, backup, server = _serving(server_factory, tmp_path, 1, workers=workers)
    assert _found(server, "C00001")
    _wait_until_logged(server)  # in the file removed next, not left to meet its removal

    store_file.unlink()
    gone = server.wait_for_event("store file gone", timeout=30)
    wait_for_health(server, health_pb2.HealthCheckResponse.NOT_SERVING, timeout=10)
    refused = [call_error(server.stub().EvaluateCustomer, pb.EvaluateCustomerRequest(customer_id="C00001")),
               call_error(server.stub().CheckOrder, order_request())]  # a snapshot's decision: no log to go to
    os.replace(backup, store_file)
    server.wait_for_event("store reopened", timeout=60)
    wait_for_health(server, health_pb2.HealthCheckResponse.SERVING, timeout=10)
    found = _found(server, "C00001")
    assert server.stop() == 0
    moved = server.wait_for_event("store side files moved aside", timeout=1)

    assert (gone["level"], gone["path"]) == ("error", str(store_file))
    assert [e.code() for e in refused] == [grpc.StatusCode.UNAVAILABLE] * 2
    assert [_error_info(e).reason for e in refused] == ["STORE_UNAVAILABLE"] * 2
    assert found and _logged(store_file, "C00001") == 1  # the call answered after the restore, nothing before it
    # the removed file's WAL (its last commits) would have been read over the restored file's pages
    assert [Path(f).name.split(".old-")[0] for f in moved["files"]] == ["store.sqlite-wal", "store.sqlite-shm"]
    assert all(Path(f).exists() for f in moved["files"])
    assert "Traceback" not in server.log_path.read_text()


def test_every_server_process_reopens_a_replaced_store_file(server_factory: Any, tmp_path: Path) -> None:
    store_file, restored, server = _serving(server_factory, tmp_path, 2, processes=2)

    os.replace(restored, store_file)
    deadline = time.monotonic() + 60
    while len([e for e in server.events() if e.get("event") == "store reopened"]) < 2:
        assert time.monotonic() < deadline, server.log_path.read_text()
        time.sleep(0.1)
    found = [_found(server, "C00002") for _ in range(6)]  # a fresh connection each: both processes answer
    assert server.stop() == 0

    assert found == [True] * 6
    assert _logged(store_file, "C00002") == 6


def test_the_same_store_file_moved_away_and_back_keeps_what_its_wal_holds(server_factory: Any, tmp_path: Path) -> None:
    store_file, away, server = _serving(server_factory, tmp_path, 1, workers=0)
    assert _found(server, "C00001")
    _wait_until_logged(server)  # committed to the WAL, which the connection closed at `gone` cannot checkpoint

    os.replace(store_file, away)
    server.wait_for_event("store file gone", timeout=30)
    os.replace(away, store_file)
    server.wait_for_event("store reopened", timeout=30)
    assert server.stop() == 0

    assert "store side files moved aside" not in [e["event"] for e in server.events()]
    assert _logged(store_file, "C00001") == 1
