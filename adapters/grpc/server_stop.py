"""Stopping a serving process: which signal asked, a second one cutting the grace short, and the calls cut off."""

from __future__ import annotations

import asyncio
import logging
import signal

import grpc

from adapters.grpc.logs import event
from adapters.grpc.servicer import CreditPolicyServicer


class StopRequests:
    """The stop signals of a serving process: the first sets `stop` (a drain of up to --grace seconds), and
    a second one (`repeat_is_now`), or runtime.NOW_SIGNAL (`on_now`), sets `now`: the calls still in flight
    are cancelled at once. An operator who presses Ctrl-C again, or sends SIGTERM again, means "now"; before, the second
    one was taken without a word and the process went on waiting out the grace (20 s by default)."""

    def __init__(self, stop: asyncio.Event, *, repeat_is_now: bool = True) -> None:
        self.stop = stop
        self.now = asyncio.Event()
        self.repeat_is_now = repeat_is_now
        self.signal: str | None = None  # the one that started the stop; None: the supervisor's pipe, the engine

    def on_signal(self, sig: signal.Signals) -> None:
        """A stop signal arrived (the loop's signal handler)."""
        if not self.stop.is_set():
            self.signal = sig.name
            self.stop.set()
        elif self.repeat_is_now:
            self.on_now(sig)

    def on_now(self, sig: signal.Signals) -> None:
        """Stop now: the calls in flight are cancelled (logged once, `stopping now`)."""
        if not self.now.is_set():
            event("stopping now", logging.WARNING, signal=sig.name,
                  advice="a second stop signal: the calls in flight are cancelled without waiting out --grace")
        self.stop.set()
        self.now.set()


DRAIN_POLL_S = 0.02
"""How often a stop looks whether the decision calls are done: polled, so the calls' path pays nothing for it."""


async def decisions_done(servicer: CreditPolicyServicer) -> None:
    """Return once no decision call or stream, and no GetPolicy, is running."""
    while True:
        # Sleep first: a call gRPC took just before the stop gets to start and count itself.
        await asyncio.sleep(DRAIN_POLL_S)
        if not (servicer.in_flight or servicer.policy_calls):
            return


async def stop_within_grace(server: grpc.aio.Server, servicer: CreditPolicyServicer, grace: float,
                            now: asyncio.Event) -> int:
    """Stop the server (new calls refused, in-flight ones given `grace` seconds, or until `now` is set, then
    cancelled): the decision calls and streams still running when it was cut, which gRPC cancels (their
    callers get UNAVAILABLE).

    The grace is the decision calls' (and GetPolicy's): once none is left, the calls that end only when their
    callers close them — health Watch streams (NOT_SERVING sent already), server reflection streams — are
    cancelled at once. Before, one such stream, held open by a client's health checking or a reflection tool,
    kept every stop waiting out the whole grace, with `in_flight` 0 and `cut_off` 0 in the log.

    The count is read at our own timer, armed before gRPC's, so before the cancelled calls unwind; it tells an
    operator whether --grace is long enough, which the bare `stopped` line did not."""
    servicer.stop_streams()  # each answers what it took, then ends naming the first item it did not take
    stopping = asyncio.ensure_future(server.stop(grace))  # refuses new calls, lets in-flight ones finish
    hurry = asyncio.ensure_future(now.wait())
    drained = asyncio.ensure_future(decisions_done(servicer))
    done, _ = await asyncio.wait({stopping, hurry, drained}, timeout=grace, return_when=asyncio.FIRST_COMPLETED)
    hurry.cancel()
    drained.cancel()
    cut_off = 0 if stopping in done or drained in done else servicer.in_flight
    if stopping not in done and (now.is_set() or drained in done):
        await server.stop(None)  # gRPC cancels every call left at once; the first stop then completes
    await stopping
    return cut_off
