"""How a server process runs: its event loop, and a garbage collector kept out of the tail latency.

Event loop: grpc.aio moves every call's bytes and callbacks through the running event loop; uvloop
(libuv, Cython) costs less CPU per call than asyncio's pure-Python loop (docs/service.md, "Process
runtime"). `--event-loop asyncio` keeps the standard loop, for a platform without uvloop or to rule
the loop out when chasing a problem.

Garbage collector: a server process holds ~45,000 container objects once started (modules, gRPC,
pydantic's schemas, the compiled policy), and CPython's full collections walk all of them, in pauses
of 20–50 ms on this VM, which land on whatever calls are in flight. `settle_heap` collects the
start-up garbage once and then freezes what is alive into the permanent generation, which later
collections skip.
"""

from __future__ import annotations

import asyncio
import gc
import os
import platform
import resource
import signal
import sys
from collections.abc import Callable, Coroutine
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar


class CannotListen(OSError):
    """An address the service was told to listen on (gRPC or metrics) cannot be bound; the message names
    it. (Here, not in metrics.py, so that the `--processes` supervisor can raise it without importing
    prometheus_client before it has set up the multiprocess directory.)"""


DEFAULT_MAX_IN_FLIGHT = 10_000
"""Decision calls (and streams) one server process takes at once (`serve --max-in-flight`); past it
the servicer answers RESOURCE_EXHAUSTED. Here, not in the servicer, because the CLI and the
supervisor read it without importing gRPC."""
MAX_MAX_IN_FLIGHT = 100_000
DEFAULT_MAX_HEALTH_WATCHES = 10_000
"""Health Watch streams one server process holds open at once (`serve --max-health-watches`): gRPC's client-side
health checking keeps one per connection; past it a Watch is refused RESOURCE_EXHAUSTED (health_watch.py)."""
MAX_MAX_HEALTH_WATCHES = 100_000

NOW_SIGNAL = signal.SIGUSR1
"""What the `--processes` supervisor sends its server processes on a second stop signal (server_stop.py): a
repeated SIGTERM cannot mean "now" there, as systemd's KillMode=control-group, or an init that signals the
whole group, sends each process a SIGTERM of its own beside the one the supervisor forwards."""
ENGINE_BROKEN_EXIT = 3


def store_shown(store_url: str | None, given: bool = False) -> str:
    """The store as the `serving` line names it: its URL without the password, `memory` for none, `given` for
    a store object passed in without a URL (tests). An operator reads here which database answers: a typo in
    --db opens a new, empty SQLite file, and a stale $CREDIT_POLICY_DB another database, without another word."""
    if store_url:
        from adapters.store.engine import safe_url  # there: the store at this URL was opened to get here

        return safe_url(store_url)
    return "given" if given else "memory"
"""The exit code of an engine worker or `--processes` server process that stopped because repeated
engine failures closed its policy's ruleset for good (`Policy.engine_broken`); it is replaced by a
fresh process, which gives back the memory of the engine rulesets the failures abandoned."""


def exit_cause(exitcode: int | None) -> str:
    """Why an engine worker or server process ended, in words, from its exit code."""
    if exitcode == ENGINE_BROKEN_EXIT:
        return "its rule engine closed after repeated failures"
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return "died" if exitcode is None else f"exited with code {exitcode}"


BACKOFF_FIRST, BACKOFF_MAX = 0.5, 30.0
"""Pauses before starting a process again after it failed to start or died early: 0.5 s, doubling, at
most 30 s (a `--processes` server process; an engine worker whose replacement failed to start)."""


def restart_delay(failures: int) -> float:
    """The pause before the next start after `failures` (≥ 1) failed or short-lived ones in a row."""
    return min(BACKOFF_MAX, BACKOFF_FIRST * 2.0 ** min(max(failures, 1) - 1, 16))


async def reap(process: BaseProcess, timeout: float) -> None:
    """Join `process` in a thread; cancelled, still wait for that join to end before going on."""
    # Of two threads joining one process, the one whose waitpid finds it reaped by the other (ECHILD) takes
    # it for alive until the other records its exit: a join started meanwhile (an engine pool's closing)
    # would leave it listed as a child, its exit code unknown, and signal its pid, free for reuse.
    join = asyncio.ensure_future(asyncio.to_thread(process.join, timeout))
    try:
        await asyncio.shield(join)
    except asyncio.CancelledError:
        await join
        raise


