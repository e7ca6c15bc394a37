"""Run the gRPC server as a service (`run_service`): bind, start, announce, reload on SIGHUP and rule-file
changes, stop gracefully on SIGTERM/SIGINT. The server itself is built in server_build.py (`create_server`,
re-exported here), what runs beside it and the stop in server_running.py."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import grpc

from adapters.grpc.health_watch import HealthService
from adapters.grpc.host import EngineBroken, PolicyHost
from adapters.grpc.keepalive import Keepalive
from adapters.grpc.logs import event
from adapters.grpc.metrics import metrics_host
from adapters.grpc.rules_watch import SighupReloads
from adapters.grpc.runtime import (
    DEFAULT_MAX_HEALTH_WATCHES,
    DEFAULT_MAX_IN_FLIGHT,
    interpreter,
    loop_name,
    open_files_limit,
    settle_heap,
    store_shown,
)
from adapters.grpc.server_build import CONTROL_CALLS as CONTROL_CALLS
from adapters.grpc.server_build import MAX_MESSAGE_BYTES as MAX_MESSAGE_BYTES
from adapters.grpc.server_build import REUSE_PORT_CONNECTION_AGE_MS as REUSE_PORT_CONNECTION_AGE_MS
from adapters.grpc.server_build import SERVICE_NAME as SERVICE_NAME
from adapters.grpc.server_build import add_reflection as add_reflection
from adapters.grpc.server_build import create_server
from adapters.grpc.server_port import TlsFiles as TlsFiles
from adapters.grpc.server_running import run_alongside, set_serving
from adapters.grpc.server_stop import StopRequests
from adapters.grpc.servicer import CreditPolicyServicer
from adapters.grpc.start_stop import StartStop
from policy_engine.build import build_id
from policy_engine.ports import CustomerStore


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
    max_health_watches: int = DEFAULT_MAX_HEALTH_WATCHES,
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
    starting = StartStop(loop, stop_signals, stop, event_prefix)  # a stop while starting abandons the start
    host = PolicyHost(rules_dir, workers=workers, store=store, store_url=store_url, **(host_options or {}))
    servicer = CreditPolicyServicer(host, max_in_flight=max_in_flight)
    health_servicer = HealthService(host.metrics, max_health_watches)
    server, port, metrics_port = await _start(host, servicer, health_servicer, address, tls=tls, starting=starting,
                                              reuse_port=reuse_port, keepalive=keepalive, metrics_port=metrics_port)
    if before_serving is not None:
        before_serving()
    await _announce_serving(host, health_servicer, port, on_serving, address=address, tls=tls, workers=workers,
                            metrics_port=metrics_port, store=store_shown(store_url, store is not None))
    requests = StopRequests(stop or asyncio.Event(), repeat_is_now=now_signal is None)
    _wire_serving_signals(loop, host, sighup, requests, stop_signals, now_signal)
    starting.serving(requests.on_signal)
    running = run_alongside(host, servicer, server, health_servicer, sighup, watch_interval=watch_interval)
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


async def _start(host: PolicyHost, servicer: CreditPolicyServicer, health_servicer: HealthService,
                 address: str, *, tls: TlsFiles | None, starting: StartStop, reuse_port: bool,
                 keepalive: Keepalive | None, metrics_port: int | None) -> tuple[grpc.aio.Server, int, int | None]:
    """Bind the address, then the metrics endpoint, the first version and the server: (the server, its port,
    the metrics port). On any failure, or a stop while the first version loads, what started is stopped (the
    store too) and the error (StopWhileStarting) raised."""
    # The addresses first: a port in use is refused before any worker is spawned or rule compiled.
    server = None
    try:
        server, port = create_server(address, servicer, health_servicer=health_servicer, tls=tls,
                                     reuse_port=reuse_port, keepalive=keepalive)
        if metrics_port is not None:
            metrics_port = host.metrics.serve(metrics_port, metrics_host(address))
        await starting.unless_stopped(host.start())
        await server.start()
    except BaseException:  # a port in use, a broken rule set: stop what started (the store too), then report it
        if server is not None:
            await server.stop(None)
        await host.aclose()
        host.metrics.close()
        raise
    return server, port, metrics_port


async def _announce_serving(host: PolicyHost, health_servicer: HealthService, port: int,
                            on_serving: Callable[[int, str], None] | None, *, address: str, tls: TlsFiles | None,
                            workers: int, metrics_port: int | None, store: str) -> None:
    """Health SERVING, then `on_serving(port, version)` or the `serving` event."""
    host.metrics.track_log_backlog(host.log_backlog)
    settle_heap()
    await set_serving(health_servicer, True)
    if on_serving is not None:
        on_serving(port, host.engine.version)
    else:
        event("serving", port=port, address=address, tls=tls is not None, mutual_tls=bool(tls and tls.client_ca),
              workers=workers, metrics_port=metrics_port, store=store, version=host.engine.version,
              event_loop=loop_name(asyncio.get_running_loop()), python=interpreter(), build=build_id(),
              open_files_limit=open_files_limit())
