"""Where decisions are computed: in this process under the Policy's lock, or in worker processes.

durable_rules is not thread-safe, so a Policy serialises its calls per process. `InProcessEngine`
runs the decision pipeline on the event loop under that lock (with a SQL store, on one store thread,
the callers beyond STORE_THREAD_DEPTH waiting in the fair line, fair_line.py); `WorkerPoolEngine` keeps N spawned
processes, each holding its own compiled copy of the same policy version and its own store
connection, and hands them the request's bytes as they came over a pipe from the event loop (no
threads): parsing, validation, evaluation, recording and the reply message all happen in the
worker, and the reply's bytes go back to the caller as they are, so the server process only moves
bytes. docs/service.md has the measurement that picks between them.

The worker pool lives in worker_pool.py (its dispatch of calls), worker_pool_processes.py (the
worker processes: their handles, start, loss, replacement and close) and worker_pool_reload.py (a
new version swapped into the running workers); its names are re-exported here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, Protocol

from adapters.grpc.fair_line import FairLine
from adapters.grpc.pipeline import HANDLERS, Outcome, parse_request
from adapters.grpc.worker_pool import (
    DEFAULT_FILES_LOADER,
    MAX_RESENDS,
    PIPELINE_DEPTH,
    PIPELINE_MAX_BYTES,
    WorkerPoolEngine,
)
from adapters.grpc.worker_pool_processes import NoWorkerRunning
from policy_engine.domain.errors import EngineFailure
from policy_engine.ports import CustomerStore

STORE_THREAD_DEPTH = 4
"""Decisions handed to the store thread at once: the one it runs and the next, so it goes on without waiting
for the event loop; more wait in the fair line, where a unary call need not queue behind a stream's window."""

__all__ = [
    "DEFAULT_FILES_LOADER",
    "MAX_RESENDS",
    "PIPELINE_DEPTH",
    "PIPELINE_MAX_BYTES",
    "STORE_THREAD_DEPTH",
    "Engine",
    "InProcessEngine",
    "NoWorkerRunning",
    "WorkerPoolEngine",
]


class Engine(Protocol):
    """One policy version, ready to decide."""

    version: str

    async def run(self, kind: str, request: bytes, flow: object | None = None) -> tuple[Any, Outcome]:
        """Decide one request (`evaluate` or `check_order`) from its wire bytes; return the reply (a
        message, or its wire bytes) and its outcome. Bytes that are not a request: InvalidInput.
        `flow` names who it is fair among (fair_line.py): the stream's own object, or for a unary call
        its connection's key (a str, `context.peer()`; None: not known)."""
        ...

    async def aclose(self) -> None:
        """Release the engine once its in-flight calls are done."""
        ...

    def log_backlog(self) -> int:
        """Decisions it answered that its decision-log writers have not written yet (any thread)."""
        ...


class InProcessEngine:
    """The pipeline on the event loop; the Policy's own lock serialises the engine."""

    def __init__(self, policy: Any, store: CustomerStore, store_thread: Executor | None = None,
                 on_broken: Callable[[InProcessEngine, str], None] | None = None):
        """`on_broken(engine, reason)` is told when a call fails because repeated engine failures have
        closed the policy's ruleset for good (`Policy.engine_broken`): every later call fails too."""
        self.policy = policy
        self.store = store
        self.version: str = policy.version
        self._store_thread = store_thread
        self._on_broken = on_broken
        self._in_flight = 0
        self._drained = asyncio.Event()
        self._on_thread = 0
        self._line = FairLine()

    async def run(self, kind: str, request: bytes, flow: object | None = None) -> tuple[Any, Outcome]:
        """Decide inline (a SQL store blocks, so then the whole decision runs on the store thread)."""
        handler = HANDLERS[kind]
        request = parse_request(kind, request)
        try:
            if self._store_thread is None:
                return handler(request, self.policy, self.store)
            self._in_flight += 1
            try:
                return await self._on_store_thread(handler, request, flow)
            finally:
                self._in_flight -= 1
                if self._in_flight == 0:
                    self._drained.set()
        except EngineFailure:
            broken = getattr(self.policy, "engine_broken", None)
            if broken and self._on_broken is not None:
                self._on_broken(self, broken)
            raise

    async def _on_store_thread(self, handler: Any, request: Any, flow: object | None) -> tuple[Any, Outcome]:
        """Decide on the store thread, at most STORE_THREAD_DEPTH at once, the callers beyond waiting their
        turn in the fair line (unary calls and streams alternately, each class's flows in turn): the thread's
        own queue is first come, first served (behind 50 busy streams a call waited for their 800 decisions,
        1.7 s)."""
        loop = asyncio.get_running_loop()
        had_turn = False
        if self._line.waiting:  # callers already waiting go first
            await self._line.wait(loop, flow, at_head=False)
            had_turn = True
        while self._on_thread >= STORE_THREAD_DEPTH:
            await self._line.wait(loop, flow, at_head=had_turn)  # a caller that had its turn keeps its place
            had_turn = True
        self._on_thread += 1
        try:
            return await loop.run_in_executor(self._store_thread, handler, request, self.policy, self.store)
        finally:
            self._on_thread -= 1
            self._line.wake()

    def log_backlog(self) -> int:
        """Decisions the store's decision-log writer has not written yet (0 without one)."""
        backlog = getattr(self.store, "log_backlog", None)
        return int(backlog()) if backlog is not None else 0

    async def aclose(self, grace: float = 30.0) -> None:
        """Free the compiled policy once no call uses it (the store belongs to the host)."""
        if self._in_flight:
            self._drained.clear()
            try:
                await asyncio.wait_for(self._drained.wait(), grace)
            except TimeoutError:
                return  # still in use: leave it to the garbage collector rather than pull it away
        close = getattr(self.policy, "close", None)
        if close is not None:
            close()
