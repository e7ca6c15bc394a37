"""How far an EvaluateCustomers stream decides ahead of the reply it is sending (adapters/grpc/servicer_stream.py): the
bound on what one stream holds in memory while its caller reads slowly or not at all."""

from __future__ import annotations

import asyncio
import collections

STREAM_WINDOW = 16
"""Stream items decided ahead of the one being sent: bounds memory; reading stops while it is full."""
STREAM_WINDOW_BYTES = 4 * 1024 * 1024
"""Request bytes a stream decides ahead, at most: an item bigger than the room left waits for the items before
it, and one bigger than this goes alone. Without it 16 items of up to 8 MiB (and their copies sent to a
worker) were held per stream: 4 streams of 7.7 MiB items took the server process to 1.25 GB."""


class StreamWindow:
    """What a stream decides ahead of the reply being sent: at most STREAM_WINDOW items and STREAM_WINDOW_BYTES of
    requests, though always one item however big. Items leave it in the order they came."""

    def __init__(self) -> None:
        self._sizes: collections.deque[int] = collections.deque()
        self._bytes = 0
        self._room = asyncio.Event()

    async def take(self, size: int) -> None:
        """Wait until an item of `size` bytes fits, then count it in."""
        while self._sizes and (len(self._sizes) >= STREAM_WINDOW or self._bytes + size > STREAM_WINDOW_BYTES):
            self._room.clear()
            await self._room.wait()
        self._sizes.append(size)
        self._bytes += size

    def release(self) -> None:
        """The oldest item's reply is being sent: it leaves the window."""
        self._bytes -= self._sizes.popleft()
        self._room.set()
