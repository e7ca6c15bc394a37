"""The worker pool's dispatch: pipelined requests, each answer to its own caller, in order, whatever
callers cancel, big requests only to an idle worker, a dead worker replaced while callers wait, and
the requests held by a worker whose rule engine closed sent on to another."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.grpc import runtime
from adapters.grpc.engines import PIPELINE_DEPTH, PIPELINE_MAX_BYTES, WorkerPoolEngine
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from policy_engine.domain.errors import EngineFailure
from policy_engine.engine import MAX_REPLACEMENTS
from policy_engine.rules.loader import read_rule_files
from tests.integration.conftest_grpc import ROOT, RULES, order_request, sample_snapshot

FILES = read_rule_files(RULES)
FAULTS = ROOT / "tests" / "fault_injection"


def with_pool(workers: int, scenario: Callable[[WorkerPoolEngine], Awaitable[None]],
              event_loop: str = "asyncio") -> None:
    """Run `scenario` against a fresh pool of `workers` processes on its own event loop (`asyncio`, or
    `uvloop`, which the service runs on by default)."""

    async def main() -> None:
        pool = await WorkerPoolEngine(FILES, workers).start()
        try:
            await asyncio.wait_for(scenario(pool), 60)
        finally:
            await pool.aclose(grace=5)

    runtime.run(main(), event_loop)


def request(index: int, invoices: int = 24) -> bytes:
    return order_request(sample_snapshot(index, invoices)).SerializeToString()


async def customer_of(pool: WorkerPoolEngine, data: bytes) -> str:
    reply, _outcome = await pool.run("check_order", data)
    return pb.OrderDecision.FromString(reply).customer_id


def expected(index: int) -> str:
    return sample_snapshot(index).customer_id


def held(pool: WorkerPoolEngine) -> list[int]:
    return [len(w.pending) for w in pool._workers]


def test_pipelined_requests_each_get_their_own_answer_in_turn() -> None:
    async def scenario(pool: WorkerPoolEngine) -> None:
        calls = [asyncio.create_task(customer_of(pool, request(i))) for i in range(12)]
        finished: list[int] = []
        for i, call in enumerate(calls):
            call.add_done_callback(lambda _call, i=i: finished.append(i))
        await asyncio.sleep(0)  # every call has been dispatched or queued; no answer has been read yet
        assert held(pool) == [PIPELINE_DEPTH]  # the worker holds the one it decides and the next
        assert pool._line.waiting == 12 - PIPELINE_DEPTH
        assert await asyncio.gather(*calls) == [expected(i) for i in range(12)]
        assert finished == list(range(12))  # one worker, first come first served
        assert held(pool) == [0] and pool._line.waiting == 0

    with_pool(1, scenario)


def test_two_workers_share_the_calls_and_every_answer_goes_to_its_caller() -> None:
    async def scenario(pool: WorkerPoolEngine) -> None:
        calls = [asyncio.create_task(customer_of(pool, request(i))) for i in range(40)]
        await asyncio.sleep(0)
        assert held(pool) == [PIPELINE_DEPTH, PIPELINE_DEPTH]
        assert await asyncio.gather(*calls) == [expected(i) for i in range(40)]

    with_pool(2, scenario)


def test_a_cancelled_call_does_not_shift_the_answers_of_the_others() -> None:
    async def scenario(pool: WorkerPoolEngine) -> None:
        calls = [asyncio.create_task(customer_of(pool, request(i))) for i in range(6)]
        await asyncio.sleep(0)
        calls[1].cancel()  # sent and waiting in the worker's pipe: its answer will come and go nowhere
        calls[3].cancel()  # still waiting for room: never sent
        results = await asyncio.gather(*calls, return_exceptions=True)
        assert isinstance(results[1], asyncio.CancelledError) and isinstance(results[3], asyncio.CancelledError)
        assert [results[i] for i in (0, 2, 4, 5)] == [expected(i) for i in (0, 2, 4, 5)]
        assert held(pool) == [0]
        assert await customer_of(pool, request(7)) == expected(7)

    with_pool(1, scenario)


def test_a_big_request_waits_for_an_idle_worker_and_keeps_its_turn() -> None:
    big = request(2, invoices=600)
    assert len(big) > PIPELINE_MAX_BYTES  # the premise of the test

    async def scenario(pool: WorkerPoolEngine) -> None:
        first = asyncio.create_task(customer_of(pool, request(1)))
        second = asyncio.create_task(customer_of(pool, big))
        third = asyncio.create_task(customer_of(pool, request(3)))
        await asyncio.sleep(0)
        # The big one may not queue behind the first in the worker's pipe, and the small one after it
        # may not overtake it: both wait.
        assert held(pool) == [1] and pool._line.waiting == 2
        assert await asyncio.gather(first, second, third) == [expected(1), expected(2), expected(3)]

    with_pool(1, scenario)


def test_calls_wait_for_the_replacement_of_a_killed_worker() -> None:
    async def scenario(pool: WorkerPoolEngine) -> None:
        victim = pool._workers[0].process.pid
        assert victim is not None
        os.kill(victim, signal.SIGKILL)
        while pool._workers[0].serving and pool._workers[0].process.pid == victim:
            await asyncio.sleep(0.01)  # until the pool has seen the pipe close (a call sent before then fails)
        answers = await asyncio.gather(*(customer_of(pool, request(i)) for i in range(3)))
        assert answers == [expected(i) for i in range(3)]
        assert pool._workers[0].process.pid != victim

    with_pool(1, scenario)


def test_callers_waiting_when_the_pool_closes_are_refused_not_left_hanging() -> None:
    async def scenario(pool: WorkerPoolEngine) -> None:
        calls = [asyncio.create_task(customer_of(pool, request(i))) for i in range(5)]
        await asyncio.sleep(0)
        closing = asyncio.create_task(pool.aclose(grace=0))
        results: list[Any] = await asyncio.gather(*calls, return_exceptions=True)
        await closing
        answered = [r for r in results if isinstance(r, str)]
        refused = [r for r in results if not isinstance(r, str)]
        assert answered == [expected(i) for i in range(len(answered))]
        assert all("closed" in str(r) or "died" in str(r) for r in refused), refused

    with_pool(1, scenario)


def overdue_customer(index: int, invoices: int) -> bytes:
    """An EvaluateCustomer request whose reply is big: every open invoice is overdue and gets its own
    collection reminder (~300 bytes of reply each)."""
    snapshot = pb.CustomerSnapshot(customer_id=f"OVERDUE{index}", relationship_since="2020-01-01")
    for i in range(invoices):
        snapshot.invoices.add(invoice_id=f"INV-{i}", issued_on="2026-08-01", due_on="2026-09-01", amount="1000.00")
    return pb.EvaluateCustomerRequest(snapshot=snapshot, as_of="2026-11-22").SerializeToString()


@pytest.mark.parametrize("event_loop", ["asyncio", "uvloop"])
def test_big_requests_and_big_replies_pass_whole_on_either_event_loop(event_loop: str) -> None:
    """uvloop's add_reader makes the pipe non-blocking, and a multiprocessing Connection then fails
    half-way through a message bigger than the socket holds at that moment (BlockingIOError, taken for
    a dead worker: INTERNAL, and the worker replaced). Big and small calls, all at once, all answered
    by the workers that started."""
    big_reply = overdue_customer(1, 150)
    big_request = request(7, invoices=5000)
    assert len(big_request) > 8 * PIPELINE_MAX_BYTES  # bigger than a socket pair's buffer

    async def evaluated(pool: WorkerPoolEngine, data: bytes) -> int:
        reply, _outcome = await pool.run("evaluate", data)
        decision = pb.CustomerDecision.FromString(reply)
        assert decision.customer_id == "OVERDUE1"
        return len(reply)

    async def scenario(pool: WorkerPoolEngine) -> None:
        pids = [w.process.pid for w in pool._workers]
        for _ in range(3):
            calls = [evaluated(pool, big_reply) for _ in range(4)]
            calls += [customer_of(pool, big_request) for _ in range(2)]
            calls += [customer_of(pool, request(i)) for i in range(6)]
            results = await asyncio.gather(*calls)
            assert all(size > 2 * 16384 for size in results[:4]), results[:4]  # replies the worker writes in parts
            assert results[4:] == [expected(7)] * 2 + [expected(i) for i in range(6)]
        assert [w.process.pid for w in pool._workers] == pids  # none was taken for dead and replaced

    with_pool(2, scenario, event_loop)


def test_two_requests_at_the_size_bound_fit_in_the_worker_socket_buffer() -> None:
    # What lets the event loop's blocking write to a busy worker never wait: the pipe is a socket
    # pair, and the one request already waiting in it plus the one being sent fit in its buffer.
    a, b = socket.socketpair()
    try:
        assert 2 * PIPELINE_MAX_BYTES <= a.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
    finally:
        a.close()
        b.close()


def test_calls_held_by_a_worker_whose_engine_closed_go_to_its_replacement(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The call that closes a worker's engine fails; the request already waiting in its pipe was never
    read, so it is sent on (here to the replacement) instead of failing with it."""
    switch = tmp_path / "engine-faults"
    pythonpath = os.pathsep.join(filter(None, [str(FAULTS), os.environ.get("PYTHONPATH")]))
    monkeypatch.setenv("PYTHONPATH", pythonpath)  # the spawned worker imports the fault switch at start-up
    monkeypatch.setenv("CREDIT_POLICY_TEST_ENGINE_FAULTS", str(switch))
    closing = MAX_REPLACEMENTS + 1
    calls = closing + 4

    async def scenario(pool: WorkerPoolEngine) -> None:
        assert await customer_of(pool, request(0)) == expected(0)
        first = pool._workers[0].process.pid
        switch.write_text(str(closing))
        tasks = [asyncio.create_task(customer_of(pool, request(i))) for i in range(calls)]
        await asyncio.sleep(0)
        assert held(pool) == [PIPELINE_DEPTH]  # the closing call will have the next one behind it
        results: list[Any] = await asyncio.gather(*tasks, return_exceptions=True)
        failed = [i for i, r in enumerate(results) if not isinstance(r, str)]
        assert failed == list(range(closing)), results[closing - 1:]
        assert all(isinstance(results[i], EngineFailure) for i in failed)
        assert results[closing:] == [expected(i) for i in range(closing, calls)]
        assert pool._workers[0].process.pid != first

    with_pool(1, scenario)


