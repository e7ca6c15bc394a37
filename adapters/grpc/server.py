"""Build the gRPC server (create_server; its port in server_port.py) and run it as a service with reload
and graceful stop."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.grpc.handlers import add_service
from adapters.grpc.host import DIR_NOT_READ, EngineBroken, PolicyHost
from adapters.grpc.keepalive import Keepalive, keepalive_options
from adapters.grpc.logs import event
from adapters.grpc.metrics import CannotListen, metrics_host
from adapters.grpc.reflection import enable_reflection
from adapters.grpc.rules_watch import SighupReloads
from adapters.grpc.runtime import (
    DEFAULT_MAX_IN_FLIGHT,
    interpreter,
    loop_name,
    open_files_limit,
    settle_heap,
    store_shown,
)
from adapters.grpc.server_port import TlsFiles as TlsFiles
from adapters.grpc.server_port import add_port, bind_reason
from adapters.grpc.server_stop import StopRequests, stop_within_grace
from adapters.grpc.servicer import CreditPolicyServicer
from policy_engine.build import build_id
from policy_engine.ports import CustomerStore

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["CreditPolicyService"].full_name
MAX_MESSAGE_BYTES = 8 * 1024 * 1024
"""Largest request or response: a snapshot at its list bounds fits; anything bigger is refused."""
REUSE_PORT_CONNECTION_AGE_MS = 120_000
"""With SO_REUSEPORT (the `--processes` model) the kernel gives each connection to one process for its
whole life: after about this long (gRPC adds ±10% jitter) a connection is asked to go away (GOAWAY;
calls on it finish, however long) and the client reconnects, so a lopsided spread, or one left by a
replaced process, evens out."""


def add_reflection(server: grpc.aio.Server) -> None:
    """Register server reflection (v1 and v1alpha) so grpcurl works without the .proto."""
    enable_reflection((SERVICE_NAME, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name), server)


CONTROL_CALLS = 100
"""Calls gRPC takes beyond the servicer's max_in_flight: health checks, reflection, GetPolicy."""


def create_server(
    address: str,
    servicer: CreditPolicyServicer,
    *,
    health_servicer: health.aio.HealthServicer | None = None,
    tls: TlsFiles | None = None,
    max_message_bytes: int = MAX_MESSAGE_BYTES,
    reuse_port: bool = False,
    keepalive: Keepalive | None = None,
) -> tuple[grpc.aio.Server, int]:
    """A grpc.aio server bound to `address` (port 0 picks one); start it with `await server.start()`.

    SO_REUSEPORT stays off unless asked for (`reuse_port`, the `--processes` model, where the
    supervisor holds the port): otherwise a second server could silently share our port.
    `keepalive` None: gRPC's own (a quiet connection pinged after two hours).
    """
    options = _server_options(max_message_bytes, reuse_port) + keepalive_options(keepalive)
    # The servicer refuses decision calls past its own max_in_flight (counted, logged, a message that
    # names the flag); gRPC's limit, just above it, is the backstop for everything else, and leaves
    # room for health checks, reflection and GetPolicy while the decision calls are at their limit.
    server = grpc.aio.server(options=options, maximum_concurrent_rpcs=servicer.max_in_flight + CONTROL_CALLS)
    add_service(servicer, server)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer or health.aio.HealthServicer(), server)
    add_reflection(server)
    port, core_said = add_port(server, address, tls)
    if port == 0:
        raise CannotListen(f"cannot listen on {address}: {bind_reason(core_said, tls is not None)}")
    return server, port


def _server_options(max_message_bytes: int, reuse_port: bool) -> list[tuple[str, int]]:
    """The grpc.aio server's channel options: message size limits, SO_REUSEPORT, flow control."""
    options = [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
        ("grpc.so_reuseport", 1 if reuse_port else 0),
        # No BDP probing: each stream's and connection's receive window stays at gRPC's 64 KiB instead
        # of growing to megabytes, so a caller that streams requests and never reads the replies makes
        # the server hold ~64 KiB a stream, not ~4 MB (200 such streams: ~100 MB against ~930 MB).
        # On a LAN it changes nothing measurable; a big request over a long path takes more round trips.
        ("grpc.http2.bdp_probe", 0),
    ]
    if reuse_port:
        options.append(("grpc.max_connection_age_ms", REUSE_PORT_CONNECTION_AGE_MS))
    return options


async def _set_serving(health_servicer: health.aio.HealthServicer, serving: bool) -> None:
    status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
    for name in ("", SERVICE_NAME):
        await health_servicer.set(name, status)


HEALTH_POLL_SECONDS = 0.5
"""How often the health status follows the served engine (a worker pool with no worker running)."""


