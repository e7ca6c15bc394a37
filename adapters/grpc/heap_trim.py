"""Give the heap's free memory back to the system once the server is idle after big requests.

glibc's malloc keeps what a flood of big requests freed: 120 refused 7.7 MiB requests from 4 callers left the
server process's RSS 32 to 100 MB up for good (not a leak: `malloc_trim(0)` gave back 42 to 88 MB of it).
Operators read RSS on dashboards and size containers by it. A trim costs 5–7 ms when it has that much to give
back, under 0.3 ms when not, and holds malloc's locks while it runs, so it is never on a call's path: a periodic
task trims when no call is in flight and requests of at least BIG_REQUEST_BYTES came since the last trim, at
most every TRIM_EVERY_S. Where libc has no malloc_trim (musl, macOS) nothing is done.
"""

from __future__ import annotations

import asyncio
import ctypes
from collections.abc import Callable

BIG_REQUEST_BYTES = 1024 * 1024
"""A request this big or bigger makes a trim worth it once the server is idle (small ones leave little behind)."""
TRIM_EVERY_S = 10.0
"""How often the idle check runs: at most one trim this often."""


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim from the symbols already in the process; None where libc has none."""
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    trim = getattr(libc, "malloc_trim", None)
    if trim is None:
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim  # type: ignore[no-any-return]


MALLOC_TRIM = _malloc_trim()
"""glibc's malloc_trim, or None (musl, macOS)."""


class HeapTrim:
    """Counts the bytes of big requests taken; trims the heap once the server is idle after them."""

    def __init__(self, trim: Callable[[int], int] | None = MALLOC_TRIM, every: float = TRIM_EVERY_S):
        self._trim, self.every = trim, every
        self.big_bytes = 0
        """Bytes of requests of BIG_REQUEST_BYTES or more taken since the last trim."""
        self.trims = 0

    def note(self, request_bytes: int) -> None:
        """Count one request's size if it is big (all a call pays: a comparison)."""
        if request_bytes >= BIG_REQUEST_BYTES:
            self.big_bytes += request_bytes

    def trim_if_idle(self, in_flight: int) -> bool:
        """Trim when big requests came since the last trim and none is in flight; whether it trimmed."""
        if self._trim is None or not self.big_bytes or in_flight:
            return False
        self._trim(0)
        self.big_bytes = 0
        self.trims += 1
        return True

    async def keep_trimmed(self, in_flight: Callable[[], int]) -> None:
        """Every `every` seconds, trim_if_idle (runs until cancelled)."""
        while True:
            await asyncio.sleep(self.every)
            self.trim_if_idle(in_flight())
