"""Messages on the pipe between the server and an engine worker, in multiprocessing's own framing (a 4-byte
big-endian length, or -1 and an 8-byte one past 2 GiB), read and written with fewer system calls.

A `Connection.recv_bytes` reads the length, then the message: two reads a message, through Python's io
layer. A `FrameReader` reads what the pipe holds in one read and keeps any message behind it (a worker
holds up to two requests: the second then costs no call at all). `ready` asks one kept poll object whether
a message waits, where `Connection.poll()` builds and closes a selector each time (~4 µs against ~0.7).
Both ends stay compatible with a Connection's `send_bytes`/`recv_bytes`, so the handshake and the tests'
fakes may use either. The descriptor is in blocking mode (runtime.watch_readable): a read waits for the
rest of a message that came in parts, as `recv_bytes` does.
"""

from __future__ import annotations

import os
import select
from typing import Any

_CHUNK = 1 << 16
"""Bytes asked for by a read that does not know the message's length yet: a request or answer (~2-3 KB) and
the next one behind it."""
_JOINED_UP_TO = 16384
"""Up to this size the length and the message go in one write; past it apart (no copy), as Connection.send_bytes."""
_LONG = -1  # the 4-byte length that says an 8-byte one follows
_POLLED = select.POLLIN


class FrameReader:
    """Whole messages from one end of a multiprocessing pipe, read ahead into a buffer."""

    def __init__(self, conn: Any):
        self._conn = conn
        self._buffer = b""
        self._poll = select.poll()
        self._poll.register(conn.fileno(), _POLLED)

    def ready(self) -> bool:
        """Whether `read` has a message (or the pipe's end) without waiting: one kept already, or bytes or
        the end waiting in the pipe (what Connection.poll() tells)."""
        return self._whole() is not None or bool(self._poll.poll(0))

    def read(self) -> bytes:
        """The next message, waiting for it (EOFError at the pipe's end between messages; OSError in one)."""
        while True:
            bounds = self._whole()
            if bounds is not None:
                start, end = bounds
                buffer = self._buffer
                self._buffer = buffer[end:]
                return buffer[start:end]
            self._fill()

    def _whole(self) -> tuple[int, int] | None:
        """Where the first kept message starts and ends, if all of it is kept."""
        buffer = self._buffer
        if len(buffer) < 4:
            return None
        size, start = int.from_bytes(buffer[:4], "big", signed=True), 4
        if size == _LONG:
            if len(buffer) < 12:
                return None
            size, start = int.from_bytes(buffer[4:12], "big"), 12
        end = start + size
        return (start, end) if len(buffer) >= end else None

    def _fill(self) -> None:
        """Read more: one read for a short message, the whole rest of a long one in reads of what it lacks."""
        buffer = self._buffer
        missing = _missing(buffer)
        chunks = [buffer]
        fd = self._conn.fileno()  # OSError once the pipe is closed, as recv_bytes: its number may be reused
        while True:
            chunk = os.read(fd, max(missing, _CHUNK))
            if not chunk:
                if buffer or len(chunks) > 1:
                    raise OSError("got end of file during message")
                raise EOFError
            chunks.append(chunk)
            missing -= len(chunk)
            if missing <= 0:
                break
        self._buffer = b"".join(chunks)


def _missing(buffer: bytes) -> int:
    """Bytes still to come of the message `buffer` starts (0 while its length is not yet known)."""
    if len(buffer) < 4:
        return 0
    size = int.from_bytes(buffer[:4], "big", signed=True)
    if size == _LONG:
        return 0 if len(buffer) < 12 else 12 + int.from_bytes(buffer[4:12], "big") - len(buffer)
    return 4 + size - len(buffer)


def send_frame(conn: Any, data: bytes) -> None:
    """Connection.send_bytes(data) without its Python layers: one write for a message up to 16 KiB."""
    size = len(data)
    fd = conn.fileno()  # OSError once the pipe is closed, as send_bytes
    if size <= 0x7FFFFFFF:
        header = size.to_bytes(4, "big")
    else:
        header = _LONG.to_bytes(4, "big", signed=True) + size.to_bytes(8, "big")
    if size <= _JOINED_UP_TO:
        _write_all(fd, header + data)
    else:
        _write_all(fd, header)
        _write_all(fd, data)


def _write_all(fd: int, data: bytes) -> None:
    """Write all of `data` (a blocking write may still stop short, after a signal)."""
    written = os.write(fd, data)
    if written < len(data):
        view = memoryview(data)
        while written < len(data):
            written += os.write(fd, view[written:])
