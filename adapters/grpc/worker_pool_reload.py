"""A new policy version swapped into the worker pool's running workers: PREPARE it beside the
version each serves, then USE on every worker in one step of the event loop, or DISCARD it where
any worker could not build it (docs/service.md, Hot reload).
"""

from __future__ import annotations

import asyncio
import logging
import pickle
from typing import Any

from adapters.grpc.logs import event
from adapters.grpc.worker import DISCARD, PREPARE, USE
from adapters.grpc.worker_handle import WorkerHandle
from adapters.grpc.worker_pool_processes import WorkerPoolProcesses
from policy_engine.domain.errors import EngineFailure


def _ignore_outcome(fut: asyncio.Future[Any]) -> None:
    """Retrieve the future's exception when it comes, so that nothing logs it as never retrieved."""
    fut.add_done_callback(lambda f: f.cancelled() or f.exception())


class WorkerPoolReload(WorkerPoolProcesses):
    """The PREPARE-USE-DISCARD protocol on the pool's workers."""

    async def load(self, program: bytes, version: str, files: dict[str, str], timeout: float = 60.0) -> bool:
        """Swap a new version into the running workers: True once every request sent from now on is
        decided by it, False (nothing changed) if that cannot be done, and the caller should start a
        fresh pool instead: a worker being replaced, or one that died, closed or could not build it.

        `program` is the version compiled elsewhere (`policy_engine.api.program_bytes`), `files` its rule files
        (for a replacement that cannot use the program: WorkerPoolEngine), so a worker
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
        failure = await self._not_prepared(workers, answers, version, timeout)
        if failure:
            self._discard(answers, version, failure)
            return False
        # First what a replacement starts from, so that a worker lost even while USE is sent is
        # replaced on the new version; then the swap, with no await from the first USE to the last.
        self.version, self._program, self._files = version, program, files
        self._args = (self._args[0], {}, self._args[2])
        for w in workers:
            self._control(w, USE)
        return True

    async def _not_prepared(self, workers: list[WorkerHandle], answers: list[asyncio.Future[bytes]], version: str,
                            timeout: float) -> str:
        """Wait for every worker's answer to PREPARE: why the version cannot be swapped in, "" if it can."""
        try:
            replies = await asyncio.wait_for(asyncio.gather(*answers), timeout)
            ready = [pickle.loads(r[1:]) == ("ready", version) for r in replies]
        except Exception as exc:  # a worker died or closed (EngineFailure, Resend), or the timeout
            return f"{type(exc).__name__}: {exc}"
        if not all(ready):
            return f"a worker could not build the version: {replies}"
        if self._closed or self._workers != workers or not all(w.serving for w in workers):
            return "a worker closed or was replaced while the version was being prepared"
        return ""

    def _discard(self, answers: list[asyncio.Future[bytes]], version: str, failure: str) -> None:
        """DISCARD the prepared version on every serving worker, and log why it was not swapped in."""
        for w in self._workers:
            if w.serving:
                self._control(w, DISCARD)
        for answer in answers:
            _ignore_outcome(answer)
        event("policy not swapped into the running workers", logging.WARNING, version=version,
              reason=failure[:500], action="a fresh set of workers is started for it")

    def _control(self, w: WorkerHandle, message: bytes) -> asyncio.Future[bytes]:
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
