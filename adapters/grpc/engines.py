"""Where decisions are computed: in this process under the Policy's lock, or in worker processes.

durable_rules is not thread-safe, so a Policy serialises its calls per process. `InProcessEngine`
runs the decision pipeline on the event loop under that lock; `WorkerPoolEngine` keeps N spawned
processes, each holding its own compiled copy of the same policy version and its own store
connection, and hands them the request's bytes as they came over a pipe from the event loop (no
threads): parsing, validation, evaluation, recording and the reply message all happen in the
worker, and the reply's bytes go back to the caller as they are, so the server process only moves
bytes. docs/service.md has the measurement that picks between them.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import multiprocessing
import pickle
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, Protocol

from adapters.grpc.logs import event
from adapters.grpc.pipeline import HANDLERS, Outcome, parse_request
from adapters.grpc.runtime import exit_cause, watch_readable
from adapters.grpc.worker import (
    CLOSING,
    DISCARD,
    KIND_CODES,
    PREPARE,
    USE,
    decode_answer,
    raise_error,
    worker_main,
)
from policy_engine.domain.errors import EngineFailure
from policy_engine.ports import CustomerStore

DEFAULT_FILES_LOADER = "policy_engine.api:load_policy_from_files"


class Engine(Protocol):
    """One policy version, ready to decide."""

    version: str

    async def run(self, kind: str, request: bytes) -> tuple[Any, Outcome]:
        """Decide one request (`evaluate` or `check_order`) from its wire bytes; return the reply (a
        message, or its wire bytes) and its outcome. Bytes that are not a request: InvalidInput."""
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

    async def run(self, kind: str, request: bytes) -> tuple[Any, Outcome]:
        """Decide inline (a SQL store blocks, so then the whole decision runs on the store thread)."""
        handler = HANDLERS[kind]
        request = parse_request(kind, request)
        try:
            if self._store_thread is None:
                return handler(request, self.policy, self.store)
            self._in_flight += 1
            try:
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(self._store_thread, handler, request, self.policy, self.store)
            finally:
                self._in_flight -= 1
                if self._in_flight == 0:
                    self._drained.set()
        except EngineFailure:
            broken = getattr(self.policy, "engine_broken", None)
            if broken and self._on_broken is not None:
                self._on_broken(self, broken)
            raise

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


# ---- the server side ----


PIPELINE_DEPTH = 2
"""Requests a worker may hold at once: the one it is deciding and the next, already in its pipe, so
it goes from one to the next without waiting for the server's event loop to read an answer and
send again (measured side by side: docs/service.md, Load, sixth session)."""
MAX_RESENDS = 3
"""Times one call may be sent on to another worker because the worker holding it closed (its rule
engine closed after repeated failures) before reading it."""
PIPELINE_MAX_BYTES = 32 * 1024
"""Only a request up to this size is sent to a worker that is still busy: it waits in the pipe's
buffer (two of them fit), so the event loop's write never blocks on a busy worker. A bigger request
waits for an idle worker, which reads it while it is written."""


def _ignore_outcome(fut: asyncio.Future[Any]) -> None:
    """Retrieve the future's exception when it comes, so that nothing logs it as never retrieved."""
    fut.add_done_callback(lambda f: f.cancelled() or f.exception())


class _Resend(Exception):
    """The worker holding this call closed before reading it: send it to another worker."""


class _Worker:
    """One engine process and the pipe to it. `pending` holds the futures of the requests sent to it
    and not answered yet, oldest first: a worker answers its requests in the order they came."""

    def __init__(self, ctx: Any, args: tuple[Any, ...]):
        self.conn, child = ctx.Pipe(duplex=True)
        self.backlog = ctx.RawValue("q", 0)
        """Its decision-log writer's backlog, kept by the worker in shared memory (read for /metrics)."""
        self.process = ctx.Process(target=worker_main, args=(child, *args, self.backlog), daemon=True)
        self.process.start()
        child.close()
        self.pending: collections.deque[asyncio.Future[bytes]] = collections.deque()
        self.serving = False
        """Taking requests: ready, and neither closing nor lost."""
        self.reading = False
        """Its answers are being read (from the handshake until it is lost); a worker that is reading
        and not serving is closing, and its pipe's end will bring its replacement."""
        self.unwritten = 0
        """Once lost: the decisions its decision-log writer still held, as its backlog last showed (off by a
        commit or a call under way at the instant it died)."""