async def _follow_engine_health(host: PolicyHost, health_servicer: health.aio.HealthServicer) -> None:
    """NOT_SERVING while the served engine can take no call — a worker pool whose workers are all gone
    and whose replacement fails to start (`no_worker_running`) — and SERVING again once it can. Polled
    (runs until cancelled), so the engine a reload swaps in is followed too, with nothing on the calls' path."""
    serving = True
    while True:
        await asyncio.sleep(HEALTH_POLL_SECONDS)
        now = not getattr(host.engine, "no_worker_running", False)
        if now != serving:
            serving = now
            await _set_serving(health_servicer, serving)


async def run_service(
    *,
    rules_dir: Path,
    address: str,
    store: CustomerStore | None = None,
    store_url: str | None = None,
    workers: int = 0,
    tls: TlsFiles | None = None,
    metrics_port: int | None = None,
    watch_interval: float = 1.0,
    grace: float = 20.0,
    host_options: dict[str, Any] | None = None,
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    reuse_port: bool = False,
    keepalive: Keepalive | None = Keepalive(),  # noqa: B008  (frozen: one shared default is safe)
    on_serving: Callable[[int, str], None] | None = None,
    before_serving: Callable[[], None] | None = None,
    stop: asyncio.Event | None = None,
    stop_signals: Iterable[signal.Signals] = (signal.SIGTERM, signal.SIGINT),
    now_signal: signal.Signals | None = None,
    event_prefix: str = "",
) -> None:
    """Serve until SIGTERM/SIGINT: SIGHUP and rule-file changes reload; stopping lets calls finish.

    The `--processes` model runs this in each server process (adapters/grpc/server_process.py): with
    `reuse_port`, `on_serving(port, version)` instead of the `serving` event, a `stop` event the
    supervisor's pipe can set, SIGTERM only (the supervisor owns Ctrl-C), `now_signal` alone cutting the grace
    short (a repeated stop signal does otherwise) and events named `process stopping`/`process stopped`
    (`event_prefix`). `before_serving()` runs once the server has started, just before it is announced
    (`serve`'s start-up warnings: a start that fails says its error alone).
    """
    loop = asyncio.get_running_loop()
    sighup = _keep_sighups(loop)  # first: a SIGHUP while starting is kept, never the end of the process
    host = PolicyHost(rules_dir, workers=workers, store=store, store_url=store_url, **(host_options or {}))
    servicer = CreditPolicyServicer(host, max_in_flight=max_in_flight)
    health_servicer = health.aio.HealthServicer()
    server, port, metrics_port = await _start(host, servicer, health_servicer, address, tls=tls,
                                              reuse_port=reuse_port, keepalive=keepalive, metrics_port=metrics_port)
    if before_serving is not None:
        before_serving()
    await _announce_serving(host, health_servicer, port, on_serving, address=address, tls=tls, workers=workers,
                            metrics_port=metrics_port, store=store_shown(store_url, store is not None))
    requests = StopRequests(stop or asyncio.Event(), repeat_is_now=now_signal is None)
    _wire_serving_signals(loop, host, sighup, requests, stop_signals, now_signal)
    running = _run_alongside(host, servicer, server, health_servicer, sighup, watch_interval=watch_interval,
                             workers=workers)
    try:
        await requests.stop.wait()
    finally:
        await running.stop(grace, event_prefix, requests)
    if host.broken:
        raise EngineBroken(host.broken)


def _keep_sighups(loop: asyncio.AbstractEventLoop) -> SighupReloads:
    """SIGHUP handled from before the host is built: one that arrives while starting is kept for when
    serving begins (SighupReloads.serving) instead of ending the process, as SIGHUP's default would."""
    sighup = SighupReloads(loop)
    loop.add_signal_handler(signal.SIGHUP, sighup.on_signal)
    return sighup


def _wire_serving_signals(loop: asyncio.AbstractEventLoop, host: PolicyHost, sighup: SighupReloads,
                          requests: StopRequests, stop_signals: Iterable[signal.Signals],
                          now_signal: signal.Signals | None) -> None:
    """Once serving: SIGHUP reloads, and `requests.stop` is set by the stop signals (`now_signal`, or a second
    stop signal without one: `now` too) or an engine that closed."""
    host.on_engine_broken = lambda _reason: requests.stop.set()  # drain, then EngineBroken (exit code 3)
    sighup.serving(host.reload)
    for sig in stop_signals:
        loop.add_signal_handler(sig, requests.on_signal, sig)
    if now_signal is not None:
        loop.add_signal_handler(now_signal, requests.on_now, now_signal)


