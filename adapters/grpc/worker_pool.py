"""The worker pool's engine and its dispatch: each call's bytes to the live worker with the fewest
requests in hand, callers that find every worker full waiting their turn in the fair line (unary calls and
streams taken alternately, the streams and the connections in turn: fair_line.py), and each worker's
answers read as they arrive. This is the hot path the load benchmarks measure.

The workers' lives are in worker_pool_processes.py, a version swapped into them in
worker_pool_reload.py; `WorkerPoolEngine` is built on both.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import pickle
from collections.abc import Callable
from typing import Any

from adapters.grpc.fair_line import FairLine
from adapters.grpc.pipe_frames import send_frame
from adapters.grpc.pipeline import Outcome
from adapters.grpc.worker import CLOSING, KIND_CODES, decode_answer, raise_error
from adapters.grpc.worker_handle import Resend, WorkerHandle
from adapters.grpc.worker_pool_processes import NoWorkerRunning
from adapters.grpc.worker_pool_reload import WorkerPoolReload
from policy_engine.domain.errors import EngineFailure

DEFAULT_FILES_LOADER = "policy_engine.api:load_policy_from_files"

PIPELINE_DEPTH = 2
"""Requests a worker may hold at once: the one it is deciding and the next, already in its pipe, so
it goes from one to the next without waiting for the server's event loop to read an answer and
send again (measured side by side: docs/service-load-history.md, sixth session)."""
MAX_RESENDS = 3
"""Times one call may be sent on to another worker because the worker holding it closed (its rule
engine closed after repeated failures) before reading it."""
PIPELINE_MAX_BYTES = 32 * 1024
"""Only a request up to this size is sent to a worker that is still busy: it waits in the pipe's
buffer (two of them fit), so the event loop's write never blocks on a busy worker. A bigger request
waits for an idle worker, which reads it while it is written."""


class WorkerPoolEngine(WorkerPoolReload):
    """N worker processes, each with its own compiled copy of one policy version.

    A call goes to the live worker with the fewest requests in hand, up to PIPELINE_DEPTH each;
    callers that find every worker full wait in the fair line: a connection's unary calls in its
    queue, a stream's requests in its own, and a worker that frees takes the next call of the next
    connection in turn and the next request of the next stream in turn alternately, so a unary call
    waits behind at most one stream request (and one call of each other busy connection), not a round
    of every busy stream, all that a stream decides ahead (up to 16 items) nor another connection's
    flood of unary calls. Each worker's answers are read as
    soon as they arrive (its pipe stays registered with the event loop) and handed to the oldest
    pending request of that worker. A cancelled call keeps its place until its answer has come, so
    neither the worker nor the order of answers is lost.
    """

    def __init__(self, files: dict[str, str], workers: int, loader_spec: str = DEFAULT_FILES_LOADER,
                 store_url: str | None = None, on_log_loss: Callable[[int], None] | None = None,
                 on_restart: Callable[[str], None] | None = None, *, program: bytes = b"", version: str = ""):
        """`program` (policy_engine.api.program_bytes) is the version compiled once, which every worker and
        every replacement builds its policy from; without one, each compiles `files` with `loader_spec`, and
        so does a worker whose code is of another build than the program's (a release installed under the
        running service). `version`, when given, is the one every worker must come up on. `on_log_loss(n)` is
        told of decisions a dead worker took with it before its decision log had them (the service counts them as
        lost, like the writer's own losses); `on_restart(result)` of each start of a replacement worker: `started`
        or `failed` (the service counts them)."""
        self.size = workers
        self._on_log_loss = on_log_loss
        self._on_restart = on_restart or (lambda _result: None)
        self.version = version
        self._program = program
        self._files = files
        """The version's rule files, for a worker that cannot use the program (made by another build: worker.py)."""
        # With a program the files stay here: the program holds them, and each spawn would copy them for nothing.
        self._args = (loader_spec, {} if program else files, store_url)
        self._ctx = multiprocessing.get_context("spawn")
        self._workers: list[WorkerHandle] = []
        self._line = FairLine()
        self._replacing = 0
        self._restarting: set[asyncio.Task[Any]] = set()
        self._start_failure = ""
        """Why the last replacement failed to start, until a worker starts ("": none failed)."""
        self._in_flight = 0
        self._drained = asyncio.Event()
        self._closed = False
        self._tasks: set[asyncio.Task[Any]] = set()

    def _on_answers(self, w: WorkerHandle) -> None:
        """The worker's pipe is readable: every answer waiting in it, each to its request."""
        answers = w.answers
        try:
            while True:
                data = answers.read()
                if data == CLOSING:
                    self._closing(w)
                    break
                fut = w.pending.popleft()
                if not fut.done():  # done = cancelled: the caller has gone, the answer goes nowhere
                    fut.set_result(data)
                # Not `not w.pending or …`: the last answer's read may have taken a CLOSING behind it into
                # the reader, where the event loop's watch on the pipe no longer sees it.
                if not answers.ready():
                    break
        except (EOFError, OSError, IndexError) as exc:  # IndexError: an answer nobody asked for
            self._lost(w, exc)
            return
        self._wake()

    def _wake(self) -> None:
        """Let the caller whose turn it is look for room again (fair_line.py: the next flow's)."""
        self._line.wake()

    def _wake_all(self) -> None:
        self._line.wake_all()

    async def run(self, kind: str, request: bytes, flow: object | None = None) -> tuple[bytes, Outcome]:
        """Decide one request in a worker: its bytes go to the worker as they came, and the
        reply's bytes come back to be sent as they are (the worker parses and builds the messages).
        `flow`: the stream the request belongs to, or a unary call's connection (Engine.run), for fair dispatch."""
        if self._closed:
            raise EngineFailure("engine closed")
        payload = KIND_CODES[kind] + request
        self._in_flight += 1
        try:
            answer = await self._dispatch(payload, flow)
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

    @property
    def worker_pids(self) -> dict[str, int]:
        """The workers' processes, {place in the pool: pid}, for their process figures (any thread). Not asked
        whether each still runs (that would reap it off the loop): a dead one's figures are left out, or read
        as a zombie's for the moment until it is replaced in its place."""
        return {str(i): w.process.pid for i, w in enumerate(list(self._workers)) if w.process.pid is not None}

    def _room(self, depth: int) -> WorkerHandle | None:
        """The live worker holding the fewest requests, if it holds fewer than `depth`."""
        best = None
        for w in self._workers:
            if w.serving and len(w.pending) < depth and (best is None or len(w.pending) < len(best.pending)):
                best = w
        return best

    async def _dispatch(self, payload: bytes, flow: object | None) -> bytes:
        """Send to a worker with room, in turn with the callers already waiting; the answer's bytes."""
        loop = asyncio.get_running_loop()
        depth = PIPELINE_DEPTH if len(payload) <= PIPELINE_MAX_BYTES else 1
        had_turn = False
        resends = 0
        if self._line.waiting:  # callers already waiting go first (an attribute: the hot path makes no call)
            await self._line.wait(loop, flow, at_head=False)
            had_turn = True
        while True:
            if self._closed:
                raise EngineFailure("engine closed")
            worker = self._room(depth)
            if worker is None:
                if not any(w.reading for w in self._workers) and (self._start_failure or not self._replacing):
                    raise NoWorkerRunning()  # UNAVAILABLE: nothing was decided; else wait for the replacement
                await self._line.wait(loop, flow, at_head=had_turn)  # a caller that had its turn keeps its place
                had_turn = True
                continue
            answer: asyncio.Future[bytes] = loop.create_future()
            try:
                send_frame(worker.conn, payload)
            except OSError as exc:
                self._lost(worker, exc)
                continue
            worker.pending.append(answer)
            if self._line.waiting and self._room(PIPELINE_DEPTH) is not None:
                self._wake()  # the next caller in line may find room too
            try:
                return await answer
            except Resend:
                resends += 1
                if resends > MAX_RESENDS:
                    raise EngineFailure(f"{resends} worker processes closed before deciding this call") from None
                had_turn = True  # back at the head of the line
