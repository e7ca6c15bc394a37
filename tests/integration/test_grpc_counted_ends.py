# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""What `credit_policy_grpc_requests_total` counts for calls that end before they are answered: a stream
cancelled around its last reply (docs/service.md, Metrics)."""

from __future__ import annotations

import queue
from typing import Any

import grpc
import pytest

from tests.integration.conftest_grpc import (  # noqa: F401  (fixtures: pytest finds them by name)
    ServerProcess,
    grpc_server,
    pb,
    sample_snapshot,
)
from tests.integration.test_grpc_service import counted, settled

REPEATS = 5
"""Each stream case is run this often: the cases these tests pin down came out the same in 20 runs of 20."""


def counts(server: ServerProcess, method: str, *codes: str) -> list[float]:
    """credit_policy_grpc_requests_total of `method` for each of `codes`, once no call is in flight."""
    page = settled(server)
    return [counted(page, method, code) for code in codes]


def open_stream(server: ServerProcess, asked: int, close: bool) -> tuple[Any, queue.Queue[Any]]:
    """An EvaluateCustomers stream that has sent `asked` requests (and closed its side if `close`)."""
    outbox: queue.Queue[Any] = queue.Queue()
    for i in range(asked):
        outbox.put(pb.EvaluateCustomerRequest(snapshot=sample_snapshot(i), request_id=str(i)))
    if close:
        outbox.put(None)
    return server.stub().EvaluateCustomers(iter(outbox.get, None), timeout=30), outbox


@pytest.mark.parametrize("read", [3, 2], ids=["after-the-last-reply", "before-the-last-reply"])
def test_a_stream_cancelled_before_its_caller_closed_its_side_is_counted_cancelled(
        grpc_server: ServerProcess, read: int) -> None:
    for _ in range(REPEATS):
        before = counts(grpc_server, "EvaluateCustomers", "OK", "CANCELLED")
        replies, outbox = open_stream(grpc_server, 3, close=False)
        for _ in range(read):
            next(replies)

        replies.cancel()
        outbox.put(None)  # lets the client's request thread go

        assert replies.code() == grpc.StatusCode.CANCELLED
        after = counts(grpc_server, "EvaluateCustomers", "OK", "CANCELLED")
        assert [a - b for a, b in zip(after, before, strict=True)] == [0, 1]


def test_a_stream_the_service_completed_is_counted_ok_though_its_caller_cancels_before_reading_the_end(
        grpc_server: ServerProcess) -> None:
    # What the server cannot see (docs/service.md, Metrics): the caller closed its side, the service sent
    # every reply and the status OK (counted), and the caller, its last reply unread, cancels. A grpcio
    # client then says CANCELLED, on its own: it holds the status back until every reply has been read,
    # and sends nothing, the stream being over on both sides.
    before = counts(grpc_server, "EvaluateCustomers", "OK", "CANCELLED")
    replies, _ = open_stream(grpc_server, 3, close=True)
    next(replies)
    next(replies)
    after = counts(grpc_server, "EvaluateCustomers", "OK", "CANCELLED")  # the stream has ended here

    replies.cancel()

    assert replies.code() == grpc.StatusCode.CANCELLED
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 0]
    assert counts(grpc_server, "EvaluateCustomers", "OK", "CANCELLED") == after
