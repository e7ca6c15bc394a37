"""The line callers wait in when every place that decides is full: two classes, unary calls and streams,
taken alternately when both wait, and within the streams the flows in turn (fair queueing). Each
EvaluateCustomers stream is one flow; unary calls (`CheckOrder`, `EvaluateCustomer`: an order system
waiting to ship) wait in arrival order. So an interactive call waits behind at most one stream item and
the unary calls ahead of it, not behind a round of every busy stream, and a flood of unary calls still
leaves the streams every other turn: neither class can starve the other. Every step is O(1)."""

from __future__ import annotations

import asyncio
import collections


class _FlowQueue(collections.deque[asyncio.Future[None]]):
    """One stream's callers waiting for room, in arrival order: a single turn in the line."""

    __slots__ = ("flow",)

    def __init__(self, flow: object):
        super().__init__()
        self.flow = flow


class FairLine:
    """Waiting callers by class and flow; `wake()` lets the caller whose turn it is look for room again."""

    __slots__ = ("_flows", "_head", "_streams", "_unary", "_unary_next", "waiting")

    def __init__(self) -> None:
        self.waiting = 0
        """Callers in the line (a cancelled one until its turn comes): 0 when no one waits. The hot path
        tests it as it is, with no call."""
        self._head: collections.deque[asyncio.Future[None]] = collections.deque()
        """Callers that had their turn and found no room: before either class, their class's turn spent."""
        self._unary: collections.deque[asyncio.Future[None]] = collections.deque()
        """Unary calls, in arrival order."""
        self._streams: collections.deque[_FlowQueue] = collections.deque()
        """The queues of the streams with callers waiting, in turn."""
        self._flows: dict[object, _FlowQueue] = {}
        """The queue in `_streams` of each stream with callers waiting, by its flow."""
        self._unary_next = True
        """Whose turn it is when both classes wait: the one not served last."""

    async def wait(self, loop: asyncio.AbstractEventLoop, flow: object | None, at_head: bool) -> None:
        """Wait for a turn: back at the head of the line (a caller that had its turn keeps its place), at the
        end of the unary calls (`flow` None) or at the end of the stream's queue."""
        waiter: asyncio.Future[None] = loop.create_future()
        if at_head:
            self._head.appendleft(waiter)
        elif flow is None:
            self._unary.append(waiter)
        elif (queue := self._flows.get(flow)) is not None:
            queue.append(waiter)
        else:
            queue = self._flows[flow] = _FlowQueue(flow)
            queue.append(waiter)
            self._streams.append(queue)
        self.waiting += 1
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.wake()  # it was this caller's turn: pass it on
            raise

    def wake(self) -> None:
        """Let the caller whose turn it is look for room again: one back at the head, else the next of the
        class whose turn it is (the next stream's, in turn, for the streams)."""
        while self._head:
            self.waiting -= 1
            if _woken(self._head.popleft()):
                return  # its class's turn was counted when it first had it
        while self._unary or self._streams:
            unary = bool(self._unary) and (self._unary_next or not self._streams)
            waiter = self._unary.popleft() if unary else self._next_stream_caller()
            self.waiting -= 1
            if _woken(waiter):
                self._unary_next = not unary  # a cancelled caller spent no turn of its class
                return

    def _next_stream_caller(self) -> asyncio.Future[None]:
        """The head of the next stream's queue; the stream goes to the end of the streams if more wait."""
        queue = self._streams.popleft()
        waiter = queue.popleft()
        if queue:
            self._streams.append(queue)  # the stream's next caller waits for the other streams' turns
        else:
            del self._flows[queue.flow]
        return waiter

    def wake_all(self) -> None:
        """Let every waiting caller look again (the pool closes, or no worker is left)."""
        while self.waiting:
            self.wake()

    def flows_waiting(self) -> int:
        """Streams with callers in the line."""
        return len(self._flows)


def _woken(waiter: asyncio.Future[None]) -> bool:
    """Give the caller its turn, unless it has gone (done = cancelled while waiting)."""
    if waiter.done():
        return False
    waiter.set_result(None)
    return True
