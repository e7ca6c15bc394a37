"""The standard grpc.health.v1.Health service, its Watch streams bounded on their own: gRPC's client-side health
checking holds one open per connection for as long as it is connected, so a fleet of callers' Watches would
otherwise take the places gRPC's concurrent-call limit keeps for decision calls (server_build.py)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

import grpc
from grpc_health.v1 import health, health_pb2

from adapters.grpc.call_end import abort
from adapters.grpc.logs import event
from adapters.grpc.runtime import DEFAULT_MAX_HEALTH_WATCHES

if TYPE_CHECKING:
    from adapters.grpc.metrics import ServiceMetrics

MAX_SERVICE_NAME_CHARS = 200
"""Longest service name a Watch may name: ours is 36 characters; an open Watch keeps its request for its whole
life (gRPC holds it), so a cap on their number alone would let each keep up to a message's 8 MiB."""
REFUSED_LOG_EVERY_S = 10.0
"""At most one `health watches refused` line this often while Watches are refused (each is counted)."""


class HealthService(health.aio.HealthServicer):
    """grpc.health.v1.Health (Check, and Watch as grpcio-health-checking serves it) with at most `max_watches`
    Watch streams open at once: a Watch past it is refused RESOURCE_EXHAUSTED at once, counted under method
    `Watch` in the calls metric, and logged now and then; the open ones are a gauge."""

    def __init__(self, metrics: ServiceMetrics, max_watches: int = DEFAULT_MAX_HEALTH_WATCHES) -> None:
        super().__init__()
        self.metrics = metrics
        self.max_watches = max_watches
        self.watches = 0
        """Watch streams open now (refused ones aside)."""
        self._refused = 0
        self._refused_logged_at = float("-inf")
        metrics.track_health_watches(lambda: self.watches, max_watches)

    async def Watch(self, request: health_pb2.HealthCheckRequest, context: Any) -> None:  # noqa: N802
        """Send the service's status now and at each change, until the caller ends the stream or the server stops."""
        if len(request.service) > MAX_SERVICE_NAME_CHARS:
            await abort(context, grpc.StatusCode.INVALID_ARGUMENT,
                        f"service: a name of {len(request.service)} characters, over {MAX_SERVICE_NAME_CHARS}")
            raise asyncio.CancelledError
        if self.watches >= self.max_watches:
            await self._refuse(context)
        self.watches += 1
        try:
            await super().Watch(request, context)
        finally:
            self.watches -= 1

    async def _refuse(self, context: Any) -> None:
        """Answer RESOURCE_EXHAUSTED: max_watches Watch streams are open (counted; logged now and then)."""
        self._refused += 1
        now = time.monotonic()
        if now - self._refused_logged_at >= REFUSED_LOG_EVERY_S:
            event("health watches refused", logging.WARNING, refused=self._refused, watches=self.watches,
                  max_health_watches=self.max_watches)
            self._refused, self._refused_logged_at = 0, now
        self.metrics.observe_call("Watch", "RESOURCE_EXHAUSTED", 0.0)
        await abort(context, grpc.StatusCode.RESOURCE_EXHAUSTED,
                    f"the server holds {self.watches} health Watch streams, its limit (--max-health-watches); "
                    "retry after a backoff, or use Check")
        raise asyncio.CancelledError  # the caller had gone already: nobody to answer
