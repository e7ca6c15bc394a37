# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""`serve --keepalive S --keepalive-timeout S`: a caller whose machine vanishes without closing its
connection (power loss, a partition, a frozen VM) gives its place back (`--max-in-flight`) once the
server's keepalive ping goes unanswered, instead of after gRPC's default of two hours; healthy idle
callers, and callers that ping on their own, keep their connection.

A vanished caller is a child process frozen with SIGSTOP: its kernel still acknowledges TCP, but its
gRPC never answers an HTTP/2 PING, which is all keepalive can tell."""

from __future__ import annotations

import asyncio
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import grpc
import pytest

from tests.integration.conftest_grpc import (  # noqa: F401  (fixtures: pytest finds them by name)
    ROOT,
    RULES,
    ServerProcess,
    order_request,
    pb,
    pb_grpc,
    sample_snapshot,
    server_factory,
)

ONE_PLACE = ("--max-in-flight", "1")
SHORT = ("--keepalive", "1", "--keepalive-timeout", "1")
"""Keepalive in seconds rather than the default half-minute, so that a test takes seconds."""
CALLER = """
import sys, threading, time, grpc
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb, credit_policy_pb2_grpc as pb_grpc
stub = pb_grpc.CreditPolicyServiceStub(grpc.insecure_channel(sys.argv[1]))
asked = int(sys.argv[2])
never, answered = threading.Event(), threading.Event()
def requests():
    yield from (pb.EvaluateCustomerRequest(customer_id=f"C{i}") for i in range(asked))
    never.wait()
def hold():
    while True:
        try:
            for _ in stub.EvaluateCustomers(requests()):
                answered.set()
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                time.sleep(0.05)  # it came while the test's own call held the one place: again
                continue
        return
threading.Thread(target=hold, daemon=True).start()
if asked:
    answered.wait(30)
