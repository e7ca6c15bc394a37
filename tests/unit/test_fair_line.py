"""The fair line on its own, turn by turn: unary calls and streams are two classes taken alternately when
both wait, the streams in turn among themselves and the unary calls' connections in turn among themselves,
so an interactive call waits at most about one stream item and one call of each other busy connection, and
a flood of unary calls still leaves the streams every other turn. No timing: each `turn()` wakes one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from adapters.grpc.fair_line import FairLine


class Line:
    """A FairLine with callers as tasks; `served` names them in the order their turn came."""

    def __init__(self) -> None:
        self.line = FairLine()
        self.served: list[str] = []
        self.callers: dict[str, asyncio.Task[None]] = {}

    async def arrive(self, name: str, flow: object | None, at_head: bool = False) -> None:
        """A caller joins the line (and is waiting in it on return)."""

        async def caller() -> None:
            await self.line.wait(asyncio.get_running_loop(), flow, at_head)
            self.served.append(name)

        self.callers[name] = asyncio.create_task(caller())
        await asyncio.sleep(0)

    async def arrive_streams(self, flows: dict[str, object], items: int) -> None:
        """Each stream's items, stream by stream: `a0 a1 … b0 b1 …`."""
        for prefix, flow in flows.items():
            for i in range(items):
                await self.arrive(f"{prefix}{i}", flow)

    async def turn(self, times: int = 1) -> None:
        """Wake the line `times` times, letting each woken caller note its turn."""
        for _ in range(times):
            self.line.wake()
            await asyncio.sleep(0)


def run(scenario: Callable[[Line], Awaitable[None]]) -> Line:
    """Run `scenario` on a fresh line; the line, for assertions after."""
    line = Line()
    asyncio.run(scenario(line))
    return line


A = "ipv4:127.0.0.1:50001"
B = "ipv4:127.0.0.1:50002"
C = "ipv6:%5B::1%5D:50003"
"""Connections' keys as `context.peer()` gives them: a unary call's flow."""


def streams(count: int) -> dict[str, object]:
    """`count` stream flows named s0_, s1_, …"""
    return {f"s{i}_": object() for i in range(count)}


def kinds(served: list[str]) -> str:
    """u for each unary caller served, s for each stream item."""
    return "".join(name[0] for name in served)


def test_a_unary_call_behind_fifty_busy_streams_is_served_on_the_next_turn() -> None:
    async def scenario(line: Line) -> None:
        await line.arrive_streams(streams(50), items=3)
        await line.arrive("unary", None)

        await line.turn()

    assert run(scenario).served == ["unary"]


def test_a_unary_call_after_a_unary_turn_waits_one_stream_item_at_most() -> None:
    async def scenario(line: Line) -> None:
        await line.arrive_streams(streams(50), items=3)
        await line.arrive("u0", None)
        await line.turn()
        await line.arrive("u1", None)

        await line.turn(2)

    assert run(scenario).served == ["u0", "s0_0", "u1"]


def test_a_flood_of_unary_calls_leaves_the_streams_every_other_turn() -> None:
    async def scenario(line: Line) -> None:
        await line.arrive_streams(streams(2), items=10)
        for i in range(20):
            await line.arrive(f"u{i}", None)

        await line.turn(20)

    assert kinds(run(scenario).served) == "us" * 10


def test_streams_still_take_turns_among_themselves_beside_unary_calls() -> None:
    async def scenario(line: Line) -> None:
        await line.arrive_streams({"a": object(), "b": object(), "c": object()}, items=2)
        for i in range(3):
            await line.arrive(f"u{i}", None)

        await line.turn(9)

    served = run(scenario).served
    assert [name for name in served if name[0] != "u"] == ["a0", "b0", "c0", "a1", "b1", "c1"]
    assert served[:6] == ["u0", "a0", "u1", "b0", "u2", "c0"]


def test_with_only_one_class_waiting_it_takes_every_turn() -> None:
    async def scenario(line: Line) -> None:
        await line.arrive_streams({"a": object(), "b": object()}, items=2)

        await line.turn(4)
        await line.arrive("u0", None)
        await line.arrive("u1", None)
        await line.turn(2)

    assert run(scenario).served == ["a0", "b0", "a1", "b1", "u0", "u1"]


def test_a_caller_back_at_the_head_goes_first_and_costs_its_class_no_second_turn() -> None:
    async def scenario(line: Line) -> None:
        await line.arrive_streams(streams(2), items=2)
        await line.arrive("u0", None)
        await line.arrive("u1", None)
        await line.turn()  # u0's turn: it found no room and comes back at the head
        await line.arrive("u0 again", None, at_head=True)

        await line.turn(3)

    assert run(scenario).served == ["u0", "u0 again", "s0_0", "u1"]


def test_a_cancelled_caller_costs_its_class_no_turn_and_leaves_the_line_empty() -> None:
    async def scenario(line: Line) -> None:
        await line.arrive_streams(streams(1), items=2)
        await line.arrive("u0", None)
        await line.arrive("u1", None)
        line.callers["u0"].cancel()
        await asyncio.sleep(0)

        await line.turn(3)

        assert line.line.waiting == 0 and line.line.flows_waiting() == 0

    assert run(scenario).served == ["u1", "s0_0", "s0_1"]


def test_one_connections_flood_of_unary_calls_leaves_another_connections_call_the_next_unary_turn() -> None:
    async def scenario(line: Line) -> None:
        for i in range(100):
            await line.arrive(f"a{i}", A)
        await line.arrive("b0", B)

        await line.turn(2)

    assert run(scenario).served == ["a0", "b0"]


def test_beside_streams_a_call_behind_another_connections_flood_waits_two_unary_turns_at_most() -> None:
    async def scenario(line: Line) -> None:
        await line.arrive_streams(streams(50), items=3)
        for i in range(100):
            await line.arrive(f"a{i}", A)
        await line.arrive("b0", B)

        await line.turn(3)

    assert run(scenario).served == ["a0", "s0_0", "b0"]


def test_connections_take_turns_and_each_keeps_its_own_order() -> None:
    async def scenario(line: Line) -> None:
        for i in range(3):
            await line.arrive(f"a{i}", A)
        for i in range(2):
            await line.arrive(f"b{i}", B)
        await line.arrive("c0", C)

        await line.turn(6)

    assert run(scenario).served == ["a0", "b0", "c0", "a1", "b1", "a2"]


def test_connections_and_streams_stay_two_classes_taken_alternately() -> None:
    async def scenario(line: Line) -> None:
        await line.arrive_streams({"x": object(), "y": object()}, items=2)
        for i in range(2):
            await line.arrive(f"a{i}", A)
            await line.arrive(f"b{i}", B)

        await line.turn(8)

    assert run(scenario).served == ["a0", "x0", "b0", "y0", "a1", "x1", "b1", "y1"]


def test_a_connections_queue_is_dropped_once_empty_even_when_its_calls_were_cancelled() -> None:
    async def scenario(line: Line) -> None:
        for i in range(3):
            await line.arrive(f"a{i}", A)
        await line.arrive("b0", B)
        for i in range(3):
            line.callers[f"a{i}"].cancel()
        await asyncio.sleep(0)

        await line.turn(2)

        assert line.line.waiting == 0 and line.line.flows_waiting() == 0

    assert run(scenario).served == ["b0"]
