"""Health Watch streams (gRPC's client-side health checking holds one open per connection) are bounded on their
own: however many are open, decision calls get their whole --max-in-flight and health checks still answer; past
the cap a new Watch is refused RESOURCE_EXHAUSTED naming the bound, counted and logged."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2_grpc as pb_grpc
from tests.integration.conftest_grpc import (  # noqa: F401  (fixtures: pytest finds them by name)
    RULES,
    TIMEOUT,
    Gated,
    order_request,
    server_factory,
    wait_for,
)

SERVICE = "credit_policy.v1.CreditPolicyService"
SERVING = health_pb2.HealthCheckResponse.SERVING
MAX_IN_FLIGHT = 8


@pytest.fixture
def serve() -> Iterator[Any]:
    """serve(max_health_watches=None) → (servicer, health, gated engine, port, run): an in-process server on
    port 0 with max_in_flight=MAX_IN_FLIGHT whose engine waits at a gate."""
    from adapters.grpc.health_watch import HealthService
    from adapters.grpc.host import PolicyHost
    from adapters.grpc.server import create_server
    from adapters.grpc.server_running import set_serving
    from adapters.grpc.servicer import CreditPolicyServicer

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    started: list[tuple[Any, Any, Gated]] = []

    def run(coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=60)

    def start(max_health_watches: int | None = None) -> tuple[Any, Any, Gated, int, Any]:
        async def boot() -> tuple[Any, Any, Any, Any, int]:
            host = PolicyHost(RULES, workers=0)
            await host.start()
            servicer = CreditPolicyServicer(host, max_in_flight=MAX_IN_FLIGHT)
            health = HealthService(host.metrics) if max_health_watches is None else HealthService(
                host.metrics, max_watches=max_health_watches)
            server, port = create_server("127.0.0.1:0", servicer, health_servicer=health)
            await server.start()
            await set_serving(health, True)
            return host, servicer, health, server, port

        host, servicer, health, server, port = run(boot())
        gated = Gated(host.served.engine)
        host.served.engine = gated
        started.append((host, server, gated))
        return servicer, health, gated, port, run

    yield start
    for host, server, gated in started:
        loop.call_soon_threadsafe(gated.gate.set)
        run(server.stop(None))
        host.served.engine = gated.real
        run(host.aclose())
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)


def open_watches(channels: list[grpc.Channel], count: int) -> list[Any]:
    """`count` Watch streams spread over `channels`, each read until its first reply: that reply's status, or the
    error code it failed with instead. The streams stay open (cancel them to end them)."""
    watches = [health_pb2_grpc.HealthStub(channels[i % len(channels)]).Watch(
        health_pb2.HealthCheckRequest(service=SERVICE)) for i in range(count)]
    firsts: list[Any] = []
    for watch in watches:
        try:
            firsts.append(next(watch).status)
        except grpc.RpcError as error:
            firsts.append((error.code(), error.details()))
    return [watches, firsts]


async def _open(gated: Gated) -> None:
    gated.gate.set()


def test_many_open_health_watches_leave_decision_calls_their_whole_max_in_flight(serve: Any) -> None:
    servicer, _health, gated, port, run = serve()
    channels = [grpc.insecure_channel(f"127.0.0.1:{port}") for _ in range(12)]
    stub = pb_grpc.CreditPolicyServiceStub(channels[0])
    watches, firsts = open_watches(channels, 120)  # more than the 100 calls once left for all control calls
    pool = concurrent.futures.ThreadPoolExecutor(MAX_IN_FLIGHT)

    held = [pool.submit(stub.CheckOrder, order_request(), timeout=30) for _ in range(MAX_IN_FLIGHT)]
    wait_for(lambda: gated.waiting == MAX_IN_FLIGHT or any(f.done() for f in held))
    with pytest.raises(grpc.RpcError) as past_the_limit:
        stub.CheckOrder(order_request(), timeout=TIMEOUT)
    checked = health_pb2_grpc.HealthStub(channels[1]).Check(health_pb2.HealthCheckRequest(), timeout=TIMEOUT)
    policy = stub.GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT)
    run(_open(gated))

    assert firsts == [SERVING] * 120
    assert [f.exception(timeout=30) for f in held] == [None] * MAX_IN_FLIGHT  # every place of --max-in-flight
    assert past_the_limit.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "(--max-in-flight)" in (past_the_limit.value.details() or "")  # ours, not gRPC's bare refusal
    assert checked.status == SERVING and policy.version == gated.version
    for watch in watches:
        watch.cancel()
    for channel in channels:
        channel.close()
    pool.shutdown()


def test_past_its_cap_a_health_watch_is_refused_naming_the_bound_counted_and_logged(
    serve: Any, caplog: pytest.LogCaptureFixture
) -> None:
    servicer, health, _gated, port, run = serve(max_health_watches=3)
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    stub = pb_grpc.CreditPolicyServiceStub(channel)
    run(_open(_gated))

    with caplog.at_level(logging.WARNING):
        watches, firsts = open_watches([channel], 5)
    decided = stub.CheckOrder(order_request(), timeout=TIMEOUT)
    checked = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=TIMEOUT)

    refused = [first for first in firsts if first != SERVING]  # the five open at once, admitted in any order
    assert len(refused) == 2
    for code, details in refused:
        assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "3 health Watch streams, its limit (--max-health-watches)" in details
    assert decided.outcome and checked.status == SERVING
    registry = servicer.metrics.registry
    assert registry.get_sample_value("credit_policy_grpc_health_watches") == 3
    assert registry.get_sample_value("credit_policy_grpc_max_health_watches") == 3
    assert registry.get_sample_value("credit_policy_grpc_requests_total",
                                     {"method": "Watch", "code": "RESOURCE_EXHAUSTED"}) == 2
    lines = [r for r in caplog.records if r.getMessage() == "health watches refused"]
    assert len(lines) == 1 and lines[0].fields["max_health_watches"] == 3  # type: ignore[attr-defined]

    watches[firsts.index(SERVING)].cancel()
    wait_for(lambda: health.watches == 2)
    again, first = open_watches([channel], 1)  # a place given back is taken again
    assert first == [SERVING]
    for watch in watches + again:
        watch.cancel()
    wait_for(lambda: health.watches == 0)
    channel.close()


def test_a_health_watch_naming_an_overlong_service_is_refused_rather_than_held(serve: Any) -> None:
    _servicer, health, _gated, port, _run = serve()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service="x" * 1_000_000))
    unknown = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service="no.such.Service"))

    with pytest.raises(grpc.RpcError) as caught:
        next(watch)

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details() == "service: a name of 1000000 characters, over 200"
    assert next(unknown).status == health_pb2.HealthCheckResponse.SERVICE_UNKNOWN  # the protocol's answer, kept open
    assert health.watches == 1
    unknown.cancel()
    channel.close()


@pytest.mark.parametrize("model", [{"workers": 1}, {"processes": 1}])
def test_the_flag_reaches_every_server_process(server_factory: Any, model: dict[str, int]) -> None:  # noqa: F811
    server = server_factory("--max-health-watches", "1", "--watch-interval", "0", **model)
    channel = server.channel()

    watches, firsts = open_watches([channel], 1)
    more, refused = open_watches([channel], 1)

    assert firsts == [SERVING]
    assert refused[0][0] == grpc.StatusCode.RESOURCE_EXHAUSTED and "(--max-health-watches)" in refused[0][1]
    assert server.stub().CheckOrder(order_request(), timeout=TIMEOUT).outcome
    line = server.wait_for_event("health watches refused")
    assert line["max_health_watches"] == 1 and line["watches"] == 1
    for watch in watches + more:
        watch.cancel()
