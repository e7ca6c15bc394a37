# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""examples/bulk_evaluate.py, the bulk client docs/service.md shows, against a real server that is stopped and
started again mid-stream: every item answered once, in order, and decided once (the decision log says so)."""

from __future__ import annotations

import asyncio
import importlib.util
import signal
import socket
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import grpc
import pytest

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2_grpc as pb_grpc
from policy_engine.domain.models import CustomerSnapshot
from tests.integration.conftest_grpc import (
    ROOT,
    sample_dict,
    server_factory,  # noqa: F401  (fixtures: pytest finds them by name)
)

store_module = pytest.importorskip("adapters.store")
CUSTOMERS = 20
ITEMS = 3_000
UNKNOWN_AT = 1_234


def _example() -> Any:
    spec = importlib.util.spec_from_file_location("bulk_evaluate", ROOT / "examples" / "bulk_evaluate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _logged(store_file: Path) -> int:
    with sqlite3.connect(store_file) as db:
        return int(db.execute("select count(*) from decision_log").fetchone()[0])


def _requests() -> list[pb.EvaluateCustomerRequest]:
    ids = [sample_dict(i)["customer_id"] for i in range(1, CUSTOMERS + 1)]
    return [pb.EvaluateCustomerRequest(customer_id="C-UNKNOWN" if n == UNKNOWN_AT else ids[n % CUSTOMERS],
                                       as_of="2026-11-22", request_id=str(n)) for n in range(ITEMS)]


def test_the_bulk_example_resumes_across_a_server_restart_answering_and_deciding_each_item_once(
        server_factory: Any, tmp_path: Path) -> None:
    store_file = tmp_path / "store.sqlite"
    store = store_module.open_store(f"sqlite:///{store_file}")
    for i in range(1, CUSTOMERS + 1):
        store.save_snapshot(CustomerSnapshot.model_validate(sample_dict(i)))
    store.close()
    port = _free_port()
    served = ("--db", f"sqlite:///{store_file}", "--port", str(port), "--grace", "60")
    first = server_factory(*served, name="first")
    replies: list[pb.EvaluateCustomersResponse] = []

    async def run() -> None:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            replies.extend(await _example().evaluate_all(pb_grpc.CreditPolicyServiceStub(channel), _requests()))

    client = threading.Thread(target=asyncio.run, args=(run(),))
    client.start()
    while _logged(store_file) < 300 and client.is_alive():
        time.sleep(0.02)
    first.proc.send_signal(signal.SIGTERM)
    assert first.proc.wait(timeout=30) == 0
    answered_by_first = _logged(store_file)
    second = server_factory(*served, name="second")
    client.join(timeout=120)
    assert second.stop() == 0  # its decision log flushed

    assert 300 <= answered_by_first < ITEMS - 1  # the stream was cut, and the rest came from the second server
    assert [r.request_id for r in replies] == [str(n) for n in range(ITEMS)]
    assert replies[UNKNOWN_AT].error.reason == "CUSTOMER_NOT_FOUND"
    assert sum(r.WhichOneof("result") == "decision" for r in replies) == ITEMS - 1
    assert _logged(store_file) == ITEMS - 1  # decided once each: none of the resent items had been decided
