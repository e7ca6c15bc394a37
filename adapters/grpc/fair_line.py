"""The line callers wait in when every place that decides is full: by flow, the flows in turn (fair
queueing). Each EvaluateCustomers stream is one flow, each unary call a flow of its own, so an interactive
call waits behind about one request of each busy stream, not behind all that a stream decides ahead."""

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
    """Waiting callers by flow; `wake()` lets the head of the next flow in turn look for room again."""

    __slots__ = ("_flows", "turns")

    def __init__(self) -> None:
        self.turns: collections.deque[asyncio.Future[None] | _FlowQueue] = collections.deque()
        """The line, in turn: a caller of its own (a unary call, or one back at the head) or a stream's queue.
        Empty when no one waits: the hot path tests it as it is, with no call."""
        self._flows: dict[object, _FlowQueue] = {}
        """The queue in the line of each stream with callers waiting, by its flow."""

    async def wait(self, loop: asyncio.AbstractEventLoop, flow: object | None, at_head: bool) -> None:
        """Wait for a turn: back at the head of the line (a caller that had its turn keeps its place), at the
        end of the flow's queue, or (a call of its own, or a stream's first caller waiting) at the end."""
        waiter: asyncio.Future[None] = loop.create_future()
        if at_head:
            self.turns.appendleft(waiter)
        elif flow is None:
            self.turns.append(waiter)
        elif (queue := self._flows.get(flow)) is not None:
            queue.append(waiter)
        else:
            queue = self._flows[flow] = _FlowQueue(flow)
            queue.append(waiter)
            self.turns.append(queue)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.wake()  # it was this caller's turn: pass it on
            raise

    def wake(self) -> None:
        """Let the caller whose turn it is look for room again: the head of the next flow in the line."""
        while self.turns:
            turn = self.turns.popleft()
            if isinstance(turn, _FlowQueue):
                waiter = turn.popleft()
                if turn:
                    self.turns.append(turn)  # the stream's next caller waits for the other flows' turns
                else:
                    del self._flows[turn.flow]
            else:
                waiter = turn
            if not waiter.done():  # done = cancelled: that caller has gone
                waiter.set_result(None)
                return

    def wake_all(self) -> None:
        """Let every waiting caller look again (the pool closes, or no worker is left)."""
        while self.turns:
            self.wake()

    def flows_waiting(self) -> int:
        """Streams with callers in the line."""
        return len(self._flows)
