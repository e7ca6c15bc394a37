"""The engine workers' pipe framing (adapters/grpc/pipe_frames.py) against multiprocessing's Connection."""

from __future__ import annotations

import multiprocessing
import os
import threading

import pytest

from adapters.grpc.pipe_frames import FrameReader, send_frame

SIZES = (0, 1, 3, 4, 2_300, 16_384, 16_385, 70_000, 300_000)


def _pipe() -> tuple[multiprocessing.connection.Connection, multiprocessing.connection.Connection]:
    return multiprocessing.Pipe(duplex=True)


def _message(size: int) -> bytes:
    return bytes(i % 251 for i in range(size))


def _in_thread(fn: object) -> threading.Thread:
    # Big messages fill the socket's buffer: the other end must read while they are written.
    thread = threading.Thread(target=fn, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("ours_writes", [False, True], ids=["send_bytes-to-FrameReader", "send_frame-to-recv_bytes"])
def test_either_end_reads_what_the_other_framing_wrote(size: int, ours_writes: bool) -> None:
    reading, writing = _pipe()
    message = _message(size)
    write = (lambda: send_frame(writing, message)) if ours_writes else (lambda: writing.send_bytes(message))

    writer = _in_thread(write)
    read = reading.recv_bytes() if ours_writes else FrameReader(reading).read()
    writer.join()

    assert read == message


def test_messages_read_in_one_go_come_out_one_at_a_time_and_in_order() -> None:
    ours, theirs = _pipe()
    reader = FrameReader(ours)
    messages = [b"c" + bytes([i]) * i for i in range(1, 6)]
    for message in messages:
        theirs.send_bytes(message)

    first = reader.read()

    assert first == messages[0] and reader.ready()
    assert [reader.read() for _ in messages[1:]] == messages[1:]
    assert not reader.ready()


def test_a_message_that_arrives_in_parts_is_read_whole() -> None:
    ours, theirs = _pipe()
    reader = FrameReader(ours)
    message = _message(5_000)
    frame = len(message).to_bytes(4, "big") + message
    os.write(theirs.fileno(), frame[:2])  # not even the whole length yet

    assert reader.ready() and ours.poll()  # bytes wait, as a Connection says: the read waits for the rest
    later = threading.Timer(0.05, lambda: os.write(theirs.fileno(), frame[2:]))
    later.start()
    read = reader.read()
    later.join()

    assert read == message


def test_ready_says_what_poll_says_at_the_end_of_the_pipe_and_read_raises_eof() -> None:
    ours, theirs = _pipe()
    reader = FrameReader(ours)
    theirs.send_bytes(b"last")
    theirs.close()

    assert reader.read() == b"last"
    assert reader.ready() and ours.poll()  # the end is "readable", as a Connection says
    with pytest.raises(EOFError):
        reader.read()


def test_the_end_of_the_pipe_inside_a_message_is_an_oserror_not_a_clean_end() -> None:
    ours, theirs = _pipe()
    os.write(theirs.fileno(), (100).to_bytes(4, "big") + b"only part")
    theirs.close()

    with pytest.raises(OSError, match="end of file during message"):
        FrameReader(ours).read()


def test_a_closed_pipe_is_refused_not_read_by_its_old_number() -> None:
    ours, theirs = _pipe()
    reader = FrameReader(ours)
    ours.close()

    with pytest.raises(OSError):
        reader.read()
    with pytest.raises(OSError):
        send_frame(ours, b"x")


def test_the_long_length_form_is_read_as_connection_reads_it() -> None:
    # Past 2 GiB a Connection writes -1 and then an 8-byte length; the same form for a short message is read
    # alike by both (a real one of that size is too big for a test).
    frame = (-1).to_bytes(4, "big", signed=True) + (5).to_bytes(8, "big") + b"hello"
    (for_ours, theirs), (for_connection, other) = _pipe(), _pipe()
    os.write(theirs.fileno(), frame)
    os.write(other.fileno(), frame)

    assert FrameReader(for_ours).read() == for_connection.recv_bytes() == b"hello"


def test_a_closing_read_with_the_last_answer_is_handled_at_once() -> None:
    """The worker answers its last request and says CLOSING at once: one read may take both, and the pipe is then
    empty, so the event loop will not call `_on_answers` again until the worker exits (after flushing its log).
    Meanwhile the pool would still send it requests. `_on_answers` must handle the kept CLOSING in the same call."""
    import asyncio
    import collections
    import types

    from adapters.grpc.worker import CLOSING
    from adapters.grpc.worker_pool import WorkerPoolEngine

    reading, writing = _pipe()
    send_frame(writing, b"the last answer")
    send_frame(writing, CLOSING)
    loop = asyncio.new_event_loop()
    try:
        answer = loop.create_future()
        w = types.SimpleNamespace(answers=FrameReader(reading), pending=collections.deque([answer]))
        seen: list[str] = []
        pool = types.SimpleNamespace(_closing=lambda _w: seen.append("closing"),
                                     _lost=lambda _w, exc: seen.append(f"lost: {exc!r}"), _wake=lambda: None)
        WorkerPoolEngine._on_answers(pool, w)  # type: ignore[arg-type]
        assert answer.result() == b"the last answer"
        assert seen == ["closing"]
    finally:
        loop.close()
        reading.close()
        writing.close()
