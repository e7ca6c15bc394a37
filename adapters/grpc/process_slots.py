"""The supervisor's process slots: the N places a server process runs in, each process spawned,
reaped when it exits, and replaced, at once if it had served for a while, else after a growing
pause (the restart back-off). `Supervisor` (supervisor.py) is built on this class.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
import time
from dataclasses import dataclass, field
from multiprocessing import resource_tracker
from multiprocessing.context import SpawnContext
from typing import TYPE_CHECKING, Any

from adapters.grpc import runtime
from adapters.grpc.logs import event
from adapters.grpc.server_process import ProcessConfig, process_main

if TYPE_CHECKING:
    from adapters.grpc.metrics_multiprocess import MultiProcessEndpoint

STABLE_SECONDS = 10.0
"""A process that served at least this long before dying is restarted at once."""
# Pauses before restarting a process that keeps dying early: runtime.restart_delay (0.5 s, doubling,
# at most 30 s; the engine worker pool backs off the same way).


class StartupFailed(Exception):
    """A server process could not start (the service then does not start either)."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or []


@dataclass
class _Slot:
    """One of the N places a server process runs in; its process is replaced when it dies."""

    index: int
    process: Any = None
    conn: Any = None
    pid: int = 0
    serving_since: float | None = None
    version: str = ""
    failures: int = 0
    replaces: int | None = None
    failure: tuple[str, list[str], str] | None = None
    restart: asyncio.TimerHandle | None = None
    exited: asyncio.Event = field(default_factory=asyncio.Event)
    reader: threading.Thread | None = None
    """Receives the process's messages (_read_messages)."""
    backlog: Any = None
    """The process's decision-log backlog in shared memory (the writer keeps it): what a process that
    dies took with it unwritten."""


