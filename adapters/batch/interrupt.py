"""Ctrl-C, SIGTERM and SIGHUP during a batch: remembered, so an interrupt never becomes a quarantined customer.

SIGHUP (a closed terminal, a dropped ssh session) stops the run as SIGTERM does. Its default used to end
the main process on the spot: no summary, the run left `running`, and worker processes not in the
terminal's process group went on deciding with nobody to hand their chunks to.

The handlers raise in the main thread as Python's own does (KeyboardInterrupt for SIGINT,
`Terminated` for SIGTERM), so a blocking wait or a long query stops too. Libraries called while a
customer is decided may catch that exception and raise an ordinary one instead: pydantic turns an
interrupt inside a serializer into `PydanticSerializationError: … KeyboardInterrupt`. The batch
quarantines a customer whose evaluation raises an ordinary exception and goes on, so before this a
Ctrl-C (or a scheduler's SIGTERM) could be swallowed: the run went on to the end, exit 1, and an
unharmed customer stayed quarantined. The batch now asks `raise_if_requested()` before it
quarantines anyone.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_requested: type[BaseException] | None = None


class Terminated(BaseException):
    """SIGTERM or SIGHUP, raised in the main thread so the run is marked failed and the workers are stopped."""


def _handle(signum: int, frame: FrameType | None) -> None:
    global _requested
    _requested = KeyboardInterrupt if signum == signal.SIGINT else Terminated
    raise _requested


def raise_if_requested() -> None:
    """Raise the interrupt again if one arrived in this process (whatever a library made of it)."""
    if _requested is not None:
        raise _requested


@contextmanager
def handled() -> Iterator[None]:
    """Within the block, SIGINT, SIGTERM and SIGHUP stop the batch and are remembered; the old handlers after."""
    global _requested
    _requested = None
    previous = {sig: signal.signal(sig, _handle) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _requested = None


def ignore_in_worker() -> None:
    """A worker process leaves Ctrl-C and a hang-up to the batch's main process.

    A terminal sends SIGINT to the whole process group. The main process stops handing out chunks
    and lets each worker finish the chunk it holds (one transaction); a worker that took the
    interrupt itself could swallow it into a quarantined customer and commit that, or, in the
    middle of a match, leave a fact behind in its rule engine.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # a closed terminal hangs up the whole group too


@contextmanager
def deaf_children() -> Iterator[None]:
    """Worker processes spawned within the block start with SIGINT and SIGHUP blocked.

    The signal mask crosses fork and exec, so a Ctrl-C sent to the whole group while a worker is
    still importing its libraries (before `ignore_in_worker`) stays pending there, then is ignored,
    instead of printing its KeyboardInterrupt traceback. This process gets its own after the block."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGHUP})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
