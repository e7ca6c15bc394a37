# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""`serve --max-in-flight`: past its limit of decision calls a server process answers
RESOURCE_EXHAUSTED at once, naming the flag, counts the refusals in its metrics and logs them
(at most every 10 s), and keeps answering health checks and GetPolicy."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import re
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.integration.conftest_grpc import (  # noqa: F401  (fixtures: pytest finds them by name)
    RULES,
    TIMEOUT,
    Gated,
    order_request,
    pb,
    pb_grpc,
    sample_snapshot,
    server_factory,
    wait_for,
)

LIMIT = 2


@pytest.fixture
def limited() -> Iterator[tuple[Any, Gated, int, Any]]:
    """An in-process server with max_in_flight=LIMIT whose engine waits at a gate: (servicer, gate, port, run)."""
    from adapters.grpc.host import PolicyHost
    from adapters.grpc.server import create_server
    from adapters.grpc.servicer import CreditPolicyServicer

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def run(coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=60)

    async def boot() -> tuple[Any, Any, Any, int]:
        host = PolicyHost(RULES, workers=0)
        await host.start()
        servicer = CreditPolicyServicer(host, max_in_flight=LIMIT)
        server, port = create_server("127.0.0.1:0", servicer)
        await server.start()
        return host, servicer, server, port

    host, servicer, server, port = run(boot())
    gated = Gated(host.served.engine, loop)
    host.served.engine = gated
    yield servicer, gated, port, run
    loop.call_soon_threadsafe(gated.gate.set)
    run(server.stop(5))
    host.served.engine = gated.real
    run(host.aclose())
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)


def refused_count(servicer: Any, method: str) -> float:
    return float(servicer.metrics.requests.labels(method, "RESOURCE_EXHAUSTED")._value.get())


def test_past_the_limit_a_call_is_refused_at_once_counted_and_logged(
    limited: tuple[Any, Gated, int, Any], caplog: pytest.LogCaptureFixture
) -> None:
    servicer, gated, port, run = limited
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    stub = pb_grpc.CreditPolicyServiceStub(channel)
    pool = concurrent.futures.ThreadPoolExecutor(LIMIT)
    held = [pool.submit(stub.CheckOrder, order_request(), timeout=30) for _ in range(LIMIT)]
    wait_for(lambda: gated.waiting == LIMIT and servicer.in_flight == LIMIT)

    with caplog.at_level(logging.WARNING):
        errors = []
        for call in (stub.CheckOrder, stub.EvaluateCustomer):
            request = order_request() if call is stub.CheckOrder else pb.EvaluateCustomerRequest(
                snapshot=sample_snapshot())
            with pytest.raises(grpc.RpcError) as caught:
                call(request, timeout=TIMEOUT)
            errors.append(caught.value)
        # the control calls are outside the limit
        assert stub.GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT).version == gated.version
        health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=TIMEOUT)
        assert health.status == health_pb2.HealthCheckResponse.SERVING

    for error in errors:
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "deciding 2 calls, its limit (--max-in-flight)" in error.details()
    assert gated.waiting == LIMIT, "a refused call reached the engine"
    assert gauge(servicer, "in_flight") == LIMIT and gauge(servicer, "max_in_flight") == LIMIT
    assert refused_count(servicer, "CheckOrder") == 1 and refused_count(servicer, "EvaluateCustomer") == 1
    lines = [r for r in caplog.records if r.getMessage().startswith("calls refused")
             or getattr(r, "event", None) == "calls refused"]  # fmt: skip
    assert len(lines) == 1, [r.getMessage() for r in caplog.records]  # once, not once per refused call

    run(_open(gated))
    assert all(f.result(timeout=30).outcome for f in held)
    wait_for(lambda: servicer.in_flight == 0)
    assert gauge(servicer, "in_flight") == 0
    assert stub.CheckOrder(order_request(), timeout=TIMEOUT).outcome  # room again
    channel.close()
    pool.shutdown()


def gauge(servicer: Any, name: str) -> float:
    """A gauge's value as a scrape would read it."""
    return float(servicer.metrics.registry.get_sample_value(f"credit_policy_grpc_{name}"))


def scraped(port: int, name: str) -> float | None:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    found = re.search(rf"^credit_policy_grpc_{name} (\S+)$", text, re.M)
    return float(found.group(1)) if found else None


async def _open(gated: Gated) -> None:
    gated.gate.set()


def test_an_open_stream_takes_a_place_until_it_ends(limited: tuple[Any, Gated, int, Any]) -> None:
    servicer, gated, port, run = limited
    run(_open(gated))
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    stub = pb_grpc.CreditPolicyServiceStub(channel)
    feeds = [threading.Event() for _ in range(LIMIT)]

    def idle(feed: threading.Event) -> Iterator[pb.EvaluateCustomerRequest]:
        feed.wait(30)
        return
        yield  # a generator that sends nothing until told to end

    streams = [stub.EvaluateCustomers(idle(feed), timeout=30) for feed in feeds]
    wait_for(lambda: servicer.in_flight == LIMIT)
    with pytest.raises(grpc.RpcError) as caught:
        stub.CheckOrder(order_request(), timeout=TIMEOUT)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    refused = stub.EvaluateCustomers(iter([pb.EvaluateCustomerRequest(snapshot=sample_snapshot())]), timeout=TIMEOUT)
    with pytest.raises(grpc.RpcError) as caught:
        list(refused)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED

    for feed, stream in zip(feeds, streams, strict=True):
        feed.set()
        assert list(stream) == []
    wait_for(lambda: servicer.in_flight == 0)
    assert stub.CheckOrder(order_request(), timeout=TIMEOUT).outcome
    channel.close()


@pytest.mark.parametrize("model", ["workers", "processes"])
def test_the_flag_reaches_every_server_process(server_factory: Any, model: str) -> None:
    # One open stream holds the single place, so the next decision call is refused.
    kwargs = {"processes": 1} if model == "processes" else {"workers": 1}
    server = server_factory("--max-in-flight", "1", **kwargs)
    stub = server.stub()
    feed = threading.Event()

    def idle() -> Iterator[pb.EvaluateCustomerRequest]:
        feed.wait(30)
        return
        yield

    stream = stub.EvaluateCustomers(idle(), timeout=60)
    try:
        # Admitted first (the gauge, copied every 0.5 s under --processes, read at the scrape otherwise): a call
        # takes its place at its start, its request not yet read, so one made meanwhile could take it first.
        deadline = time.monotonic() + 10
        while scraped(server.metrics_port, "in_flight") != 1.0:
            assert time.monotonic() < deadline, scraped(server.metrics_port, "in_flight")
            time.sleep(0.1)
        with pytest.raises(grpc.RpcError) as refused_call:
            stub.CheckOrder(order_request(), timeout=TIMEOUT)
        assert refused_call.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "--max-in-flight" in (refused_call.value.details() or "")
        assert scraped(server.metrics_port, "max_in_flight") == 1.0
    finally:
        feed.set()
        list(stream)
    assert stub.CheckOrder(order_request(), timeout=TIMEOUT).outcome
    deadline = time.monotonic() + 10
    while scraped(server.metrics_port, "in_flight") != 0.0:
        assert time.monotonic() < deadline, scraped(server.metrics_port, "in_flight")
        time.sleep(0.1)
    refused = server.wait_for_event("calls refused")
    assert refused["max_in_flight"] == 1 and refused["refused"] >= 1