def _next_version() -> tuple[bytes, str]:
    """The shipped rules with a comment added (a new version): its program bytes and its version."""
    from policy_engine.api import load_policy_from_files, program_bytes

    files = dict(FILES)
    first = sorted(files)[0]
    files[first] += "\n# reviewed\n"
    policy = load_policy_from_files(files)
    try:
        return program_bytes(policy), policy.version
    finally:
        policy.close()


async def version_of(pool: WorkerPoolEngine, data: bytes) -> str:
    _reply, outcome = await pool.run("check_order", data)
    return outcome.version


def of_this_build(pickled: bytes) -> bytes:
    """`pickled` as a program of this build (policy_engine.program): the workers unpickle it."""
    from policy_engine.program import MAGIC, program_build

    return MAGIC + program_build().encode() + b"\n" + pickled


class _DiesWhenRead:
    """Unpickled in a worker, ends that worker at once (as a crash in the engine's core would)."""

    def __reduce__(self) -> tuple[Any, ...]:
        return os._exit, (9,)


def test_a_new_version_is_swapped_into_the_running_workers_between_two_calls() -> None:
    """No new process: each worker builds the version from the program beside the one it serves, then
    all switch together. A call sent after the swap is decided by the new version, whichever worker takes
    it; calls in flight across it all succeed; a worker replaced later starts on the new version."""
    program, new = _next_version()

    async def scenario(pool: WorkerPoolEngine) -> None:
        old, pids = pool.version, [w.process.pid for w in pool._workers]
        assert new != old
        before = [asyncio.create_task(version_of(pool, request(i))) for i in range(30)]
        await asyncio.sleep(0)
        sent_before = sum(held(pool))  # sent to a worker before the swap; the others wait for room
        assert await pool.load(program, new, {}) is True
        assert pool.version == new and [w.process.pid for w in pool._workers] == pids
        after = await asyncio.gather(*(version_of(pool, request(i)) for i in range(10)))
        versions = await asyncio.gather(*before)
        assert versions[:sent_before] == [old] * sent_before
        assert set(versions[sent_before:]) <= {old, new} and after == [new] * 10
        assert versions == sorted(versions, key=lambda v: v == new)  # never the old one after the new

        victim = pool._workers[0].process.pid
        assert victim is not None
        os.kill(victim, signal.SIGKILL)
        while pool._workers[0].process.pid == victim or not pool._workers[0].serving:
            await asyncio.sleep(0.01)
        assert await asyncio.gather(*(version_of(pool, request(i)) for i in range(6))) == [new] * 6

    with_pool(2, scenario)


def test_a_version_the_workers_cannot_build_is_not_swapped_and_the_old_one_serves() -> None:
    _program, new = _next_version()
    import pickle

    async def scenario(pool: WorkerPoolEngine) -> None:
        old, pids = pool.version, [w.process.pid for w in pool._workers]
        assert await pool.load(of_this_build(b"\x80\x05not a program"), new, {}) is False
        assert pool.version == old and [w.process.pid for w in pool._workers] == pids
        assert await asyncio.gather(*(version_of(pool, request(i)) for i in range(6))) == [old] * 6

        # A worker that dies while it prepares: not swapped; its replacement serves the old version.
        assert await pool.load(of_this_build(pickle.dumps(_DiesWhenRead())), new, {}) is False
        while not all(w.serving for w in pool._workers):
            await asyncio.sleep(0.01)
        assert pool.version == old
        assert await asyncio.gather(*(version_of(pool, request(i)) for i in range(6))) == [old] * 6

    with_pool(2, scenario)
