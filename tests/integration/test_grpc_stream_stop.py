# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""SIGTERM while an EvaluateCustomers stream is open: the stream stops taking requests, answers those it took,
and ends UNAVAILABLE SERVER_STOPPING naming the first item it did not take, so a bulk caller resends from
there on a new call; the stop does not wait out --grace for a stream that would never end within it."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from tests.integration.conftest_grpc import (
    ServerProcess,
    open_held_stream,
    sample_snapshot,
    server_factory,  # noqa: F401  (fixtures: pytest finds them by name)
)
from tests.integration.test_grpc_error_info import _detail, _error_info

GRACE_S = 60.0
"""Long, so that a stop that waits it out fails the test's own bound (the old behaviour) instead of passing late."""


def _bulk(count: int) -> Iterator[pb.EvaluateCustomerRequest]:
    snapshot = sample_snapshot(1, invoices=4)
    for index in range(count):
        yield pb.EvaluateCustomerRequest(snapshot=snapshot, request_id=f"item-{index}", as_of="2026-11-22")


def _stopped_exit(server: ServerProcess, started: float, processes: bool = False) -> None:
    assert server.proc.wait(timeout=GRACE_S / 2) == 0
    assert time.monotonic() - started < 10
    assert server.wait_for_event("process stopped" if processes else "stopped")["cut_off"] == 0


@pytest.mark.parametrize("model", [{"workers": 0}, {"workers": 1}, {"processes": 1}])
def test_a_stop_ends_an_open_stream_at_once_naming_the_first_item_it_did_not_take(server_factory: Any,
                                                                                   model: dict[str, int]) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0", "--grace", str(GRACE_S), **model)
    outbox, responses = open_held_stream(server)  # item 0, "before", answered
    started = time.monotonic()

    server.proc.send_signal(signal.SIGTERM)
    server.wait_for_event("stopping")
    outbox.put(pb.EvaluateCustomerRequest(snapshot=sample_snapshot(2), request_id="during"))
    with pytest.raises(grpc.RpcError) as ended:
        next(responses)

    assert ended.value.code() == grpc.StatusCode.UNAVAILABLE
    info = _error_info(ended.value)
    assert (info.reason, dict(info.metadata)) == ("SERVER_STOPPING", {"next_index": "1"})
    assert "index 1" in ended.value.details()
    assert _detail(ended.value, error_details_pb2.RetryInfo()) is not None
    _stopped_exit(server, started, "processes" in model)
    outbox.put(None)


def test_a_bulk_stream_cut_by_a_stop_has_every_item_before_next_index_answered_in_order(
        server_factory: Any) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0", "--grace", str(GRACE_S), workers=2)
    total = 20_000
    replies = server.stub().EvaluateCustomers(_bulk(total), timeout=GRACE_S)
    seen: list[pb.EvaluateCustomersResponse] = []
    with pytest.raises(grpc.RpcError) as ended:
        for reply in replies:
            seen.append(reply)
            if len(seen) == 50:  # the window is full by now, and the sender far ahead of it
                started = time.monotonic()
                server.proc.send_signal(signal.SIGTERM)

    next_index = int(_error_info(ended.value).metadata["next_index"])
    assert 50 <= next_index < total
    assert [(r.index, r.request_id) for r in seen] == [(i, f"item-{i}") for i in range(next_index)]
    assert all(r.WhichOneof("result") == "decision" for r in seen)
    _stopped_exit(server, started)
