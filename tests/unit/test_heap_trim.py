"""adapters/grpc/heap_trim.py: the heap is trimmed only once the server is idle after big requests."""

from __future__ import annotations

import asyncio

import pytest

from adapters.grpc.heap_trim import BIG_REQUEST_BYTES, HeapTrim


class _Trims:
    def __init__(self) -> None:
        self.calls: list[int] = []

    def __call__(self, pad: int) -> int:
        self.calls.append(pad)
        return 1


@pytest.mark.parametrize(("in_flight", "done"), [
    ((0, 0), [True, False]),  # once idle after a big request, and not again without one
    ((1, 0), [False, True]),  # not while a call is in flight
])
def test_the_heap_is_trimmed_only_once_idle_after_a_big_request(in_flight: tuple[int, int], done: list[bool]) -> None:
    trims = _Trims()
    heap = HeapTrim(trims)
    heap.note(BIG_REQUEST_BYTES)

    tried = [heap.trim_if_idle(n) for n in in_flight]

    assert tried == done and trims.calls == [0]


def test_small_requests_are_not_counted_and_bring_no_trim() -> None:
    trims = _Trims()
    heap = HeapTrim(trims)

    heap.note(BIG_REQUEST_BYTES - 1)

    assert (heap.big_bytes, heap.trim_if_idle(0), trims.calls) == (0, False, [])


def test_without_malloc_trim_nothing_is_done() -> None:
    heap = HeapTrim(None)
    heap.note(BIG_REQUEST_BYTES)

    assert heap.trim_if_idle(0) is False


def test_the_periodic_task_trims_when_the_in_flight_count_falls_to_zero() -> None:
    trims = _Trims()
    heap = HeapTrim(trims, every=0.01)
    heap.note(BIG_REQUEST_BYTES)
    in_flight = [1]

    async def run() -> None:
        task = asyncio.ensure_future(heap.keep_trimmed(lambda: in_flight[0]))
        await asyncio.sleep(0.05)
        assert trims.calls == []
        in_flight[0] = 0
        await asyncio.sleep(0.05)
        task.cancel()

    asyncio.run(run())

    assert trims.calls == [0]