async def _start(host: PolicyHost, servicer: CreditPolicyServicer, health_servicer: health.aio.HealthServicer,
                 address: str, *, tls: TlsFiles | None, reuse_port: bool, keepalive: Keepalive | None,
                 metrics_port: int | None) -> tuple[grpc.aio.Server, int, int | None]:
    """Bind the address, then the metrics endpoint, the first version and the server: (the server, its port,
    the metrics port). On any failure what started is stopped (the store too) and the error raised."""
    # The addresses first: a port in use is refused before any worker is spawned or rule compiled.
    server = None
    try:
        server, port = create_server(address, servicer, health_servicer=health_servicer, tls=tls,
                                     reuse_port=reuse_port, keepalive=keepalive)
        if metrics_port is not None:
            metrics_port = host.metrics.serve(metrics_port, metrics_host(address))
        await host.start()
        await server.start()
    except BaseException:  # a port in use, a broken rule set: stop what started (the store too), then report it
        if server is not None:
            await server.stop(None)
        await host.aclose()
        host.metrics.close()
        raise
    return server, port, metrics_port


async def _announce_serving(host: PolicyHost, health_servicer: health.aio.HealthServicer, port: int,
                            on_serving: Callable[[int, str], None] | None, *, address: str, tls: TlsFiles | None,
                            workers: int, metrics_port: int | None, store: str) -> None:
    """Health SERVING, then `on_serving(port, version)` or the `serving` event."""
    host.metrics.track_log_backlog(host.log_backlog)
    settle_heap()
    await _set_serving(health_servicer, True)
    if on_serving is not None:
        on_serving(port, host.engine.version)
    else:
        event("serving", port=port, address=address, tls=tls is not None, mutual_tls=bool(tls and tls.client_ca),
              workers=workers, metrics_port=metrics_port, store=store, version=host.engine.version,
              event_loop=loop_name(asyncio.get_running_loop()), python=interpreter(), build=build_id(),
              open_files_limit=open_files_limit())


def _run_alongside(host: PolicyHost, servicer: CreditPolicyServicer, server: grpc.aio.Server,
                   health_servicer: health.aio.HealthServicer, sighup: SighupReloads, *, watch_interval: float,
                   workers: int) -> _Running:
    """Start the rules watcher, the gauges, the heap trim and (engine workers) the health status following them."""
    loop = asyncio.get_running_loop()
    watcher = loop.create_task(host.watch(watch_interval)) if watch_interval > 0 else None
    if watcher is None and host.rules_dir_state == DIR_NOT_READ and sighup.task is None:
        # A --processes replacement started from its siblings' files and no watcher will read the
        # directory: read it once now, so that a directory its siblings refused shows REFUSED here too
        # (and the refused gauge stays up) instead of NOT_READ until the next SIGHUP.
        sighup.reload_now("start")
    gauges = loop.create_task(host.metrics.keep_gauges_fresh())
    healthy = loop.create_task(_follow_engine_health(host, health_servicer)) if workers > 0 else None
    trim = loop.create_task(servicer.heap.keep_trimmed(lambda: servicer.in_flight))
    return _Running(host, servicer, server, health_servicer, watcher, gauges, healthy, trim)


@dataclass(frozen=True)
class _Running:
    """A service that serves: what stopping it takes down."""

    host: PolicyHost
    servicer: CreditPolicyServicer
    server: grpc.aio.Server
    health_servicer: health.aio.HealthServicer
    watcher: asyncio.Task[None] | None
    gauges: asyncio.Task[None]
    healthy: asyncio.Task[None] | None
    trim: asyncio.Task[None]

    async def stop(self, grace: float, event_prefix: str, requests: StopRequests) -> None:
        """Health NOT_SERVING, the tasks cancelled, in-flight calls given `grace` seconds (less on a second stop
        signal), then the host and the metrics closed (the `stopping` and `stopped` events around it)."""
        event(f"{event_prefix}stopping", grace_seconds=grace, in_flight=self.servicer.in_flight,
              signal=requests.signal)
        if self.healthy:
            self.healthy.cancel()  # first: nothing turns health back to SERVING from here on
        await _set_serving(self.health_servicer, False)
        self.gauges.cancel()
        self.trim.cancel()
        if self.watcher:
            self.watcher.cancel()
        cut_off = await stop_within_grace(self.server, self.servicer, grace, requests.now)
        await self.host.aclose()
        self.host.metrics.close()
        stopped: dict[str, Any] = {"reason": f"engine {self.host.broken}"} if self.host.broken else {}
        event(f"{event_prefix}stopped", logging.WARNING if cut_off else logging.INFO, cut_off=cut_off, **stopped)

