"""STORE_UNAVAILABLE and ENGINE_UNAVAILABLE as a client meets them from a real `serve` on port 0: the status
code, the google.rpc.ErrorInfo reason, RetryInfo, a message that names nothing private, the metrics counter,
the log line, and a good answer once the cause has passed.

A SQLite store file removed or replaced under a running server is test_grpc_store_replaced.py's. What a server
also meets is a lock: a process holding the WAL index's locks (SQLite's own WAL recovery, a connection in
exclusive locking mode), made here with the same POSIX locks on the `-shm` file; a read then fails after
SQLite's ~10 s of retries."""

from __future__ import annotations

import fcntl
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2

from adapters.store import open_store
from policy_engine.domain.models import CustomerSnapshot
from tests.integration.conftest_grpc import ROOT, ServerProcess, order_request, sample_dict, sample_snapshot
from tests.integration.conftest_grpc import server_factory as server_factory  # a fixture: pytest finds it by name
from tests.integration.test_grpc_error_info import _detail, _error_info
from tests.integration.test_grpc_load import _worker_pids
from tests.integration.test_grpc_service import call_error, counted, scrape, settled
from tests.integration.test_grpc_worker_restart import BlockedStore

WAL_LOCKS = (120, 8)
"""Offset and length of the WAL index's lock bytes in a `-shm` file (write, checkpoint, recover, 5 read marks)."""


@contextmanager
def wal_index_locked(store_file: Path) -> Iterator[None]:
    """Hold every WAL lock of the store, as a process recovering its WAL does: readers cannot begin. (Waits
    for a writer that holds one now to commit.)"""
    with open(f"{store_file}-shm", "r+b") as shm:
        fcntl.lockf(shm, fcntl.LOCK_EX, WAL_LOCKS[1], WAL_LOCKS[0])
        try:
            yield
        finally:
            fcntl.lockf(shm, fcntl.LOCK_UN, WAL_LOCKS[1], WAL_LOCKS[0])


def _retry_seconds(error: grpc.RpcError) -> float:
    retry = _detail(error, error_details_pb2.RetryInfo())
    assert retry is not None, "no google.rpc.RetryInfo in the details"
    return float(retry.retry_delay.ToTimedelta().total_seconds())


