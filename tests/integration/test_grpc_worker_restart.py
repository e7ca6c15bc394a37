"""An engine worker whose replacement cannot start: each failed start is logged with its reason and
tried again after a growing pause until a replacement serves; meanwhile, with no worker running, calls
are UNAVAILABLE at once and health says NOT_SERVING; closing the pool stops the retries and leaves no
process or pipe behind. And a pool whose start timed out leaves nothing that keeps the next from starting.

Mostly the replacement's start fails for real: its store, a SQLite file, cannot be opened while a
directory stands in its place (as a database that is down would refuse it); the system's refusal to
spawn and a start that is too slow are made by patching the spawn and the start timeout."""

from __future__ import annotations

import asyncio
import errno
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Awaitable, Callable
from multiprocessing.context import SpawnProcess
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from adapters.grpc import runtime, worker_pool_processes
from adapters.grpc.engines import NoWorkerRunning, WorkerPoolEngine
from adapters.grpc.errors import status_code_of
from adapters.store import open_store
from tests.integration.conftest_grpc import TIMEOUT, ServerProcess, order_request, sample_snapshot
from tests.integration.conftest_grpc import server_factory as server_factory  # a fixture: pytest finds it by name
from tests.integration.test_grpc_load import _worker_pids
from tests.integration.test_grpc_worker_pool import FILES, customer_of, expected, request

FAILED = "worker process failed to start"


class BlockedStore:
    """A migrated SQLite store whose file can be put out of reach (a directory in its place) and back."""

    SERVE_ENV = {"CREDIT_POLICY_STORE_WATCH_S": "0"}
    """For a server on it: no store watch, which would take the directory for the store gone (STORE_UNAVAILABLE)
    instead of leaving the engine workers to fail to start (adapters/grpc/store_watch.py)."""

    def __init__(self, tmp_path: Path):
        self.path = tmp_path / "store.sqlite"
        self.url = f"sqlite:///{self.path}"
        self._away = tmp_path / "away.sqlite"
        open_store(self.url).close()

    def block(self) -> None:
        self.path.rename(self._away)
        self.path.mkdir()

    def unblock(self) -> None:
        self.path.rmdir()
        self._away.rename(self.path)


def with_pool(scenario: Callable[[WorkerPoolEngine], Awaitable[None]], store_url: str | None = None) -> None:
    """Run `scenario` against a fresh pool of one worker process (closed afterwards, if it did not)."""

    async def main() -> None:
        pool = await WorkerPoolEngine(FILES, 1, store_url=store_url).start()
        try:
            await asyncio.wait_for(scenario(pool), 90)
        finally:
            await pool.aclose(grace=5)

    runtime.run(main(), "asyncio")


def logged(caplog: pytest.LogCaptureFixture, name: str) -> list[dict[str, Any]]:
    return [getattr(r, "fields", {}) for r in caplog.records if r.getMessage() == name]


async def until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def kill_worker(pool: WorkerPoolEngine) -> int:
    """SIGKILL the pool's worker and wait until the pool has seen it go (a call sent before then fails)."""
    victim = pool._workers[0].process.pid
    assert victim is not None
    os.kill(victim, signal.SIGKILL)
    await until(lambda: not pool._workers[0].serving)
    return victim


def test_a_replacement_that_cannot_start_is_retried_until_one_serves(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="credit_policy.service")
    store = BlockedStore(tmp_path)

    async def scenario(pool: WorkerPoolEngine) -> None:
        assert await customer_of(pool, request(1)) == expected(1)
        store.block()
        await kill_worker(pool)
        await until(lambda: len(logged(caplog, FAILED)) >= 2)
        store.unblock()
        await until(lambda: pool._workers[0].serving)
        assert await customer_of(pool, request(2)) == expected(2)
        assert [p.pid for p in multiprocessing.active_children()] == [pool._workers[0].process.pid]

    with_pool(scenario, store.url)

    failures = logged(caplog, FAILED)
    assert [f["attempt"] for f in failures] == list(range(1, len(failures) + 1))
    assert [f["retry_in_seconds"] for f in failures] == [0.5, 1.0, 2.0, 4.0][:len(failures)]
    assert all("store.sqlite is a directory, not a database file" in f["error"] for f in failures), failures
    assert [r.levelname for r in caplog.records if r.getMessage() == FAILED] == ["ERROR"] * len(failures)
    assert [s["attempt"] for s in logged(caplog, "worker process started")] == [len(failures) + 1]


