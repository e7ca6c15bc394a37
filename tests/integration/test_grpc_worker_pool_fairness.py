# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""Fair dispatch in the worker pool: unary calls and streams are two classes a worker that frees takes
alternately, each EvaluateCustomers stream one flow taking turns with the others and each connection's
unary calls one flow taking turns with other connections', so an interactive call waits behind at most one
stream request and one call of each other busy connection, not behind a round of the streams, everything
one has queued or another caller's flood of unary calls. tests/unit/test_fair_line.py has the line's turns
on their own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import grpc

from adapters.grpc.engines import PIPELINE_DEPTH, WorkerPoolEngine
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2_grpc as pb_grpc
from tests.integration.conftest_grpc import (  # noqa: F401  (fixtures: pytest finds them by name)
    AS_OF,
    InProcessServer,
    inproc_server,
    order_request,
    pb,
    sample_snapshot,
)
from tests.integration.test_grpc_worker_pool import FILES, customer_of, request, with_pool


def started(pool: WorkerPoolEngine, name: str, index: int, flow: object | None,
            finished: list[str]) -> asyncio.Task[str]:
    """A call as its own task; its `name` goes to `finished` once answered (one worker answers in the
    order it was sent, so `finished` is the order of dispatch)."""

    async def call() -> str:
        reply, _outcome = await pool.run("check_order", request(index), flow=flow)
        finished.append(name)
        return pb.OrderDecision.FromString(reply).customer_id

    return asyncio.create_task(call())


def test_a_unary_call_goes_before_the_requests_a_busy_stream_queued_ahead_of_it() -> None:
    async def scenario(pool: WorkerPoolEngine) -> None:
        stream, finished = object(), []
        calls = [started(pool, f"s{i}", i, stream, finished) for i in range(10)]
        calls.append(started(pool, "unary", 20, None, finished))
        await asyncio.sleep(0)  # two are in the worker, the rest wait

        await asyncio.gather(*calls)

        # s0 and s1 were sent before anyone waited; then the unary class's turn, then the streams':
        # first come, first served it came eleventh, fair by flow alone fourth.
        assert finished[:PIPELINE_DEPTH + 2] == ["s0", "s1", "unary", "s2"]

    with_pool(1, scenario)


def test_two_streams_take_turns_and_each_keeps_its_own_order() -> None:
    async def scenario(pool: WorkerPoolEngine) -> None:
        a, b, finished = object(), object(), []
        calls = [started(pool, f"a{i}", i, a, finished) for i in range(6)]
        calls += [started(pool, f"b{i}", i, b, finished) for i in range(6)]
        await asyncio.sleep(0)

        await asyncio.gather(*calls)

        assert finished == ["a0", "a1", "a2", "b0", "a3", "b1", "a4", "b2", "a5", "b3", "b4", "b5"]

    with_pool(1, scenario)


def test_unary_calls_and_a_streams_requests_take_turns_alternately() -> None:
    async def scenario(pool: WorkerPoolEngine) -> None:
        stream, finished = object(), []
        calls = [started(pool, f"s{i}", i, stream, finished) for i in range(6)]
        calls += [started(pool, f"u{i}", 10 + i, None, finished) for i in range(3)]
        await asyncio.sleep(0)

        await asyncio.gather(*calls)

        assert finished == ["s0", "s1", "u0", "s2", "u1", "s3", "u2", "s4", "s5"]

    with_pool(1, scenario)


def test_a_stream_whose_waiting_requests_are_cancelled_leaves_the_line_and_the_others_are_answered() -> None:
    async def scenario(pool: WorkerPoolEngine) -> None:
        stream, finished = object(), []
        calls = [started(pool, f"s{i}", i, stream, finished) for i in range(6)]
        after = started(pool, "unary", 20, None, finished)
        await asyncio.sleep(0)
        for call in calls[2:]:
            call.cancel()  # waiting for room: never sent

        assert await after == customer_of_index(20)
        results = await asyncio.gather(*calls, return_exceptions=True)

        assert finished == ["s0", "s1", "unary"]
        assert all(isinstance(r, asyncio.CancelledError) for r in results[2:])
        assert pool._line.waiting == 0 and pool._line.flows_waiting() == 0
        assert await customer_of(pool, request(7)) == customer_of_index(7)

    with_pool(1, scenario)


def customer_of_index(index: int) -> str:
    return sample_snapshot(index).customer_id


class _Recording:
    """The served engine, noting the flow each call was dispatched with."""

    def __init__(self, real: Any):
        self.real, self.version = real, real.version
        self.flows: list[tuple[str, object | None]] = []

    async def run(self, kind: str, request: bytes, flow: object | None = None) -> Any:
        self.flows.append((kind, flow))
        return await self.real.run(kind, request, flow=flow)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def connection(server: InProcessServer) -> grpc.Channel:
    """A channel with a connection of its own (channels alike share one unless told not to)."""
    return grpc.insecure_channel(f"127.0.0.1:{server.port}", options=[("grpc.use_local_subchannel_pool", 1)])


