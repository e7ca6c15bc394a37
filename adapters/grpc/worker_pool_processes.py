"""The worker pool's processes (each a WorkerHandle, worker_handle.py) and their lives: spawned and
waited for until each has built the policy, enlisted, closed by their rule engine or lost (died,
pipe broken) and replaced (again and again, with a back-off, while the replacement fails to start),
and stopped with the pool.

`WorkerPoolEngine` (worker_pool.py) is built on this class; the dispatch of calls is there.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from multiprocessing.context import SpawnContext
from typing import TYPE_CHECKING, Any, Self

from adapters.grpc.logs import event
from adapters.grpc.runtime import exit_cause, reap, restart_delay, watch_readable
from adapters.grpc.worker_handle import Resend, WorkerHandle, handshake
from policy_engine.domain.errors import EngineFailure, EngineUnavailable

START_TIMEOUT = 120.0
"""Seconds a worker may take to build the policy and open its store before its start has failed."""


class NoWorkerRunning(EngineUnavailable):
    """No engine worker is live and a replacement has failed to start (it is being retried): nothing
    was evaluated, and the caller may retry (UNAVAILABLE). The reason is in the log, not the reply."""

    def __init__(self) -> None:
        super().__init__("no engine worker process is running (a replacement is failing to start)")


class WorkerPoolProcesses:
    """The pool's worker processes and their lives; the state is set up by `WorkerPoolEngine.__init__`."""

    size: int
    version: str
    _on_log_loss: Callable[[int], None] | None
    _on_restart: Callable[[str], None]
    _args: tuple[str, dict[str, str], str | None]
    _program: bytes
    _files: dict[str, str]
    _ctx: SpawnContext
    _workers: list[WorkerHandle]
    _replacing: int
    _restarting: set[asyncio.Task[Any]]
    _start_failure: str
    _in_flight: int
    _drained: asyncio.Event
    _closed: bool
    _tasks: set[asyncio.Task[Any]]

    if TYPE_CHECKING:  # the dispatch's (worker_pool.py)

        def _on_answers(self, w: WorkerHandle) -> None: ...

        def _wake(self) -> None: ...

        def _wake_all(self) -> None: ...

    async def start(self, timeout: float = START_TIMEOUT) -> Self:
        """Spawn the workers and wait until each has built the policy (of `version`, when the pool was given one)."""
        self._workers = []
        try:
            for _ in range(self.size):  # one by one, so that those started are stopped if a spawn fails
                self._workers.append(WorkerHandle(self._ctx, self._args))
            handshakes = asyncio.gather(*(handshake(w, self._program, self._files) for w in self._workers))
            # Cancelled (a stop while starting), wait_for cancels the gather, which then holds a CancelledError
            # nobody reads: asyncio logged it as `exception was never retrieved`, with a traceback.
            handshakes.add_done_callback(lambda done: done.cancelled() or done.exception())
            versions = await asyncio.wait_for(handshakes, timeout)
        except BaseException:
            self._kill_all()
            raise
        wanted = {self.version} if self.version else set(versions[:1])
        if set(versions) != wanted:
            self._kill_all()
            raise EngineFailure(f"workers came up on {sorted(set(versions))}, not the one version {sorted(wanted)}")
        self.version = versions[0]
        for w in self._workers:
            self._enlist(w)
        return self

    @property
    def no_worker_running(self) -> bool:
        """No worker is live and a replacement has failed to start: calls are refused with
        NoWorkerRunning (health says NOT_SERVING) until one starts."""
        return bool(self._start_failure) and not any(w.reading for w in self._workers)

    @property
    def live_workers(self) -> int:
        """Workers taking calls now (the metrics' gauge, read at a scrape: any thread)."""
        return sum(1 for w in list(self._workers) if w.serving)

    def _enlist(self, w: WorkerHandle) -> None:
        """A ready worker starts taking requests."""
        w.serving = w.reading = True
        self._start_failure = ""
        watch_readable(asyncio.get_running_loop(), w.conn.fileno(), self._on_answers, w)
        self._wake()

    def _closing(self, w: WorkerHandle) -> None:
        """The worker's rule engine closed: it has answered its last request and reads no more, so the
        ones it holds go to another worker. It is replaced when its pipe ends (it flushes its decision
        log first), as one that died, but no call it held fails."""
        w.serving = False
        while w.pending:
            fut = w.pending.popleft()
            if not fut.done():
                fut.set_exception(Resend())

    def _lost(self, w: WorkerHandle, exc: BaseException) -> None:
        """The worker died (a segfault in the engine) or its pipe broke: fail what it held, replace it.
        Calls it held when it died get INTERNAL, not another worker: one of them may have killed it."""
        if not w.reading:
            return
        w.serving = w.reading = False
        w.unwritten, w.backlog.value = w.backlog.value, 0  # what it had queued died with it
        asyncio.get_running_loop().remove_reader(w.conn.fileno())
        while w.pending:
            fut = w.pending.popleft()
            if not fut.done():
                fut.set_exception(EngineFailure(f"worker process died: {exc!r}"))
        if not self._closed:
            self._replacing += 1
            self._background(self._replace(w))
        if self.no_worker_running:
            self._wake_all()  # the callers waiting fail at once (NoWorkerRunning) rather than wait on

    def _background(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _replace(self, dead: WorkerHandle) -> None:
        """A worker died (a segfault in the engine): start a fresh one in its place (`_restart`)."""
        try:
            await reap(dead.process, 1)
            dead.conn.close()
            if dead.unwritten and self._on_log_loss is not None:
                self._on_log_loss(dead.unwritten)
            if self._closed:
                if dead.unwritten:
                    event("worker process lost", logging.ERROR, pid=dead.process.pid,
                          exitcode=dead.process.exitcode, version=self.version, unwritten_decisions=dead.unwritten)
                return
            event("worker process replaced", logging.ERROR, pid=dead.process.pid, exitcode=dead.process.exitcode,
                  version=self.version, unwritten_decisions=dead.unwritten, cause=exit_cause(dead.process.exitcode))
            task = asyncio.current_task()
            assert task is not None
            self._restarting.add(task)  # aclose cancels it
            try:
                await self._restart(self._workers.index(dead))
            finally:
                self._restarting.discard(task)
        finally:
            self._replacing -= 1
            if not self._replacing and not any(w.reading for w in self._workers):
                self._wake_all()  # no worker left: the waiting callers fail rather than wait on

    async def _restart(self, index: int) -> None:
        """Start a worker in slot `index` until one is ready. A start that fails (spawning, building the
        policy or coming up on another version than the pool's, opening the store, or not ready within
        START_TIMEOUT) is logged and tried again after a pause that grows as the `--processes` supervisor's
        does (runtime.restart_delay); closing the pool cancels this, and what was half-started is stopped."""
        failures = 0
        while True:
            try:
                fresh = await self._start_in(index)
            except Exception as exc:  # EngineFailure, OSError from the spawn, TimeoutError; anything else alike
                failures += 1
                self._on_restart("failed")
                self._start_failure = (f"not ready within {START_TIMEOUT:g} s" if isinstance(exc, TimeoutError)
                                       else str(exc) or type(exc).__name__)
                delay = restart_delay(failures)
                event("worker process failed to start", logging.ERROR, attempt=failures, error=self._start_failure,
                      retry_in_seconds=delay, version=self.version)
                if self.no_worker_running:
                    self._wake_all()  # the callers waiting fail at once (NoWorkerRunning) rather than wait on
                await reap(self._workers[index].process, 5)  # killed already
                await asyncio.sleep(delay)
                continue
            self._enlist(fresh)
            self._on_restart("started")
            if failures:
                event("worker process started", attempt=failures + 1, pid=fresh.process.pid, version=self.version)
            return

    async def _start_in(self, index: int) -> WorkerHandle:
        """Spawn a worker into slot `index` and wait until it is ready. One that is not (or when the pool
        closes meanwhile) is killed and its pipe closed before the error goes on."""
        fresh = WorkerHandle(self._ctx, self._args)
        self._workers[index] = fresh
        try:
            version = await asyncio.wait_for(handshake(fresh, self._program, self._files), START_TIMEOUT)
            if version != self.version:  # it would answer with another version than its siblings
                raise EngineFailure(f"the replacement came up on version {version}, not {self.version}")
        except BaseException:  # it failed, or the pool closes (aclose cancels, also right after a handshake)
            fresh.kill()
            raise
        return fresh

    async def aclose(self, grace: float = 30.0) -> None:
        """Let in-flight calls finish (up to `grace` seconds), then stop the workers."""
        if self._in_flight:
            self._drained.clear()
            try:
                await asyncio.wait_for(self._drained.wait(), grace)
            except TimeoutError:
                pass
        self._closed = True
        for task in self._restarting:  # a replacement starting or waiting to start again: stop it now
            task.cancel()
        # A replacement ends only once the process it joins is reaped (cancelled too): _join_all then joins
        # each process alone (see runtime.reap).
        await asyncio.gather(*self._tasks, return_exceptions=True)
        loop = asyncio.get_running_loop()
        for w in self._workers:
            if w.reading:
                w.serving = w.reading = False
                loop.remove_reader(w.conn.fileno())
            w.conn.close()
            while w.pending:  # past the grace period: these answers will not be read
                fut = w.pending.popleft()
                if not fut.done():
                    fut.set_exception(EngineFailure("engine closed before the worker answered"))
        self._wake_all()  # callers still waiting for a worker fail: "engine closed"
        await asyncio.to_thread(self._join_all)

    def _join_all(self) -> None:
        for w in self._workers:
            w.join()

    def _kill_all(self) -> None:
        """A start that failed or was stopped: its workers killed (they decided nothing) and reaped, so none
        outlives the server, or lingers as a zombie while a start is tried again."""
        for w in self._workers:
            w.kill()
        self._join_all()  # killed: each ends at once