class ProcessSlots:
    """Spawning, reaping and restarting the server processes; the state is set up by `Supervisor.__init__`."""

    config: ProcessConfig
    metrics: MultiProcessEndpoint | None
    _ctx: SpawnContext
    _slots: list[_Slot]
    _good: tuple[str, dict[str, str]] | None
    _warnings_version: str | None
    _stopping: bool
    _announced: bool
    _started: asyncio.Future[None] | None
    _tasks: set[asyncio.Task[Any]]

    if TYPE_CHECKING:  # the message-receiving thread's (process_messages.py)

        def _read_messages(self, slot: _Slot, conn: Any, loop: asyncio.AbstractEventLoop) -> None: ...

    def _spawn(self, slot: _Slot) -> None:
        """Start the slot's process (at its pipe, SIGINT held off); if it cannot start, try again later."""
        slot.restart = None
        if self._stopping:
            return
        loop = asyncio.get_running_loop()
        conn, child = self._ctx.Pipe(duplex=True)
        files = self._good[1] if self._good is not None else None  # none yet: the first start
        slot.backlog = self._ctx.RawValue("q", 0)
        process = self._ctx.Process(target=process_main, args=(child, self.config, slot.index, files, slot.backlog),
                                    daemon=True, name=f"credit-policy-server-{slot.index}")
        # The child inherits SIGINT ignored (and blocked, so one arriving now waits for us): Ctrl-C
        # must not interrupt it half-started; it unblocks SIGINT, still ignored, when it runs. SIGTERM is
        # blocked too, until run_service has its handler (start_stop.py): a stop while it starts is a clean one.
        resource_tracker.ensure_running()  # first: starting it unblocks SIGINT and SIGTERM in this thread
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            process.start()
        except OSError as exc:  # out of processes or memory: try again later
            conn.close()
            if not self._announced:
                raise
            # Called inside the handler, so SIGINT is still blocked and ignored while it runs, as before.
            self._spawn_later(slot, exc, loop)
            return
        finally:
            signal.signal(signal.SIGINT, previous)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
            child.close()
        self._attach(slot, process, conn, loop)

    def _spawn_later(self, slot: _Slot, exc: OSError, loop: asyncio.AbstractEventLoop) -> None:
        """A process that could not be started: counted, logged, and tried again after the back-off."""
        slot.failures += 1
        self._restart_counted("failed")
        delay = runtime.restart_delay(slot.failures)
        event("server process not started", logging.ERROR, error=str(exc), retry_in_seconds=delay)
        slot.restart = loop.call_later(delay, self._spawn, slot)

    def _attach(self, slot: _Slot, process: Any, conn: Any, loop: asyncio.AbstractEventLoop) -> None:
        """The started process into its slot: its pipe's reader thread, and its exit watched on the loop."""
        slot.process, slot.conn, slot.pid = process, conn, process.pid or 0
        slot.serving_since, slot.failure = None, None
        slot.exited = asyncio.Event()
        slot.reader = threading.Thread(target=self._read_messages, args=(slot, conn, loop), daemon=True,
                                       name=f"credit-policy-server-{slot.index}-messages")
        slot.reader.start()
        loop.add_reader(process.sentinel, self._on_exit, slot, process, conn)

    def _restart_counted(self, result: str) -> None:
        """A start of a replacement process: `started` (it serves) or `failed` (for /metrics)."""
        if self.metrics is not None:
            self.metrics.process_restart_counted(result)

    def _on_exit(self, slot: _Slot, process: Any, conn: Any) -> None:
        loop = asyncio.get_running_loop()
        loop.remove_reader(process.sentinel)
        task = loop.create_task(self._reap(slot, process, conn))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _start_ended(self, slot: _Slot, code: int | None) -> bool:
        """Before `serving` is announced: True if this exit ends the start (it fails it, or the start
        already failed or never began), False if every process had served, so that run() is about to
        announce, and this one is replaced like any process that dies later."""
        started = self._started
        if started is not None and not started.done():
            message, problems, _detail = slot.failure or (f"a server process exited ({code})", [], "")
            started.set_exception(StartupFailed(message, problems))
            return True
        return started is None or started.cancelled() or started.exception() is not None

    async def _reap(self, slot: _Slot, process: Any, conn: Any) -> None:
        """An exited process: its pipe let go and its slot emptied, then logged, and replaced unless stopping."""
        await _let_go_of_pipe(slot, process, conn)
        unwritten = slot.backlog.value if slot.backlog is not None else 0  # 0 when it stopped cleanly
        if self.metrics is not None:
            self.metrics.process_gone(process.pid)
            if unwritten:
                self.metrics.count_lost(unwritten)
        slot.process, slot.conn = None, None
        slot.exited.set()
        code = process.exitcode
        if self._stopping:
            event("server process stopped", pid=process.pid, process=slot.index, exitcode=code,
                  **({"unwritten_decisions": unwritten} if unwritten else {}))
            return
        served = None if slot.serving_since is None else time.monotonic() - slot.serving_since
        if not self._announced and self._start_ended(slot, code):
            return
        if served is None and slot.replaces is not None:  # a replacement that exited before it served
            self._restart_counted("failed")
        delay = _restart_delay_after(slot, served)
        event("server process died", logging.ERROR, **_died_fields(slot, process.pid, code, unwritten, delay, served))
        slot.replaces = process.pid if slot.replaces is None else slot.replaces
        slot.restart = asyncio.get_running_loop().call_later(delay, self._spawn, slot)


async def _let_go_of_pipe(slot: _Slot, process: Any, conn: Any) -> None:
    """Wait for the exited process and its message reader, then close its pipe (unless the reader stalled)."""
    await asyncio.to_thread(process.join, 5)
    # The reader ends at the pipe's EOF, once it has handed over the last messages (why the process
    # failed, say): they were queued on the loop before the join returned, so they are handled first.
    if slot.reader is not None:
        await asyncio.to_thread(slot.reader.join, 5)
    await asyncio.sleep(0)
    if slot.reader is None or not slot.reader.is_alive():
        conn.close()  # else a stalled reader still holds it (a process that left the pipe open elsewhere)
    slot.reader = None


def _restart_delay_after(slot: _Slot, served: float | None) -> float:
    """The pause before the slot's next process: none after a stable run, else the growing back-off."""
    if served is not None and served >= STABLE_SECONDS:
        slot.failures = 0
        return 0.0
    slot.failures += 1
    return runtime.restart_delay(slot.failures)


def _died_fields(slot: _Slot, pid: int, code: int | None, unwritten: int, delay: float,
                 served: float | None) -> dict[str, Any]:
    """The fields of `server process died`: the exit, what it left unwritten, and why it failed if it said."""
    fields: dict[str, Any] = {"pid": pid, "process": slot.index, "exitcode": code,
                              "cause": runtime.exit_cause(code),
                              "unwritten_decisions": unwritten, "restart_in_seconds": delay,
                              "served_seconds": None if served is None else round(served, 3)}
    if slot.failure:
        fields |= {"error": slot.failure[0], "problems": slot.failure[1]}
        if slot.failure[2]:
            fields["exception"] = slot.failure[2]
    return fields
