# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""What `credit_policy_grpc_requests_total` counts for calls that end before they are answered: a unary call
whose request never arrived, and a stream cancelled around its last reply (docs/service.md, Metrics)."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from tests.integration.conftest_grpc import (  # noqa: F401  (fixtures: pytest finds them by name)
    ROOT,
    ServerProcess,
    grpc_server,
    order_request,
    pb,
    sample_snapshot,
    server_factory,
)
from tests.integration.test_grpc_error_info import _error_info, _reasons
from tests.integration.test_grpc_service import counted, scrape, settled

SERVICE = "/credit_policy.v1.CreditPolicyService/"
REPEATS = 5
"""Each stream case is run this often: the cases these tests pin down came out the same in 20 runs of 20."""


def held_back(release: threading.Event) -> Iterator[bytes]:
    """A request stream that sends its one (empty) request only once `release` is set."""
    release.wait()
    yield b""


def counts(server: ServerProcess, method: str, *codes: str) -> list[float]:
    """credit_policy_grpc_requests_total of `method` for each of `codes`, once no call is in flight."""
    page = settled(server)
    return [counted(page, method, code) for code in codes]


def counts_once_changed(server: ServerProcess, method: str, before: list[float], *codes: str) -> list[float]:
    """counts() once they differ from `before` (or after 10 s): a call without its request is counted when
    gRPC ends it, which may come after its caller was told."""
    deadline = time.monotonic() + 10
    while counts(server, method, *codes) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # a second count, which would be wrong, has its chance to show
    return counts(server, method, *codes)


@pytest.mark.parametrize("method", ["CheckOrder", "EvaluateCustomer"])
def test_a_call_whose_deadline_passes_before_its_request_arrives_is_counted_deadline_exceeded(
        grpc_server: ServerProcess, method: str) -> None:
    # A big request under load can take longer to arrive than its deadline: here the request is held
    # back outright. gRPC used to end such a call without handing it to the service (never counted).
    call = grpc_server.channel().stream_unary(SERVICE + method)  # a unary call's wire, its one message late
    before = counts(grpc_server, method, "DEADLINE_EXCEEDED", "CANCELLED")
    release = threading.Event()

    with pytest.raises(grpc.RpcError) as caught:
        call(held_back(release), timeout=0.5)
    release.set()

    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    after = counts_once_changed(grpc_server, method, before, "DEADLINE_EXCEEDED", "CANCELLED")
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 0]


def test_calls_whose_deadline_passes_before_the_service_takes_them_are_counted_deadline_exceeded(
        server_factory: Callable[..., ServerProcess], tmp_path: Path) -> None:
    # The in-process engine decides on the event loop: a decision made slow on purpose (tests/fault_injection)
    # holds it for a second, longer than the deadlines of the calls that come meanwhile. None was counted.
    delay = tmp_path / "engine-delay"
    server = server_factory(workers=0, name="slow-engine", env={
        "PYTHONPATH": str(ROOT / "tests" / "fault_injection"), "CREDIT_POLICY_TEST_ENGINE_DELAY": str(delay)})
    stub = server.stub()
    stub.CheckOrder(order_request(), timeout=10)  # connected, and one OK
    delay.write_text("1")
    slow = stub.CheckOrder.future(order_request(), timeout=10)
    while "\ncredit_policy_grpc_in_flight 1.0\n" not in scrape(server):  # taken: about to hold the loop
        time.sleep(0.02)
    time.sleep(0.1)

    late = [stub.CheckOrder.future(order_request(), timeout=0.2) for _ in range(5)]
    delay.unlink()  # read by the slow decision already
    slow.result()

    assert {call.code() for call in late} == {grpc.StatusCode.DEADLINE_EXCEEDED}
    assert counts_once_changed(server, "CheckOrder", [1, 0], "OK", "DEADLINE_EXCEEDED") == [2, 5]


def test_a_call_that_sends_no_request_is_answered_invalid_argument_at_once_and_counted(
        grpc_server: ServerProcess) -> None:
    # Such a caller used to wait for its deadline (forever without one), and was never counted.
    call = grpc_server.channel().stream_unary(SERVICE + "CheckOrder")
    before = counts(grpc_server, "CheckOrder", "INVALID_ARGUMENT")

    with pytest.raises(grpc.RpcError) as caught:
        call(iter([]), timeout=10)

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "no request" in (caught.value.details() or "")
    assert _error_info(caught.value).reason == "INVALID_REQUEST"
    assert _reasons(caught.value) == {"request": "REQUIRED"}
    assert counts_once_changed(grpc_server, "CheckOrder", before, "INVALID_ARGUMENT") == [before[0] + 1]