print("open", flush=True)
time.sleep(3600)
"""
"""A caller that opens an EvaluateCustomers stream, sends `asked` requests (argv[2]) and reads a reply if
it asked, then sends nothing: it holds one place while open (its stream opened again if it came while the
test's own probing call held that place, and was refused)."""
OWN_CONNECTION = [("grpc.use_local_subchannel_pool", 1)]
"""Channels to one address with the same options share a connection unless told otherwise."""
PINGING_CLIENT = [("grpc.keepalive_time_ms", 2000), ("grpc.keepalive_permit_without_calls", 1),
                  ("grpc.http2.max_pings_without_data", 0), *OWN_CONNECTION]
"""A client with keepalive of its own, pinging a quiet connection every 2 s whether or not it has calls."""


@contextmanager
def frozen_caller(address: str, asked: int = 0) -> Iterator[subprocess.Popen[bytes]]:
    """A child process holding an open stream to `address` on which it asked `asked` times and was answered
    (SIGSTOP freezes it); continued and killed at exit."""
    child = subprocess.Popen([sys.executable, "-c", CALLER, address, str(asked)], stdout=subprocess.PIPE, cwd=ROOT,
                             env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        assert child.stdout is not None and child.stdout.readline() == b"open\n"
        yield child
    finally:
        child.send_signal(signal.SIGCONT)  # never left stopped, whatever happens to the kill
        child.kill()
        child.wait(timeout=30)


def check_order_code(stub: pb_grpc.CreditPolicyServiceStub) -> grpc.StatusCode:
    """The status of one CheckOrder call."""
    try:
        stub.CheckOrder(order_request(), timeout=10)
    except grpc.RpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


def until(predicate: Callable[[], bool], seconds: float) -> bool:
    """Whether `predicate` came true within `seconds` (polled)."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@contextmanager
def only_place_held_by_a_frozen_caller(server: ServerProcess,
                                       asked: int = 0) -> Iterator[pb_grpc.CreditPolicyServiceStub]:
    """A stub of `server`, whose one place is held by a frozen caller's stream (a call is refused), on
    which the caller had asked `asked` times and been answered."""
    stub = server.stub()
    with frozen_caller(server.address, asked) as child:
        assert until(lambda: check_order_code(stub) == grpc.StatusCode.RESOURCE_EXHAUSTED, 10), "no place taken"
        child.send_signal(signal.SIGSTOP)
        yield stub


def test_without_keepalive_a_frozen_callers_stream_keeps_its_place(
        server_factory: Callable[..., ServerProcess]) -> None:
    """What callers saw before: gRPC pings a silent connection after two hours only."""
    server = server_factory("--keepalive", "0", *ONE_PLACE, workers=0)

    with only_place_held_by_a_frozen_caller(server) as stub:
        time.sleep(5)

        assert check_order_code(stub) == grpc.StatusCode.RESOURCE_EXHAUSTED


@pytest.mark.parametrize("asked", [0, 1], ids=["before-asking", "after-a-reply"])
@pytest.mark.parametrize("model", [{"workers": 0}, {"workers": 1}, {"processes": 1}],
                         ids=["in-process", "workers", "processes"])
def test_a_frozen_callers_stream_gives_its_place_back_after_an_unanswered_ping_counted_cancelled(
        server_factory: Callable[..., ServerProcess], model: dict[str, int], asked: int) -> None:
    server = server_factory(*SHORT, *ONE_PLACE, **model)

    with only_place_held_by_a_frozen_caller(server, asked) as stub:
        started = time.monotonic()

        taken = until(lambda: check_order_code(stub) == grpc.StatusCode.OK, 15)

        assert taken, f"the place was still held after {time.monotonic() - started:.0f} s"
    # The lost connection ends the request stream as a caller's close does: such a stream was counted OK
    # in most runs. (Under --processes a process's counts reach the supervisor's page within a second.)
    assert until(lambda: bool(stream_codes(server)), 5)
    assert stream_codes(server) == {"CANCELLED": 1.0}


def test_streams_whose_callers_close_their_side_and_read_every_reply_are_counted_ok(
        server_factory: Callable[..., ServerProcess]) -> None:
    """The check above can fail: a stream ended by its caller's close, with or without replies, stays OK."""
    server = server_factory(*SHORT, workers=0)
    stub = server.stub()
    asked = [pb.EvaluateCustomerRequest(snapshot=sample_snapshot(i)) for i in range(3)]

    replies = [list(stub.EvaluateCustomers(iter(requests), timeout=10)) for requests in (asked, [])]

    assert [len(r) for r in replies] == [3, 0]
    assert until(lambda: sum(stream_codes(server).values()) == 2, 5)
    assert stream_codes(server) == {"OK": 2.0}


def stream_codes(server: ServerProcess) -> dict[str, float]:
    """credit_policy_grpc_requests_total of EvaluateCustomers by code, refusals (RESOURCE_EXHAUSTED) aside."""
    url = f"http://127.0.0.1:{server.metrics_port}/metrics"
    text = urllib.request.urlopen(url, timeout=5).read().decode()
    found = re.findall(r'^credit_policy_grpc_requests_total\{code="(\w+)",method="EvaluateCustomers"\} (\S+)$',
                       text, re.MULTILINE)
    return {code: float(n) for code, n in found if code != "RESOURCE_EXHAUSTED" and float(n)}


class Connectivity:
    """Every connectivity state a channel goes through, from when it is first READY."""

    def __init__(self, channel: grpc.Channel):
        grpc.channel_ready_future(channel).result(timeout=10)
        self.states: list[grpc.ChannelConnectivity] = []
        channel.subscribe(self.states.append)

    def left_ready(self) -> bool:
        """Whether the channel has been anything but READY (a GOAWAY, a closed connection)."""
        return any(state != grpc.ChannelConnectivity.READY for state in self.states)


def waiting_stream(stub: pb_grpc.CreditPolicyServiceStub, requests: queue.Queue[Any]) -> Any:
    """An EvaluateCustomers stream that sends what is put in `requests` (None ends it): its replies."""
    return stub.EvaluateCustomers(iter(requests.get, None), timeout=60)


def test_healthy_idle_callers_keep_their_connections(server_factory: Callable[..., ServerProcess]) -> None:
    """A channel without calls and a stream waiting on its caller answer the server's pings and stay."""
    server = server_factory(*SHORT, workers=0)
    idle, streaming = server.channel(OWN_CONNECTION), server.channel(OWN_CONNECTION)
    watched = [Connectivity(idle), Connectivity(streaming)]
    requests: queue.Queue[Any] = queue.Queue()
    replies = waiting_stream(pb_grpc.CreditPolicyServiceStub(streaming), requests)

    time.sleep(6)

    assert not any(channel.left_ready() for channel in watched)
    requests.put(pb.EvaluateCustomerRequest(snapshot=sample_snapshot()))
    assert next(replies).WhichOneof("result") == "decision"
    requests.put(None)
    assert pb_grpc.CreditPolicyServiceStub(idle).GetPolicy(pb.GetPolicyRequest(), timeout=10).version


@contextmanager
def inproc_address(keepalive: Any) -> Iterator[str]:
    """create_server(…, keepalive=keepalive) on port 0 of a private event loop: its address."""
    from adapters.grpc.host import PolicyHost
    from adapters.grpc.server import create_server
    from adapters.grpc.servicer import CreditPolicyServicer

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def run(coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=60)

    async def boot() -> tuple[Any, Any, int]:
        host = PolicyHost(RULES, workers=0)
        await host.start()
        server, port = create_server("127.0.0.1:0", CreditPolicyServicer(host), keepalive=keepalive)
        await server.start()
        return host, server, port

    host, server, port = run(boot())
    try:
        yield f"127.0.0.1:{port}"
    finally:
        run(server.stop(0))
        run(host.aclose())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


@contextmanager
def pinging_callers(address: str) -> Iterator[list[Connectivity]]:
    """Two clients pinging every 2 s, one without calls and one with a stream waiting on it: watched."""
    channels = [grpc.insecure_channel(address, options=PINGING_CLIENT) for _ in range(2)]
    requests: queue.Queue[Any] = queue.Queue()
    try:
        watched = [Connectivity(channel) for channel in channels]
        stream = waiting_stream(pb_grpc.CreditPolicyServiceStub(channels[1]), requests)
        yield watched
        assert stream.is_active() == (not watched[1].left_ready())  # a call dropped (garbage) is cancelled
    finally:
        requests.put(None)
        for channel in channels:
            channel.close()


def test_callers_that_ping_every_2s_on_their_own_keep_their_connections() -> None:
    """Callers' pings are taken every `client_ping_min` (10 s by default; 1 s here), also without calls."""
    from adapters.grpc.keepalive import Keepalive

    # The server pings less often than the clients: their pings are what the connection sees.
    with inproc_address(Keepalive(interval=30, timeout=20, client_ping_min=1)) as address, \
            pinging_callers(address) as watched:
        time.sleep(10)  # gRPC's own policy sends them away at the fourth ping, after ~8 s

        assert [channel.left_ready() for channel in watched] == [False, False]


def test_grpcs_own_ping_policy_sends_callers_pinging_every_2s_away() -> None:
    """The check above can fail: with gRPC's own policy (client pings at most every 5 minutes while the
    server sends nothing, every 2 hours without calls) the same callers are sent away within seconds."""
    with inproc_address(None) as address, pinging_callers(address) as watched:

        assert until(lambda: all(channel.left_ready() for channel in watched), 15)
