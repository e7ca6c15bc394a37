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
import logging
import multiprocessing
import pickle
from concurrent.futures import Executor
from typing import Any, Protocol

from adapters.grpc.logs import event
from adapters.grpc.pipeline import HANDLERS, Outcome, parse_request
from adapters.grpc.worker import KIND_CODES, decode_answer, raise_error, worker_main
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


class InProcessEngine:
    """The pipeline on the event loop; the Policy's own lock serialises the engine."""

    def __init__(self, policy: Any, store: CustomerStore, store_thread: Executor | None = None):
        self.policy = policy
        self.store = store
        self.version: str = policy.version
        self._store_thread = store_thread
        self._in_flight = 0
        self._drained = asyncio.Event()

    async def run(self, kind: str, request: bytes) -> tuple[Any, Outcome]:
        """Decide inline (a SQL store blocks, so then the whole decision runs on the store thread)."""
        handler = HANDLERS[kind]
        request = parse_request(kind, request)
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


class _Worker:
    def __init__(self, ctx: Any, args: tuple[Any, ...]):
        self.conn, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=worker_main, args=(child, *args), daemon=True)
        self.process.start()
        child.close()


class WorkerPoolEngine:
    """N worker processes, each with its own compiled copy of one policy version."""

    def __init__(self, files: dict[str, str], workers: int, loader_spec: str = DEFAULT_FILES_LOADER,
                 store_url: str | None = None):
        self.size = workers
        self.version = ""
        self._args = (loader_spec, files, store_url)
        self._ctx = multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
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
            self._idle.put_nowait(w)
        return self

    async def _handshake(self, w: _Worker) -> str:
        status, value = pickle.loads(await self._receive(w))
        if status != "ready":
            raise EngineFailure(f"worker failed to load the policy: {value}")
        return str(value)

    def _receive(self, w: _Worker, release: bool = False) -> asyncio.Future[bytes]:
        """The worker's next message. With `release`, the worker goes back to the idle queue as
        soon as it has answered, whether or not anyone still awaits the answer (a cancelled call
        must neither lose the worker nor let it take a new request before it is done)."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[bytes] = loop.create_future()
        fd = w.conn.fileno()

        def on_readable() -> None:
            loop.remove_reader(fd)
            try:
                data = w.conn.recv_bytes()
            except (EOFError, OSError) as exc:
                if not fut.done():
                    fut.set_exception(EngineFailure(f"worker process died: {exc!r}"))
                if release:
                    self._background(self._replace(w))
                return
            if release:
                self._idle.put_nowait(w)
            if not fut.done():
                fut.set_result(data)

        loop.add_reader(fd, on_readable)
        return fut

    def _background(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run(self, kind: str, request: bytes) -> tuple[bytes, Outcome]:
        """Decide one request in an idle worker: its bytes go to the worker as they came, and the
        reply's bytes come back to be sent as they are (the worker parses and builds the messages)."""
        if self._closed:
            raise EngineFailure("engine closed")
        payload = KIND_CODES[kind] + request
        self._in_flight += 1
        try:
            reply = await self._dispatch(payload)
            answer = await reply
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._drained.set()
        if answer[:1] != b"K":
            raise_error(pickle.loads(answer[1:]))
        return decode_answer(answer)

    async def _dispatch(self, payload: bytes) -> asyncio.Future[bytes]:
        """Send to an idle worker; one that died while idle is replaced and the next one tried."""
        for _ in range(self.size + 1):
            worker = await self._idle.get()
            reply = self._receive(worker, release=True)
            try:
                worker.conn.send_bytes(payload)
                return reply
            except OSError:
                asyncio.get_running_loop().remove_reader(worker.conn.fileno())
                reply.cancel()
                self._background(self._replace(worker))
        raise EngineFailure("no live worker process")

    async def _replace(self, dead: _Worker) -> None:
        """A worker died (a segfault in the engine): start a fresh one in its place."""
        await asyncio.to_thread(dead.process.join, 1)
        dead.conn.close()
        if self._closed:
            return
        event("worker process replaced", logging.ERROR, pid=dead.process.pid, exitcode=dead.process.exitcode,
              version=self.version)
        fresh = _Worker(self._ctx, self._args)
        self._workers[self._workers.index(dead)] = fresh
        try:
            await self._handshake(fresh)
        except EngineFailure:
            return
        self._idle.put_nowait(fresh)

    async def aclose(self, grace: float = 30.0) -> None:
        """Let in-flight calls finish (up to `grace` seconds), then stop the workers."""
        if self._in_flight:
            self._drained.clear()
            try:
                await asyncio.wait_for(self._drained.wait(), grace)
            except TimeoutError:
                pass
        self._closed = True
        for w in self._workers:
            w.conn.close()
        await asyncio.to_thread(self._join_all)

    def _join_all(self) -> None:
        for w in self._workers:
            w.process.join(timeout=10)
            if w.process.is_alive():
                w.process.kill()

    def _kill_all(self) -> None:
        for w in self._workers:
            w.process.kill()
            w.conn.close()