EVENT_LOOPS = ("auto", "uvloop", "asyncio")
"""`auto`: uvloop if it can be imported, else asyncio."""

_T = TypeVar("_T")


class EventLoopUnavailable(RuntimeError):
    """`--event-loop uvloop` on a machine without uvloop."""


def resolve(name: str) -> str:
    """The loop `name` stands for on this machine: `uvloop` or `asyncio`."""
    if name not in EVENT_LOOPS:
        raise ValueError(f"unknown event loop {name!r}: choose one of {', '.join(EVENT_LOOPS)}")
    if name == "asyncio":
        return "asyncio"
    try:
        import uvloop  # noqa: F401
    except ImportError as exc:
        if name == "uvloop":
            raise EventLoopUnavailable(f"uvloop is not installed ({exc}); use --event-loop asyncio") from exc
        return "asyncio"
    return "uvloop"


def loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """A factory for asyncio.Runner (None: asyncio's default loop)."""
    if resolve(name) == "asyncio":
        return None
    import uvloop

    return uvloop.new_event_loop


def loop_name(loop: asyncio.AbstractEventLoop) -> str:
    """`uvloop` or `asyncio`: the kind of a running loop (logged with `serving`)."""
    return "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"


def interpreter() -> str:
    """`CPython 3.11.7 (main, May 9 2026, 07:35:25) [GCC 12.2.0]`, logged with `serving`: how CPython
    was built changes the service's CPU per call by ~15% (docs/service.md, "The interpreter")."""
    return f"{platform.python_implementation()} {platform.python_version()} {' '.join(sys.version.split()[1:])}"


def run(coro: Coroutine[Any, Any, _T], event_loop: str = "auto") -> _T:
    """asyncio.run(coro) on the chosen loop."""
    with asyncio.Runner(loop_factory=loop_factory(event_loop)) as runner:
        return runner.run(coro)


def watch_readable(loop: asyncio.AbstractEventLoop, fd: int, callback: Callable[..., Any], *args: Any) -> None:
    """`loop.add_reader(fd, callback, *args)` for one of our pipes to another process (a multiprocessing
    Connection), which we read and write with its blocking `recv_bytes`/`send_bytes`/`send` (or, on a call's
    path, with pipe_frames.py's reads and writes of the same messages, blocking too).

    uvloop's add_reader (libuv's `uv_poll_init`) switches the descriptor to non-blocking mode, and
    remove_reader leaves it so; asyncio's does not. On a non-blocking descriptor a Connection fails
    half-way through any message bigger than what the socket holds at that moment, with
    BlockingIOError: a worker's 30 KiB reply read before its second half arrived, a 300 KiB request
    written to a worker faster than it reads, a rule set sent to the supervisor; the pool took each for
    a dead worker. The loop only watches the descriptor for readability and never reads it itself, so
    it is switched back to blocking mode here, after every add_reader (uvloop sets it again each time
    it starts watching a descriptor)."""
    loop.add_reader(fd, callback, *args)
    os.set_blocking(fd, True)


def settle_heap() -> None:
    """Call once a process has started (imports done, policy compiled, server bound): collect the
    garbage of starting up, then exempt every object still alive from later collections.

    Frozen objects are still freed by reference counting; only a frozen object that later becomes
    part of an unreachable cycle is never reclaimed. The compiled policy is freed by reference
    counting when a reload replaces it (tests/unit/test_runtime.py checks), so reloads do not leak.
    """
    gc.collect()
    gc.freeze()


def open_files_limit() -> int:
    """This process's soft limit of open files: about how many connections it can hold (the `serving` line)."""
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def raise_open_files_limit() -> None:
    """Raise this process's soft limit of open files to its hard limit (the processes it starts inherit it).

    Every connection is a file descriptor, and gRPC stops accepting at the soft limit, which is often 1,024
    (systemd's default, against a hard limit of 524,288): past ~1,000 callers a new one waited out its
    deadline. The hard limit is the operator's bound; the soft one is only a default (Go programs raise it too).
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (OSError, ValueError):  # a hard limit of RLIM_INFINITY beyond the kernel's nr_open: keep the soft one
            pass
