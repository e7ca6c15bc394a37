"""A service that serves (adapters/grpc/server.py `run_service`): what runs beside the server — the rules
watcher, the gauges, the heap trim, the health status following the engine — and how it is all stopped."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2

from adapters.grpc.host import DIR_NOT_READ, PolicyHost
from adapters.grpc.logs import event
from adapters.grpc.rules_watch import SighupReloads
from adapters.grpc.server_build import SERVICE_NAME
from adapters.grpc.server_stop import StopRequests, stop_within_grace
from adapters.grpc.servicer import CreditPolicyServicer


async def set_serving(health_servicer: health.aio.HealthServicer, serving: bool) -> None:
    """Health SERVING (or NOT_SERVING) for the server as a whole ("") and for the credit policy service."""
    status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
    for name in ("", SERVICE_NAME):
        await health_servicer.set(name, status)


HEALTH_POLL_SECONDS = 0.5
"""How often the health status follows the served engine (a worker pool with no worker running)."""


async def _follow_engine_health(host: PolicyHost, health_servicer: health.aio.HealthServicer) -> None:
    """NOT_SERVING while the served engine can take no call — a worker pool whose workers are all gone
    and whose replacement fails to start, or a store file gone (`no_worker_running`) — and SERVING again once
    it can. Polled (runs until cancelled), so the engine a reload swaps in is followed too, with nothing on
    the calls' path."""
    serving = True
    while True:
        await asyncio.sleep(HEALTH_POLL_SECONDS)
        now = not getattr(host.engine, "no_worker_running", False)
        if now != serving:
            serving = now
            await set_serving(health_servicer, serving)


def run_alongside(host: PolicyHost, servicer: CreditPolicyServicer, server: grpc.aio.Server,
                   health_servicer: health.aio.HealthServicer, sighup: SighupReloads, *,
                   watch_interval: float) -> Running:
    """Start the rules watcher, the gauges, the heap trim and the health status following the engine and store."""
    loop = asyncio.get_running_loop()
    watcher = loop.create_task(host.watch(watch_interval)) if watch_interval > 0 else None
    if watcher is None and host.rules_dir_state == DIR_NOT_READ and sighup.task is None:
        # A --processes replacement started from its siblings' files and no watcher will read the
        # directory: read it once now, so that a directory its siblings refused shows REFUSED here too
        # (and the refused gauge stays up) instead of NOT_READ until the next SIGHUP.
        sighup.reload_now("start")
    gauges = loop.create_task(host.metrics.keep_gauges_fresh())
    # Followed in-process too: a store file gone from its path makes any engine NOT_SERVING (store_watch.py).
    healthy = loop.create_task(_follow_engine_health(host, health_servicer))
    trim = loop.create_task(servicer.heap.keep_trimmed(lambda: servicer.in_flight))
    return Running(host, servicer, server, health_servicer, watcher, gauges, healthy, trim)


@dataclass(frozen=True)
class Running:
    """A service that serves: what stopping it takes down."""

    host: PolicyHost
    servicer: CreditPolicyServicer
    server: grpc.aio.Server
    health_servicer: health.aio.HealthServicer
    watcher: asyncio.Task[None] | None
    gauges: asyncio.Task[None]
    healthy: asyncio.Task[None]
    trim: asyncio.Task[None]

    async def stop(self, grace: float, event_prefix: str, requests: StopRequests) -> None:
        """Health NOT_SERVING, the tasks cancelled, in-flight calls given `grace` seconds (less on a second stop
        signal), then the host and the metrics closed (the `stopping` and `stopped` events around it)."""
        event(f"{event_prefix}stopping", grace_seconds=grace, in_flight=self.servicer.in_flight,
              signal=requests.signal)
        self.healthy.cancel()  # first: nothing turns health back to SERVING from here on
        await set_serving(self.health_servicer, False)
        self.gauges.cancel()
        self.trim.cancel()
        if self.watcher:
            self.watcher.cancel()
        cut_off = await stop_within_grace(self.server, self.servicer, grace, requests.now)
        await self.host.aclose()
        self.host.metrics.close()
        stopped: dict[str, Any] = {"reason": f"engine {self.host.broken}"} if self.host.broken else {}
        event(f"{event_prefix}stopped", logging.WARNING if cut_off else logging.INFO, cut_off=cut_off, **stopped)
