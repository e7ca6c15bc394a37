"""A handle on one engine worker process of the pool: its pipe, its decision-log backlog and the requests
it holds; spawned, sent the version's program (and its rule files, if it asks) and waited for until it has built
the policy (`handshake`),
killed and joined.

Their lives in the pool (enlisted, lost, replaced, stopped) are in worker_pool_processes.py.
"""

from __future__ import annotations

import asyncio
import collections
import json
import pickle
import signal
from multiprocessing import resource_tracker
from typing import Any

from adapters.grpc.pipe_frames import FrameReader, send_frame
from adapters.grpc.runtime import watch_readable
from adapters.grpc.worker import WANT_FILES, WANT_PROGRAM, WORKER_IGNORES, worker_main
from policy_engine.domain.errors import EngineFailure


class Resend(Exception):
    """The worker holding this call closed before reading it: send it to another worker."""


class WorkerHandle:
    """One engine process and the pipe to it. `pending` holds the futures of the requests sent to it
    and not answered yet, oldest first: a worker answers its requests in the order they came."""

    def __init__(self, ctx: Any, args: tuple[Any, ...]):
        self.conn, child = ctx.Pipe(duplex=True)
        self.backlog = ctx.RawValue("q", 0)
        """Its decision-log writer's backlog, kept by the worker in shared memory (read for /metrics)."""
        self.process = ctx.Process(target=worker_main, args=(child, *args, self.backlog), daemon=True)
        # Spawned with the group's signals blocked (they stay pending until worker_main ignores them): a Ctrl-C or a
        # systemd stop that reaches the whole group while it imports would end it with a traceback; the server stops it.
        resource_tracker.ensure_running()  # first: starting it unblocks SIGINT and SIGTERM in this thread
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, WORKER_IGNORES)
        try:
            self.process.start()  # OSError when out of processes or memory: no pipe is left open
        except BaseException:
            self.conn.close()
            raise
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            child.close()
        self.answers = FrameReader(self.conn)
        """Its answers, every one read through this (it may have read the start of the next one)."""
        self.pending: collections.deque[asyncio.Future[bytes]] = collections.deque()
        self.serving = False
        """Taking requests: ready, and neither closing nor lost."""
        self.reading = False
        """Its answers are being read (from the handshake until it is lost); a worker that is reading
        and not serving is closing, and its pipe's end will bring its replacement."""
        self.unwritten = 0
        """Once lost: the decisions its decision-log writer still held, as its backlog last showed (off by a
        commit or a call under way at the instant it died)."""

    def kill(self) -> None:
        """Kill the process now and close the pipe to it."""
        self.process.kill()
        self.conn.close()

    def join(self) -> None:
        """Wait for the process to end (killed after 10 s); its backlog was written at its exit, or lost."""
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
        self.backlog.value = 0


async def handshake(w: WorkerHandle, program: bytes, files: dict[str, str]) -> str:
    """The worker's start: it asks for `program` (the version's, b"" for none) once it has imported what it needs,
    and for the version's `files` if another build made the program (worker.WANT_FILES), then says ready (with the
    version it built, returned) or why it failed (EngineFailure)."""
    message = await _next_message(w)
    if message == WANT_PROGRAM:
        _send(w, program)
        message = await _next_message(w)
    if message == WANT_FILES:
        _send(w, json.dumps(files).encode())
        message = await _next_message(w)
    status, value = pickle.loads(message)
    if status != "ready":
        raise EngineFailure(f"worker failed to start: {value}")  # the policy, or its store
    return str(value)


def _send(w: WorkerHandle, data: bytes) -> None:
    """An answer to a starting worker's question; it waits for it in a read, so the write lasts as long as the copy
    (as a reload's PREPARE)."""
    try:
        send_frame(w.conn, data)
    except OSError as exc:
        raise EngineFailure(f"worker process died: {exc!r}") from None


async def _next_message(w: WorkerHandle) -> bytes:
    """The worker's next message, read when its pipe is readable (EngineFailure if it died)."""
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[bytes] = loop.create_future()
    fd = w.conn.fileno()

    def on_readable() -> None:
        loop.remove_reader(fd)
        try:
            fut.set_result(w.answers.read())
        except (EOFError, OSError) as exc:
            fut.set_exception(EngineFailure(f"worker process died: {exc!r}"))

    watch_readable(loop, fd, on_readable)
    try:
        return await fut
    finally:
        # Cancelled (a timeout, the pool closing): stop watching the pipe. A cancelled task cancels the
        # future it awaits, so `fut` is done then too; left registered, the closed pipe's descriptor
        # number, reused by the next worker's pipe, would never be watched (the selector keeps the
        # stale entry; epoll dropped the closed descriptor), and that worker's start would hang.
        if fut.cancelled() or not fut.done():
            loop.remove_reader(fd)