def test_a_streams_items_share_one_flow_and_a_unary_calls_flow_is_its_connection(
        inproc_server: InProcessServer) -> None:
    served = inproc_server.host.served
    recording = _Recording(served.engine)
    served.engine = recording
    channels = connection(inproc_server), connection(inproc_server)
    stub, other = (pb_grpc.CreditPolicyServiceStub(channel) for channel in channels)
    item = pb.EvaluateCustomerRequest(snapshot=sample_snapshot(), as_of=AS_OF.isoformat())
    try:
        for _ in range(2):
            assert len(list(stub.EvaluateCustomers(iter([item] * 3), timeout=30))) == 3
        for client in (stub, stub, other):
            client.CheckOrder(order_request(), timeout=30)
    finally:
        served.engine = recording.real
        for channel in channels:
            channel.close()

    flows = [flow for _kind, flow in recording.flows]
    assert flows[0] is not None and flows[0] is flows[1] is flows[2] and not isinstance(flows[0], str)
    assert flows[3] is not None and flows[3] is flows[4] is flows[5] and flows[3] is not flows[0]
    assert [kind for kind, _flow in recording.flows[6:]] == ["check_order"] * 3
    assert str(flows[6]).startswith("ipv4:127.0.0.1:") and flows[6] == flows[7] != flows[8]


def test_in_process_with_a_store_thread_a_unary_call_goes_before_a_busy_streams_queued_requests() -> None:
    """--workers 0 with a SQL store decides on one store thread; its queue was first come, first served too."""
    from concurrent.futures import ThreadPoolExecutor

    from adapters.grpc.engines import STORE_THREAD_DEPTH, InProcessEngine
    from policy_engine.api import load_policy_from_files
    from policy_engine.ports import InMemoryStore
    from tests.integration.test_grpc_worker_pool import FILES

    async def main() -> list[str]:
        engine = InProcessEngine(load_policy_from_files(FILES), InMemoryStore([]), thread)
        stream, finished = object(), []

        async def call(name: str, index: int, flow: object | None) -> None:
            await engine.run("check_order", request(index), flow=flow)
            finished.append(name)

        calls = [asyncio.create_task(call(f"s{i}", i, stream)) for i in range(10)]
        calls.append(asyncio.create_task(call("unary", 20, None)))
        await asyncio.gather(*calls)
        await engine.aclose()
        return finished

    with ThreadPoolExecutor(1) as thread:
        finished = asyncio.run(main())

    ahead = [f"s{i}" for i in range(STORE_THREAD_DEPTH)]  # handed to the thread before anyone waited
    assert finished[:STORE_THREAD_DEPTH + 2] == [*ahead, "unary", f"s{STORE_THREAD_DEPTH}"]  # FCFS: eleventh


class _Gate:
    """The served engine: holds each call until `open`, then passes them on in the order they came and
    notes the customer each answer is for (one worker answers in the order it was sent)."""

    def __init__(self, real: Any):
        self.real, self.version = real, real.version
        self.arrived = 0
        self.opened = asyncio.Event()
        self.answered: list[str] = []

    async def run(self, kind: str, request: bytes, flow: object | None = None) -> Any:
        self.arrived += 1
        await self.opened.wait()  # its waiters wake in the order they came
        reply, outcome = await self.real.run(kind, request, flow)
        self.answered.append(pb.OrderDecision.FromString(reply).customer_id)
        return reply, outcome

    async def open(self) -> None:
        """Let the held calls go on (on the server's loop)."""
        self.opened.set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def until(condition: Callable[[], bool]) -> None:
    """Wait for the server's loop to reach `condition` (a condition, not a time, decides the test)."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "the calls did not reach the server"
        time.sleep(0.01)


def test_through_the_server_one_connections_flood_of_unary_calls_leaves_another_connections_call_its_turn(
        inproc_server: InProcessServer) -> None:
    served = inproc_server.host.served
    pool = inproc_server.run(WorkerPoolEngine(FILES, 1).start())
    gate = _Gate(pool)
    served.engine, real = gate, served.engine
    flood, interactive = connection(inproc_server), connection(inproc_server)
    try:
        check = {name: channel.unary_unary("/credit_policy.v1.CreditPolicyService/CheckOrder")
                 for name, channel in (("flood", flood), ("interactive", interactive))}
        calls = [check["flood"].future(request(i), timeout=60) for i in range(20)]
        until(lambda: gate.arrived == 20)
        calls.append(check["interactive"].future(request(20), timeout=60))
        until(lambda: gate.arrived == 21)

        inproc_server.run(gate.open())
        for call in calls:
            call.result()

        # Two of the flood went to the worker before anyone waited; then the flood's next, then the other
        # connection's call: first come, first served among unary calls it came twenty-first. (The server
        # starts one connection's calls in an order of its own: only the other connection's is placed.)
        assert gate.answered.index(customer_of_index(20)) == PIPELINE_DEPTH + 1
    finally:
        served.engine = real
        flood.close()
        interactive.close()
        inproc_server.run(pool.aclose(grace=5))