def _wait_until_logged(server: ServerProcess, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while "\ncredit_policy_decision_log_backlog 0.0\n" not in scrape(server):
        assert time.monotonic() < deadline, "the decision log never caught up"
        time.sleep(0.05)


def _events(server: ServerProcess, name: str) -> list[dict[str, Any]]:
    return [e for e in server.events() if e.get("event") == name]


@pytest.mark.parametrize("workers", [0, 2])
def test_a_store_that_cannot_be_read_is_store_unavailable_through_a_real_server(
        server_factory: Any, tmp_path: Path, workers: int) -> None:
    store_file = tmp_path / "store.sqlite"
    store = open_store(f"sqlite:///{store_file}")
    store.save_snapshot(CustomerSnapshot.model_validate(sample_dict(1)))
    store.close()
    server = server_factory("--db", f"sqlite:///{store_file}", workers=workers, name=f"locked{workers}")
    stub = server.stub()
    assert stub.CheckOrder(order_request(customer_id="C00001"), timeout=10).outcome
    _wait_until_logged(server)  # its decision-log entry must not meet the lock

    with wal_index_locked(store_file):
        error = call_error(stub.CheckOrder, order_request(customer_id="C00001"), timeout=30)
    after = stub.CheckOrder(order_request(customer_id="C00001"), timeout=10)

    assert error.code() == grpc.StatusCode.UNAVAILABLE
    assert error.details() == "the customer store is unavailable; try again shortly"  # no path, no driver words
    assert _error_info(error).reason == "STORE_UNAVAILABLE"
    assert _retry_seconds(error) == 1.0
    assert after.outcome
    assert counted(settled(server), "CheckOrder", "UNAVAILABLE") == 1
    [logged] = _events(server, "store unavailable")
    assert (logged["level"], logged["method"]) == ("error", "CheckOrder")
    assert logged["error"].startswith("OperationalError: ") and "peer" in logged
    assert server.stop() == 0
    assert "Traceback" not in server.log_path.read_text()


def _wait_in_flight(server: ServerProcess, calls: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while f"\ncredit_policy_grpc_in_flight {calls:.1f}\n" not in scrape(server):
        assert time.monotonic() < deadline, f"never {calls} calls in flight:\n{server.log_path.read_text()}"
        time.sleep(0.05)


def _three_calls_in_flight(server: ServerProcess, delay: Path) -> list[Any]:
    """Two calls held by the one worker (deciding for 30 s, and next in its pipe), then one waiting in the line."""
    stub = server.stub()
    delay.write_text("30")
    held = [stub.CheckOrder.future(order_request(sample_snapshot(i)), timeout=60) for i in (2, 3)]
    _wait_in_flight(server, 2)
    waiting = stub.CheckOrder.future(order_request(sample_snapshot(4)), timeout=60)
    _wait_in_flight(server, 3)
    return [*held, waiting]


@pytest.mark.skipif(not Path("/proc").exists(), reason="finds the worker processes through /proc")
def test_a_worker_killed_mid_call_leaves_the_waiting_caller_engine_unavailable_until_one_is_replaced(
        server_factory: Any, tmp_path: Path) -> None:
    # One worker, its decisions made slow on purpose (tests/fault_injection): it holds two calls (one deciding,
    # one in its pipe) and a third waits in the pool's line when it is killed; its replacement cannot open
    # the store (a directory in its place) until the test lets it.
    store, delay = BlockedStore(tmp_path), tmp_path / "engine-delay"
    env = {"PYTHONPATH": str(ROOT / "tests" / "fault_injection"), "CREDIT_POLICY_TEST_ENGINE_DELAY": str(delay),
           **BlockedStore.SERVE_ENV}
    server = server_factory("--db", store.url, "--watch-interval", "0", workers=1, env=env)
    stub = server.stub()
    assert stub.CheckOrder(order_request(sample_snapshot(1)), timeout=10).outcome
    calls = _three_calls_in_flight(server, delay)

    store.block()
    [worker] = _worker_pids(server.proc.pid)
    os.kill(worker, signal.SIGKILL)
    delay.unlink()
    refused = [future.exception(timeout=60) for future in calls]
    started = time.monotonic()
    later = call_error(stub.CheckOrder, order_request(sample_snapshot(5)))
    refused_in = time.monotonic() - started
    store.unblock()
    server.wait_for_event("worker process started")
    after = stub.CheckOrder(order_request(sample_snapshot(6)), timeout=10)

    assert [e.code() for e in refused] == [grpc.StatusCode.INTERNAL] * 2 + [grpc.StatusCode.UNAVAILABLE]
    assert [_error_info(e).reason for e in refused] == ["ENGINE_FAILURE"] * 2 + ["ENGINE_UNAVAILABLE"]
    assert [_detail(e, error_details_pb2.RetryInfo()) for e in refused[:2]] == [None, None]  # it may be the cause
    for error in (refused[2], later):
        assert error.code() == grpc.StatusCode.UNAVAILABLE
        assert _error_info(error).reason == "ENGINE_UNAVAILABLE" and _retry_seconds(error) == 1.0
        assert error.details() == ("no engine worker process is running (a replacement is failing to start): "
                                   "nothing was evaluated; try again shortly")  # the store's path stays in the log
    assert refused_in < 1 and after.outcome
    page = settled(server)
    assert [counted(page, "CheckOrder", code) for code in ("INTERNAL", "UNAVAILABLE", "OK")] == [2, 2, 2]
    replaced = _events(server, "worker process replaced")
    assert [(e["pid"], e["cause"]) for e in replaced] == [(worker, "killed by SIGKILL")]
    assert "store.sqlite is a directory" in _events(server, "worker process failed to start")[0]["error"]
    assert len(_events(server, "engine failure")) == 2
    assert server.stop() == 0
    assert "Traceback" not in server.log_path.read_text()
