"""The line callers wait in when every place that decides is full: two classes, unary calls and streams,
taken alternately when both wait, and within each class the flows in turn (fair queueing). Each
EvaluateCustomers stream is one flow; the unary calls (`CheckOrder`, `EvaluateCustomer`: an order system
waiting to ship) of one connection are one flow, in arrival order. So an interactive call waits behind at
most one stream item and one call of each other connection with unary calls waiting, not behind a round
of every busy stream nor another caller's flood of unary calls; and a flood of unary calls still leaves
the streams every other turn: neither class can starve the other. A flow's queue is dropped once empty,
so the keys held are those of callers waiting. Every step is O(1)."""

from __future__ import annotations

import asyncio
import collections


def is_unary(flow: object | None) -> bool:
    """Whether `flow` is a unary call's: its connection's key (a str, `context.peer()`), or None for a call
    whose connection is not known; a stream's flow is its own object, never a str."""
    return flow is None or type(flow) is str


class _FlowQueue(collections.deque[asyncio.Future[None]]):
    """One flow's callers waiting for room, in arrival order: a single turn of its class."""

    __slots__ = ("flow",)

    def __init__(self, flow: object | None):
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
        self._unary: collections.deque[_FlowQueue] = collections.deque()
        """The queues of the connections with unary calls waiting, in turn."""
        self._streams: collections.deque[_FlowQueue] = collections.deque()
        """The queues of the streams with callers waiting, in turn."""
        self._flows: dict[object | None, _FlowQueue] = {}
        """The queue (in `_unary` or `_streams`) of each flow with callers waiting, by its flow."""
        self._unary_next = True
        """Whose turn it is when both classes wait: the one not served last."""

    async def wait(self, loop: asyncio.AbstractEventLoop, flow: object | None, at_head: bool) -> None:
        """Wait for a turn: back at the head of the line (a caller that had its turn keeps its place), else
        at the end of its flow's queue (`is_unary(flow)`: a connection's unary calls; else a stream's)."""
        waiter: asyncio.Future[None] = loop.create_future()
        if at_head:
            self._head.appendleft(waiter)
        elif (queue := self._flows.get(flow)) is not None:
            queue.append(waiter)
        else:
            queue = self._flows[flow] = _FlowQueue(flow)
            queue.append(waiter)
            (self._unary if is_unary(flow) else self._streams).append(queue)
        self.waiting += 1
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.wake()  # it was this caller's turn: pass it on
            raise

    def wake(self) -> None:
        """Let the caller whose turn it is look for room again: one back at the head, else the next of the
        next flow in turn of the class whose turn it is."""
        while self._head:
            self.waiting -= 1
            if _woken(self._head.popleft()):
                return  # its class's turn was counted when it first had it
        while self._unary or self._streams:
            unary = bool(self._unary) and (self._unary_next or not self._streams)
            waiter = self._next_caller(self._unary if unary else self._streams)
            self.waiting -= 1
            if _woken(waiter):
                self._unary_next = not unary  # a cancelled caller spent no turn of its class
                return

    def _next_caller(self, flows: collections.deque[_FlowQueue]) -> asyncio.Future[None]:
        """The head of the next flow's queue; the flow goes to the end of its class if more wait."""
        queue = flows.popleft()
        waiter = queue.popleft()
        if queue:
            flows.append(queue)  # the flow's next caller waits for the other flows' turns
        else:
            del self._flows[queue.flow]
        return waiter

    def wake_all(self) -> None:
        """Let every waiting caller look again (the pool closes, or no worker is left)."""
        while self.waiting:
            self.wake()

    def flows_waiting(self) -> int:
        """Flows (streams, and connections with unary calls) with callers in the line."""
        return len(self._flows)


def _woken(waiter: asyncio.Future[None]) -> bool:
    """Give the caller its turn, unless it has gone (done = cancelled while waiting)."""
    if waiter.done():
        return False
    waiter.set_result(None)
    return True