IN_FLIGHT = "\ncredit_policy_grpc_in_flight {}\n"


def in_flight_becomes(server: ServerProcess, value: float) -> None:
    """Wait (up to 10 s) until the in-flight gauge shows `value`."""
    deadline = time.monotonic() + 10
    while IN_FLIGHT.format(value) not in scrape(server):
        assert time.monotonic() < deadline, f"in flight never {value}"
        time.sleep(0.02)


@pytest.mark.parametrize("method", ["CheckOrder", "EvaluateCustomer", "GetPolicy"])
def test_a_call_cancelled_before_its_request_arrives_is_in_flight_until_then_and_counted_cancelled(
        grpc_server: ServerProcess, method: str) -> None:
    # Such a call was never counted, and the gauge left it out although its caller was waiting.
    call = grpc_server.channel().stream_unary(SERVICE + method)
    before = counts(grpc_server, method, "CANCELLED", "DEADLINE_EXCEEDED")
    release = threading.Event()
    pending = call.future(held_back(release), timeout=30)

    if method == "GetPolicy":  # a control call: never in the decision calls' gauge
        time.sleep(0.3)
    else:
        in_flight_becomes(grpc_server, 1.0)
    pending.cancel()
    release.set()

    assert pending.code() == grpc.StatusCode.CANCELLED
    after = counts_once_changed(grpc_server, method, before, "CANCELLED", "DEADLINE_EXCEEDED")
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 0]


def test_a_call_whose_caller_closes_its_channel_before_its_request_arrives_is_counted_cancelled(
        grpc_server: ServerProcess) -> None:
    channel = grpc.insecure_channel(grpc_server.address)
    before = counts(grpc_server, "CheckOrder", "CANCELLED")
    release = threading.Event()
    pending = channel.stream_unary(SERVICE + "CheckOrder").future(held_back(release), timeout=30)  # kept: a call
    in_flight_becomes(grpc_server, 1.0)  # dropped by the caller is cancelled

    channel.close()
    release.set()

    assert pending.code() == grpc.StatusCode.CANCELLED  # what the caller's side says of a closed channel
    assert counts_once_changed(grpc_server, "CheckOrder", before, "CANCELLED") == [before[0] + 1]


def test_a_request_over_the_size_bound_is_counted_cancelled_as_the_service_cannot_tell_it_from_a_cancel(
        grpc_server: ServerProcess) -> None:
    # gRPC answers RESOURCE_EXHAUSTED itself; the service sees the request end with none, then the call ended,
    # exactly as for a caller who cancelled (docs/service.md, Errors).
    call = grpc_server.channel().stream_unary(SERVICE + "CheckOrder")
    before = counts(grpc_server, "CheckOrder", "CANCELLED", "RESOURCE_EXHAUSTED")

    with pytest.raises(grpc.RpcError) as caught:
        call(iter([b"\0" * (9 << 20)]), timeout=30)

    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    after = counts_once_changed(grpc_server, "CheckOrder", before, "CANCELLED", "RESOURCE_EXHAUSTED")
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 0]


def test_get_policy_reads_its_request_as_the_decision_calls_do(grpc_server: ServerProcess) -> None:
    call = grpc_server.channel().stream_unary(SERVICE + "GetPolicy")
    before = counts(grpc_server, "GetPolicy", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED")
    release = threading.Event()

    with pytest.raises(grpc.RpcError) as empty:
        call(iter([]), timeout=10)
    with pytest.raises(grpc.RpcError) as late:
        call(held_back(release), timeout=0.5)
    release.set()

    assert (empty.value.code(), late.value.code()) == (grpc.StatusCode.INVALID_ARGUMENT,
                                                       grpc.StatusCode.DEADLINE_EXCEEDED)
    after = counts_once_changed(grpc_server, "GetPolicy", before, "INVALID_ARGUMENT", "DEADLINE_EXCEEDED")
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1]


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
        # The caller is told before the server has ended the stream: wait for its count (one CI run read it first).
        after = counts_once_changed(grpc_server, "EvaluateCustomers", before, "OK", "CANCELLED")
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
