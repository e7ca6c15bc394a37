# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""Fair dispatch in the worker pool: unary calls and streams are two classes a worker that frees takes
alternately, each EvaluateCustomers stream one flow taking turns with the others, so an interactive call
waits behind at most one stream request, not behind a round of the streams or everything one has queued.
tests/unit/test_fair_line.py has the line's turns on their own."""

from __future__ import annotations

import asyncio
from typing import Any

from adapters.grpc.engines import PIPELINE_DEPTH, WorkerPoolEngine
from tests.integration.conftest_grpc import (  # noqa: F401  (fixtures: pytest finds them by name)
    AS_OF,
    InProcessServer,
    inproc_server,
    order_request,
    pb,
    sample_snapshot,
)
from tests.integration.test_grpc_worker_pool import customer_of, request, with_pool


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


def test_a_streams_items_share_one_flow_and_each_unary_call_has_none(inproc_server: InProcessServer) -> None:
    served = inproc_server.host.served
    recording = _Recording(served.engine)
    served.engine = recording
    stub = inproc_server.stub()
    item = pb.EvaluateCustomerRequest(snapshot=sample_snapshot(), as_of=AS_OF.isoformat())
    try:
        for _ in range(2):
            assert len(list(stub.EvaluateCustomers(iter([item] * 3), timeout=30))) == 3
        stub.CheckOrder(order_request(), timeout=30)
    finally:
        served.engine = recording.real

    flows = [flow for _kind, flow in recording.flows]
    assert flows[0] is not None and flows[0] is flows[1] is flows[2]
    assert flows[3] is not None and flows[3] is flows[4] is flows[5] and flows[3] is not flows[0]
    assert recording.flows[6] == ("check_order", None)


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
