"""What every RPC of the servicer shares (adapters/grpc/servicer.py): the served host, admission at
max_in_flight (a call past it refused, counted and now and then logged), the heap trim's count of big
requests, and a decision counted in the metrics."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from adapters.grpc.call_end import abort
from adapters.grpc.errors import busy_status
from adapters.grpc.heap_trim import HeapTrim
from adapters.grpc.host import PolicyHost
from adapters.grpc.logs import event
from adapters.grpc.runtime import DEFAULT_MAX_IN_FLIGHT

if TYPE_CHECKING:
    from adapters.grpc.call_end import Context

REFUSED_LOG_EVERY_S = 10.0
"""At most one `calls refused` line this often while calls are refused (each is counted in the metrics)."""


class ServicerCore:
    """The state and steps the unary calls and the stream share, over a PolicyHost."""

    def __init__(self, host: PolicyHost, max_in_flight: int = DEFAULT_MAX_IN_FLIGHT):
        self.host = host
        self.metrics = host.metrics
        self.max_in_flight = max_in_flight
        self.in_flight = 0
        """Decision calls and streams admitted and not finished, a unary call from its start (also while its request
        arrives: its caller waits); GetPolicy, health and reflection aside."""
        self.policy_calls = 0
        """GetPolicy calls not finished (outside max_in_flight): a stop lets them end too (server_stop.py)."""
        self.heap = HeapTrim()
        """Counts big requests; run_service trims the heap once they are done (adapters/grpc/heap_trim.py)."""
        self._refused = 0
        self._refused_logged_at = float("-inf")
        self.metrics.track_in_flight(lambda: self.in_flight, max_in_flight)

    async def _refuse(self, method: str, context: Context) -> None:
        """Answer RESOURCE_EXHAUSTED: the process already has max_in_flight calls (counted; logged now and then)."""
        self._refused += 1
        now = time.monotonic()
        if now - self._refused_logged_at >= REFUSED_LOG_EVERY_S:
            event("calls refused", logging.WARNING, refused=self._refused, in_flight=self.in_flight,
                  max_in_flight=self.max_in_flight, last_method=method)
            self._refused, self._refused_logged_at = 0, now
        self.metrics.observe_call(method, "RESOURCE_EXHAUSTED", 0.0)
        status = busy_status(self.in_flight, self.max_in_flight)
        await abort(context, status.code, status.details, status.trailing_metadata)
        raise asyncio.CancelledError  # the caller had gone already: nobody to answer, nothing to decide

    async def _decide(self, kind: str, request: bytes, flow: object | None = None) -> Any:
        reply, outcome = await self.host.engine.run(kind, request, flow)  # positional: a keyword costs ~30 ns a call
        self.metrics.observe_decision(outcome.kind, outcome.outcome, outcome.grade)
        if outcome.log_failures:
            self.metrics.log_failures.inc(outcome.log_failures)
        return reply
