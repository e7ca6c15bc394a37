"""A Ctrl-C held off across a few statements that must be done together (an import's commit and the flag that
says it was done), then raised as it would have been: with Python's own handler a KeyboardInterrupt could land
between them, and the command said "nothing imported" of an import that was committed."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any


@contextmanager
def sigint_held() -> Iterator[None]:
    """Within the block a SIGINT is noted, not raised; after it, the handler that was in place gets it.

    Only in the main thread, where Python runs signal handlers, and only over a Python handler (an ignored
    SIGINT stays ignored); elsewhere the block runs as it is."""
    previous: Any = signal.getsignal(signal.SIGINT)  # read first: nothing to undo if a Ctrl-C lands before `try`
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        yield
        return
    noted: list[FrameType | None] = []
    try:
        signal.signal(signal.SIGINT, lambda _signum, frame: noted.append(frame))
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if noted:
        previous(signal.SIGINT, noted[0])
