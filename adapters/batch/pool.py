"""The worker processes of `batch --workers` and `simulate --workers`: one pool, the same behaviour for both.

A worker is spawned with Ctrl-C and a hang-up blocked and then ignores them (the main process stops the
run), and it exits on its own once its main process is gone (`kill -9` of that PID, the OOM killer).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, TypeVar

from adapters.batch import interrupt

Chunk = TypeVar("Chunk")
Result = TypeVar("Result")

PARENT_CHECK_SECONDS = 0.5
WINDOW_PER_WORKER = 2
"""Chunks submitted per worker at most: enough to keep every worker busy; memory stays flat."""
WORKERS_MAY_RUN = "workers_may_run"
"""Set on an interrupt that cut short the wait for the workers: a chunk may still commit after it."""


def worker_started() -> None:
    """First thing in a pool initializer: leave Ctrl-C and a hang-up to the main process, and die with it."""
    interrupt.ignore_in_worker()
    parent = multiprocessing.parent_process()
    # The pid multiprocessing was spawned by, not os.getppid(): a main process killed while this worker
    # still imported its libraries has already left it to init, which it would then watch for ever.
    _exit_with_parent(parent.pid if parent is not None and parent.pid is not None else os.getppid())


def _exit_with_parent(parent: int) -> None:
    """End this worker once the process that spawned it is gone.

    The pool's workers otherwise wait for work for ever, ~100 MiB each. A batch chunk in hand is cut
    short like any killed one: its transaction is rolled back whole and the next start takes it again."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(3)  # the parent is gone: nobody can take this worker's results

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def pooled(workers: int, initializer: Callable[..., None], initargs: tuple[Any, ...],
           task: Callable[[Chunk], Result], chunks: Iterable[Chunk]) -> Iterator[Result]:  # fmt: skip
    """`task(chunk)` for every chunk in `workers` spawned processes, each result as it comes; a bounded queue.

    `initializer` must call `worker_started()` first. Stopped by an exception (Ctrl-C included), the
    chunks not yet taken are cancelled and those the workers hold are finished before it is raised."""
    # spawn: a fresh interpreter per worker, never a fork of a process holding an engine or a socket.
    context = multiprocessing.get_context("spawn")
    window = workers * WINDOW_PER_WORKER
    # Its queues start multiprocessing's resource tracker, which ignores SIGINT and SIGTERM but not SIGHUP:
    # a closed terminal killed it, and its replacement printed a KeyError traceback per semaphore.
    with interrupt.deaf_children():
        executor = ProcessPoolExecutor(workers, mp_context=context, initializer=initializer, initargs=initargs)
    with executor as pool:
        in_flight: set[Future[Result]] = set()
        try:
            for chunk in chunks:
                with interrupt.deaf_children():  # submit spawns the workers, on demand
                    in_flight.add(pool.submit(task, chunk))
                if len(in_flight) >= window:
                    finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                    yield from (future.result() for future in finished)
            while in_flight:
                finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                yield from (future.result() for future in finished)
        except BaseException:
            _stop_workers(pool)
            raise


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Cancel the chunks not yet taken and wait for those the workers hold: a batch chunk commits (one
    transaction) before the stop goes on, so a stopped run's count in the store is exact. (shutdown(wait=False)
    returned at once, and the with-block's own wait then did nothing: chunks committed after the
    summary had counted.) A second interrupt during the wait is marked: the count is a lower bound."""
    try:
        pool.shutdown(wait=True, cancel_futures=True)
    except BaseException as again:
        setattr(again, WORKERS_MAY_RUN, True)
        raise
