"""The service's failure lines name the call they belong to: the caller's `x-request-id` metadata (when it is
a bounded, printable id) and its peer, so an integrator's id finds its call in our log (docs/service.md, Logs).
The failures are real failures of the durable_rules core, injected by tests/fault_injection/sitecustomize.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
import pytest

from tests.integration.conftest_grpc import TIMEOUT, ServerProcess, order_request, pb, sample_snapshot
from tests.integration.conftest_grpc import server_factory as server_factory  # a fixture: pytest finds it by name
from tests.integration.test_grpc_engine_closed import fault_env, inject


@pytest.fixture
def failing(server_factory: Any, tmp_path: Path) -> tuple[ServerProcess, Path]:
    """An in-process server whose engine fails the assertions a test injects."""
    env, switch = fault_env(tmp_path)
    return server_factory(workers=0, env=env), switch


def test_an_engine_failure_line_carries_the_callers_request_id_and_peer(failing: tuple[ServerProcess, Path]) -> None:
    server, switch = failing
    inject(switch, 1)

    with pytest.raises(grpc.RpcError) as caught:
        server.stub().CheckOrder(order_request(), timeout=TIMEOUT, metadata=[("x-request-id", "req-7f3a")])

    assert caught.value.code() == grpc.StatusCode.INTERNAL
    logged = server.wait_for_event("engine failure")
    assert (logged["method"], logged["request_id"]) == ("CheckOrder", "req-7f3a")
    assert "127.0.0.1" in logged["peer"]


def test_a_request_id_over_128_characters_is_left_out_of_the_line(failing: tuple[ServerProcess, Path]) -> None:
    server, switch = failing
    inject(switch, 1)

    with pytest.raises(grpc.RpcError):
        server.stub().CheckOrder(order_request(), timeout=TIMEOUT, metadata=[("x-request-id", "r" * 129)])

    logged = server.wait_for_event("engine failure")
    assert "request_id" not in logged and logged["peer"]
    assert "r" * 129 not in server.log_path.read_text()


def test_a_failed_stream_items_line_carries_the_streams_request_id_and_the_items(
        failing: tuple[ServerProcess, Path]) -> None:
    server, switch = failing
    inject(switch, 1)
    items = [pb.EvaluateCustomerRequest(snapshot=sample_snapshot(1), request_id="item-42")]

    replies = list(server.stub().EvaluateCustomers(iter(items), timeout=TIMEOUT, metadata=[("x-request-id", "bulk-9")]))

    assert replies[0].error.code == "INTERNAL"
    logged = server.wait_for_event("engine failure")
    assert (logged["method"], logged["request_id"]) == ("EvaluateCustomers", "bulk-9") and logged["peer"]
    assert (logged["item_index"], logged["item_request_id"]) == (0, "item-42")