class WorkerPoolEngine:
    """N worker processes, each with its own compiled copy of one policy version.

    A call goes to the live worker with the fewest requests in hand, up to PIPELINE_DEPTH each;
    callers that find every worker full wait in arrival order. Each worker's answers are read as
    soon as they arrive (its pipe stays registered with the event loop) and handed to the oldest
    pending request of that worker. A cancelled call keeps its place until its answer has come, so
    neither the worker nor the order of answers is lost.
    """

    def __init__(self, files: dict[str, str], workers: int, loader_spec: str = DEFAULT_FILES_LOADER,
                 store_url: str | None = None, on_log_loss: Callable[[int], None] | None = None):
        """`on_log_loss(n)` is told of decisions a dead worker took with it before its decision log
        had them (the service counts them as lost, like the writer's own losses)."""
        self.size = workers
        self._on_log_loss = on_log_loss
        self.version = ""
        self._args = (loader_spec, files, store_url)
        self._ctx = multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()
        self._replacing = 0
        self._in_flight = 0
        self._drained = asyncio.Event()
        self._closed = False
        self._tasks: set[asyncio.Task[Any]] = set()

    async def start(self, timeout: float = 120.0) -> WorkerPoolEngine:
        """Spawn the workers and wait until each has compiled the policy."""
        self._workers = [_Worker(self._ctx, self._args) for _ in range(self.size)]
        try:
            versions = await asyncio.wait_for(asyncio.gather(*(self._handshake(w) for w in self._workers)),
                                              timeout)
        except BaseException:
            self._kill_all()
            raise
        if len(set(versions)) != 1:
            self._kill_all()
            raise EngineFailure(f"workers compiled different versions: {sorted(set(versions))}")
        self.version = versions[0]
        for w in self._workers:
            self._enlist(w)
        return self

    async def _handshake(self, w: _Worker) -> str:
        """The worker's first message: ready (with the version it compiled) or why it failed."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[bytes] = loop.create_future()
        fd = w.conn.fileno()

        def on_readable() -> None:
            loop.remove_reader(fd)
            try:
                fut.set_result(w.conn.recv_bytes())
            except (EOFError, OSError) as exc:
                fut.set_exception(EngineFailure(f"worker process died: {exc!r}"))

        watch_readable(loop, fd, on_readable)
        try:
            status, value = pickle.loads(await fut)
        finally:
            if not fut.done():  # cancelled (start's timeout): stop watching the pipe
                loop.remove_reader(fd)
        if status != "ready":
            raise EngineFailure(f"worker failed to load the policy: {value}")
        return str(value)

    def _enlist(self, w: _Worker) -> None:
        """A ready worker starts taking requests."""
        w.serving = w.reading = True
        watch_readable(asyncio.get_running_loop(), w.conn.fileno(), self._on_answers, w)
        self._wake()

    def _on_answers(self, w: _Worker) -> None:
        """The worker's pipe is readable: every answer waiting in it, each to its request."""
        conn = w.conn
        try:
            while True:
                data = conn.recv_bytes()
                if data == CLOSING:
                    self._closing(w)
                    break
                fut = w.pending.popleft()
                if not fut.done():  # done = cancelled: the caller has gone, the answer goes nowhere
                    fut.set_result(data)
                if not w.pending or not conn.poll():
                    break
        except (EOFError, OSError, IndexError) as exc:  # IndexError: an answer nobody asked for
            self._lost(w, exc)
            return
        self._wake()

    def _closing(self, w: _Worker) -> None:
        """The worker's rule engine closed: it has answered its last request and reads no more, so the
        ones it holds go to another worker. It is replaced when its pipe ends (it flushes its decision
        log first), as one that died, but no call it held fails."""
        w.serving = False
        while w.pending:
            fut = w.pending.popleft()
            if not fut.done():
                fut.set_exception(_Resend())

    def _lost(self, w: _Worker, exc: BaseException) -> None:
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

    def _wake(self) -> None:
        """Let the first waiting caller look for room again."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _wake_all(self) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)

    def _background(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run(self, kind: str, request: bytes) -> tuple[bytes, Outcome]:
        """Decide one request in a worker: its bytes go to the worker as they came, and the
        reply's bytes come back to be sent as they are (the worker parses and builds the messages)."""
        if self._closed:
            raise EngineFailure("engine closed")
        payload = KIND_CODES[kind] + request
        self._in_flight += 1
        try:
            answer = await self._dispatch(payload)
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._drained.set()
        if answer[:1] != b"K":
            raise_error(pickle.loads(answer[1:]))
        return decode_answer(answer)

    def log_backlog(self) -> int:
        """Decisions answered by the workers and not yet written to their decision logs (any thread)."""
        return sum(w.backlog.value for w in list(self._workers))

    def _room(self, depth: int) -> _Worker | None:
        """The live worker holding the fewest requests, if it holds fewer than `depth`."""
        best = None
        for w in self._workers:
            if w.serving and len(w.pending) < depth and (best is None or len(w.pending) < len(best.pending)):
                best = w
        return best

    async def _dispatch(self, payload: bytes) -> bytes:
        """Send to a worker with room, in turn with the callers already waiting; the answer's bytes."""
        loop = asyncio.get_running_loop()
        depth = PIPELINE_DEPTH if len(payload) <= PIPELINE_MAX_BYTES else 1
        had_turn = False
        resends = 0
        if self._waiting:  # callers already waiting go first
            await self._wait(loop, at_head=False)
            had_turn = True
        while True:
            if self._closed:
                raise EngineFailure("engine closed")
            worker = self._room(depth)
            if worker is None:
                if not self._replacing and not any(w.reading for w in self._workers):
                    raise EngineFailure("no live worker process")
                await self._wait(loop, at_head=had_turn)  # a caller that had its turn keeps its place
                had_turn = True
                continue
            answer: asyncio.Future[bytes] = loop.create_future()
            try:
                worker.conn.send_bytes(payload)
            except OSError as exc:
                self._lost(worker, exc)
                continue
            worker.pending.append(answer)
            if self._waiting and self._room(PIPELINE_DEPTH) is not None:
                self._wake()  # the next caller in line may find room too
            try:
                return await answer
            except _Resend:
                resends += 1
                if resends > MAX_RESENDS:
                    raise EngineFailure(f"{resends} worker processes closed before deciding this call") from None
                had_turn = True  # back at the head of the line

    async def _wait(self, loop: asyncio.AbstractEventLoop, at_head: bool) -> None:
        """Wait for a turn: at the end of the line, or back at its head."""
        waiter: asyncio.Future[None] = loop.create_future()
        if at_head:
            self._waiting.appendleft(waiter)
        else:
            self._waiting.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self._wake()  # it was this caller's turn: pass it on
            raise

    async def load(self, program: bytes, version: str, files: dict[str, str], timeout: float = 60.0) -> bool:
        """Swap a new version into the running workers: True once every request sent from now on is
        decided by it, False (nothing changed) if that cannot be done, and the caller should start a
        fresh pool instead: a worker being replaced, or one that died, closed or could not build it.

        `program` is the version compiled elsewhere (`policy_engine.api.program_bytes`), so a worker
        only builds the engine (~2 ms between two requests) instead of a new process starting, importing
        and compiling (~0.4 CPU-s each, with the calls being served waiting for the CPU: at 800 calls/s
        on two cores that was a p99 of ~560 ms around each reload, bench/bench_reload_under_load.py).
        Every worker first prepares it beside the version it serves; then, with no await in between,
        each is told to use it: a request sent before that is decided by the old version, one sent
        after by the new, whichever worker takes it."""
        workers = list(self._workers)
        if self._closed or self._replacing or not workers or not all(w.serving for w in workers):
            return False
        answers = [self._control(w, PREPARE + program) for w in workers]
        try:
            replies = await asyncio.wait_for(asyncio.gather(*answers), timeout)
            ready = [pickle.loads(r[1:]) == ("ready", version) for r in replies]
        except Exception as exc:  # a worker died or closed (EngineFailure, _Resend), or the timeout
            failure: str = f"{type(exc).__name__}: {exc}"
            ready = [False]
        else:
            failure = "" if all(ready) else f"a worker could not build the version: {replies}"
        if not failure and (self._closed or self._workers != workers or not all(w.serving for w in workers)):
            failure = "a worker closed or was replaced while the version was being prepared"
        if failure:
            for w in self._workers:
                if w.serving:
                    self._control(w, DISCARD)
            for answer in answers:
                _ignore_outcome(answer)
            event("policy not swapped into the running workers", logging.WARNING, version=version,
                  reason=failure[:500], action="a fresh set of workers is started for it")
            return False
        # First what a replacement starts from, so that a worker lost even while USE is sent is
        # replaced on the new version; then the swap, with no await from the first USE to the last.
        self.version = version
        self._args = (self._args[0], files, self._args[2])
        for w in workers:
            self._control(w, USE)
        return True

    def _control(self, w: _Worker, message: bytes) -> asyncio.Future[bytes]:
        """Send a control message to worker `w`, in turn with its requests; the future of its answer
        (never retrieved for USE and DISCARD: its outcome is ignored)."""
        fut: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        if message[:1] != PREPARE:
            _ignore_outcome(fut)
        try:
            w.conn.send_bytes(message)
        except OSError as exc:
            self._lost(w, exc)
            if not fut.done():
                fut.set_exception(EngineFailure(f"worker process died: {exc!r}"))
            return fut
        w.pending.append(fut)
        return fut

    async def _replace(self, dead: _Worker) -> None:
        """A worker died (a segfault in the engine): start a fresh one in its place."""
        try:
            await asyncio.to_thread(dead.process.join, 1)
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
            fresh = _Worker(self._ctx, self._args)
            self._workers[self._workers.index(dead)] = fresh
            try:
                await self._handshake(fresh)
            except EngineFailure:
                return
            if self._closed:
                fresh.process.kill()
                fresh.conn.close()
                return
            self._enlist(fresh)
        finally:
            self._replacing -= 1
            if not self._replacing and not any(w.reading for w in self._workers):
                self._wake_all()  # no worker left: the waiting callers fail rather than wait on

    async def aclose(self, grace: float = 30.0) -> None:
        """Let in-flight calls finish (up to `grace` seconds), then stop the workers."""
        if self._in_flight:
            self._drained.clear()
            try:
                await asyncio.wait_for(self._drained.wait(), grace)
            except TimeoutError:
                pass
        self._closed = True
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
            w.process.join(timeout=10)
            if w.process.is_alive():
                w.process.kill()
            w.backlog.value = 0  # written at its exit, or lost with a killed one

    def _kill_all(self) -> None:
        for w in self._workers:
            w.process.kill()
            w.conn.close()