def test_calls_with_no_worker_running_are_unavailable_at_once(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A caller waiting for the replacement is refused when it fails to start, and so is every call until
    one starts: UNAVAILABLE (nothing was decided, a client's retry policy retries), where it used to be
    INTERNAL for good."""
    caplog.set_level(logging.INFO, logger="credit_policy.service")
    store = BlockedStore(tmp_path)

    async def scenario(pool: WorkerPoolEngine) -> None:
        store.block()
        await kill_worker(pool)
        waiting = asyncio.create_task(customer_of(pool, request(1)))  # while the first replacement starts
        await until(lambda: bool(logged(caplog, FAILED)))
        with pytest.raises(NoWorkerRunning) as refused:
            await asyncio.wait_for(waiting, 1)
        assert status_code_of(refused.value) == grpc.StatusCode.UNAVAILABLE
        for i in range(3):
            started = time.monotonic()
            with pytest.raises(NoWorkerRunning):
                await customer_of(pool, request(i))
            assert time.monotonic() - started < 0.1
        assert pool.no_worker_running
        store.unblock()
        await until(lambda: pool._workers[0].serving)
        assert not pool.no_worker_running
        assert await customer_of(pool, request(2)) == expected(2)

    with_pool(scenario, store.url)


@pytest.mark.parametrize("phase", ["starting", "backing off"])
def test_closing_the_pool_stops_its_retries_and_leaves_nothing_running(
        phase: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Closed while a replacement compiles (half-started: killed) or while it waits to try again."""
    caplog.set_level(logging.INFO, logger="credit_policy.service")
    store = BlockedStore(tmp_path)

    async def scenario(pool: WorkerPoolEngine) -> None:
        if phase == "backing off":
            store.block()
        victim = await kill_worker(pool)
        if phase == "backing off":
            await until(lambda: len(logged(caplog, FAILED)) >= 2)  # retried once, now waiting 1 s
        else:
            await until(lambda: pool._workers[0].process.pid != victim and pool._workers[0].process.is_alive())
        started = time.monotonic()
        await pool.aclose(grace=5)

        assert time.monotonic() - started < 2
        assert multiprocessing.active_children() == []
        assert not pool._tasks  # no replacement left waiting on anything
        assert all(w.conn.closed for w in pool._workers)
        await asyncio.sleep(1.5)  # past the pause: nothing tries again
        assert multiprocessing.active_children() == []

    with_pool(scenario, store.url)
    assert len(logged(caplog, FAILED)) == (2 if phase == "backing off" else 0)


@pytest.mark.parametrize("reaping", ["a dead worker", "a failed start"])
def test_closing_the_pool_while_a_process_is_being_reaped_waits_for_it(
        reaping: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The pool closes while its thread reaping a process (a worker that died, a failed start's, killed) has
    reaped it and not yet recorded its exit (a moment, longer under CPU load; widened here). Closing waits
    for that thread: a second join finds the child gone (ECHILD) and takes it for alive, so it used to stay
    listed as a child, its exit code unknown, after the pool had closed (the flaky `backing off` case above)."""
    store = BlockedStore(tmp_path)
    real_waitpid = os.waitpid
    reaped = threading.Event()
    slowed: list[int | None] = [None]

    def slow_waitpid(pid: int, options: int) -> tuple[int, int]:
        result = real_waitpid(pid, options)
        if result[0] == pid == slowed[0] and threading.current_thread() is not threading.main_thread():
            reaped.set()
            time.sleep(0.3)  # the reaping thread waits for the GIL before it records the exit
        return result

    async def scenario(pool: WorkerPoolEngine) -> None:
        monkeypatch.setattr(os, "waitpid", slow_waitpid)
        if reaping == "a dead worker":
            slowed[0] = pool._workers[0].process.pid
            await kill_worker(pool)
        else:
            store.block()
            victim = await kill_worker(pool)
            await until(lambda: pool._workers[0].process.pid != victim)  # the first replacement is starting
            slowed[0] = pool._workers[0].process.pid
        await until(reaped.is_set)  # killed, and being reaped by the pool's thread
        await pool.aclose(grace=5)

        assert multiprocessing.active_children() == []
        assert pool._workers[0].process.pid == slowed[0]
        assert pool._workers[0].process.exitcode == -signal.SIGKILL
        assert not pool._tasks

    with_pool(scenario, store.url)


def test_a_replacement_not_ready_in_time_is_killed_and_tried_again(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="credit_policy.service")

    async def scenario(pool: WorkerPoolEngine) -> None:
        monkeypatch.setattr(worker_pool_processes, "START_TIMEOUT", 0.01)  # no worker compiles that fast
        await kill_worker(pool)
        await until(lambda: bool(logged(caplog, FAILED)))
        monkeypatch.setattr(worker_pool_processes, "START_TIMEOUT", 120.0)
        await until(lambda: pool._workers[0].serving)
        assert await customer_of(pool, request(4)) == expected(4)
        assert [p.pid for p in multiprocessing.active_children()] == [pool._workers[0].process.pid]

    with_pool(scenario)
    assert logged(caplog, FAILED)[0]["error"] == "not ready within 0.01 s"


@pytest.mark.parametrize("event_loop", ["asyncio", "uvloop"])
def test_a_pool_whose_start_timed_out_leaves_the_next_pool_able_to_start(event_loop: str) -> None:
    """The timed-out handshakes stop watching their pipes: the next pool's pipes reuse the descriptor
    numbers, and a stale watch on one used to make that pool's start hang (a reload after a slow one)."""

    async def main() -> None:
        with pytest.raises(TimeoutError):
            await WorkerPoolEngine(FILES, 2).start(timeout=0.01)
        pool = await asyncio.wait_for(WorkerPoolEngine(FILES, 2).start(), 60)
        try:
            assert await customer_of(pool, request(5)) == expected(5)
        finally:
            await pool.aclose(grace=5)

    runtime.run(main(), event_loop)


def test_a_spawn_refused_by_the_system_is_retried_and_leaves_no_pipe_open(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="credit_policy.service")
    real_start = SpawnProcess.start
    refusals = [2]

    def start(process: SpawnProcess) -> None:
        if refusals[0]:
            refusals[0] -= 1
            raise OSError(errno.EAGAIN, "Resource temporarily unavailable")
        real_start(process)

    async def scenario(pool: WorkerPoolEngine) -> None:
        real_pipe = pool._ctx.Pipe
        pipes: list[Any] = []
        monkeypatch.setattr(pool._ctx, "Pipe", lambda duplex: pipes.append(real_pipe(duplex)) or pipes[-1])
        monkeypatch.setattr(SpawnProcess, "start", start)
        await kill_worker(pool)
        await until(lambda: pool._workers[0].serving)
        assert await customer_of(pool, request(3)) == expected(3)
        assert len(pipes) == 3
        assert [c.closed for pair in pipes for c in pair] == [True, True, True, True, False, True]

    with_pool(scenario)
    assert [f["attempt"] for f in logged(caplog, FAILED)] == [1, 2]
    assert "Resource temporarily unavailable" in logged(caplog, FAILED)[0]["error"]


def wait_for_health(server: ServerProcess, status: int, timeout: float = 30.0) -> None:
    health = health_pb2_grpc.HealthStub(server.channel())
    check = health_pb2.HealthCheckRequest(service="credit_policy.v1.CreditPolicyService")
    deadline = time.monotonic() + timeout
    while health.Check(check, timeout=TIMEOUT).status != status:
        assert time.monotonic() < deadline, server.log_path.read_text()
        time.sleep(0.05)


def test_serve_says_not_serving_and_refuses_calls_while_no_worker_can_start(
        server_factory: Callable[..., ServerProcess], tmp_path: Path) -> None:
    store = BlockedStore(tmp_path)
    server = server_factory("--db", store.url, "--watch-interval", "0", workers=1, env=BlockedStore.SERVE_ENV)
    stub = server.stub()
    stub.CheckOrder(order_request(sample_snapshot(1)), timeout=TIMEOUT)

    store.block()
    for pid in _worker_pids(server.proc.pid):
        os.kill(pid, signal.SIGKILL)
    failed = server.wait_for_event(FAILED)
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as refused:
        stub.CheckOrder(order_request(sample_snapshot(2)), timeout=TIMEOUT)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE, refused.value.details()
    assert time.monotonic() - started < 1
    assert "no engine worker process is running" in str(refused.value.details())
    wait_for_health(server, health_pb2.HealthCheckResponse.NOT_SERVING, timeout=5)

    store.unblock()
    wait_for_health(server, health_pb2.HealthCheckResponse.SERVING)
    assert stub.CheckOrder(order_request(sample_snapshot(3)), timeout=TIMEOUT).customer_id
    assert server.stop() == 0
    assert failed["attempt"] == 1 and "store.sqlite is a directory, not a database file" in failed["error"]
    assert not [e for e in server.events() if e.get("event") == "call met a closed engine"]
