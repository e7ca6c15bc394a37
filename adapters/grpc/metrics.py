"""Prometheus metrics of the service, in a registry of its own (tests run several servers).

With `--processes N` every server process counts into prometheus_client's multiprocess files
(PROMETHEUS_MULTIPROC_DIR, set by the supervisor before the children start) and the supervisor
serves the sum of all of them (`serve_multiprocess`): counters and histograms are summed over the
processes, dead ones included, so totals never go backwards when a process is replaced.

Reloads are the exception: every process reloads on its own, so a summed count would say N reloads
for one change of the rules directory. There `credit_policy_reloads_total` carries a `process` label,
the index (0..N-1) of the supervisor's slot the process runs in: a replacement counts on in its
predecessor's series, so the series stay N per result however often processes are replaced.

The processes that decide calls, live against configured and their restarts, come from whoever
replaces them: the worker pool's (`track_engine_workers`, only with engine workers) or, under
`--processes`, the supervisor's own collector on its endpoint (`_ServerProcesses`), not the files.

The standard process metrics (memory, open files, CPU) come from adapters/grpc/metrics_process.py: this
process's and its engine workers' here, the supervisor's and its server processes' on its endpoint, which
is in adapters/grpc/metrics_multiprocess.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    disable_created_metrics,
    values,
)

from adapters.grpc.metrics_endpoint import start_endpoint as start_endpoint  # bounded: metrics_endpoint.py
from adapters.grpc.metrics_families import (
    admission_gauges,
    call_metrics,
    decision_metrics,
    health_watch_gauges,
    policy_gauges,
    reload_counter,
    reload_gauge,
)
from adapters.grpc.metrics_process import ProcessFigures
from adapters.grpc.runtime import CannotListen as CannotListen  # raised by start_endpoint, re-exported

ALL_INTERFACES = "0.0.0.0"


def metrics_host(grpc_address: str) -> str:
    """Where /metrics listens, from the service's bind address `HOST:PORT`: on that host when one was named
    (`--host 127.0.0.1` keeps both on the machine; /metrics used to listen on every interface regardless), on
    every IPv4 interface for the defaults (`[::]`, `0.0.0.0`), as before."""
    bare = grpc_address.rpartition(":")[0].strip("[]")
    return ALL_INTERFACES if bare in ("", "::", ALL_INTERFACES) else bare


GAUGE_REFRESH_S = 0.5
"""With `--processes`, how often each server process copies its live gauges (the decision-log backlog,
the calls in flight) into its multiprocess file (a single server process reads them at each scrape)."""

RESTART_RESULTS = ("started", "failed")
"""A replacement for an engine worker or server process that died: it came up, or its start failed
(each failed attempt counts; it is tried again after a back-off)."""


class ServiceMetrics:
    """Request counts and latency by method and status, calls in flight, decisions, reloads, the
    decision log's backlog."""

    def __init__(self, process: str | None = None) -> None:
        """`process`: the server process's slot index under the `--processes` supervisor, which
        labels its reload counts; None in a single-server service."""
        # Every counter and histogram child would also export a `_created` series (its creation time), doubling
        # the scrape for a figure Prometheus does not use; prometheus_client's switch is process-wide, read at
        # each scrape. The multiprocess files keep no creation time, so `--processes` never had them.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests, self.latency = call_metrics(r)
        self.decisions, self.log_failures, self.log_backlog = decision_metrics(r)
        self.in_flight, self.max_in_flight = admission_gauges(r)
        self.health_watches, self.max_health_watches = health_watch_gauges(r)
        self._live: list[tuple[Gauge, Callable[[], float]]] = []
        """Gauges whose value is read from a function: at each scrape, or copied by keep_gauges_fresh."""
        self.reloads = reload_counter(r, process)
        self._reload_in_progress = reload_gauge(r, process)
        self._process = process
        self.policy, self.rules_dir_refused = policy_gauges(r)
        self._version: str | None = None
        self._server: Any = None
        self._processes = ProcessFigures("server", "worker")
        """This process's figures and its engine workers' (track_engine_workers); under --processes the
        supervisor's endpoint shows the server processes' instead, so none are registered there."""
        if not multiprocess():
            r.register(self._processes)
        self._worker_restarts: Counter | None = None
        """Engine worker restarts by result; only with engine workers (track_engine_workers)."""
        # labels() takes a lock and builds a key on every call; the children are cached instead.
        self._calls: dict[tuple[str, str], tuple[Any, Any]] = {}
        self._decided: dict[tuple[str, str, str], Any] = {}

    def observe_call(self, method: str, code: str, seconds: float) -> None:
        """Count one finished call."""
        children = self._calls.get((method, code))
        if children is None:
            children = self._calls[method, code] = (self.requests.labels(method, code),
                                                     self.latency.labels(method, code))
        children[0].inc()
        children[1].observe(seconds)

    def observe_decision(self, kind: str, outcome: str, grade: str) -> None:
        """Count one decision (kind `customer` has outcome `EVALUATED`)."""
        child = self._decided.get((kind, outcome, grade))
        if child is None:
            child = self._decided[kind, outcome, grade] = self.decisions.labels(kind, outcome, grade)
        child.inc()

    def reload_counted(self, result: str) -> None:
        """Count one reload attempt (`success` or `failure`)."""
        if self._process is None:
            self.reloads.labels(result).inc()
        else:
            self.reloads.labels(self._process, result).inc()

    def policy_loaded(self, version: str) -> None:
        """Show only the version now served."""
        if multiprocess():
            # A multiprocess file cannot forget a series: the old version goes to 0 and the
            # supervisor's endpoint leaves zeros out (serve_multiprocess).
            if self._version is not None and self._version != version:
                self.policy.labels(self._version).set(0)
        else:
            self.policy.clear()
        self.policy.labels(version).set(1)
        self._version = version

    def _track(self, gauge: Gauge, source: Callable[[], float]) -> None:
        """Have `gauge` show `source()`: read at each scrape, or, when the values live in multiprocess
        files, copied there by keep_gauges_fresh."""
        self._live.append((gauge, source))
        if not multiprocess():
            gauge.set_function(source)

    def track_reload(self, seconds: Callable[[], float]) -> None:
        """The reload-in-progress gauge shows `seconds()`: how long the reload under way has run, 0 when none."""
        gauge = self._reload_in_progress
        self._track(gauge if self._process is None else gauge.labels(self._process), seconds)

    def track_engine_workers(self, configured: int, live: Callable[[], int],
                             pids: Callable[[], dict[str, int]] | None = None) -> None:
        """With engine workers (`--workers N` > 0): the live workers, `live()` read at each scrape, beside
        the configured number, their restarts by result (both at 0 from the start, for alerts), and the
        process figures of each worker in `pids()` ({place in the pool: pid})."""
        r = self.registry
        if pids is not None:
            self._processes.children = pids
        Gauge("credit_policy_engine_workers_configured", "Engine worker processes configured (serve --workers N)",
              registry=r).set(configured)
        self._track(Gauge("credit_policy_engine_workers", "Engine worker processes of the served version taking "
                          "calls now (below the configured number while one is replaced or fails to start)",
                          registry=r), live)
        self._worker_restarts = Counter("credit_policy_engine_worker_restarts",
                                        "Starts of a replacement for an engine worker that died or closed, by "
                                        "result: started, or failed (each failed attempt)", ["result"], registry=r)
        for result in RESTART_RESULTS:
            self._worker_restarts.labels(result)

    def worker_restart_counted(self, result: str) -> None:
        """Count one start of a replacement engine worker (`started` or `failed`)."""
        if self._worker_restarts is not None:
            self._worker_restarts.labels(result).inc()

    def track_log_backlog(self, source: Callable[[], int]) -> None:
        """The decision-log backlog gauge shows `source()`."""
        self._track(self.log_backlog, source)

    def track_in_flight(self, source: Callable[[], int], limit: int) -> None:
        """The in-flight gauge shows `source()`, next to the limit."""
        self.max_in_flight.set(limit)
        self._track(self.in_flight, source)

    def track_health_watches(self, source: Callable[[], int], limit: int) -> None:
        """The open health Watch streams gauge shows `source()`, next to the limit."""
        self.max_health_watches.set(limit)
        self._track(self.health_watches, source)

    async def keep_gauges_fresh(self, interval: float = GAUGE_REFRESH_S) -> None:
        """Under --processes, copy the tracked gauges into this process's file every `interval`
        seconds until cancelled; otherwise nothing to do (they are read at each scrape)."""
        if not self._live or not multiprocess():
            return
        while True:
            for gauge, source in self._live:
                gauge.set(source())
            await asyncio.sleep(interval)

    def serve(self, port: int, address: str = ALL_INTERFACES) -> int:
        """Expose /metrics over HTTP; return the bound port (CannotListen if it is taken)."""
        self._server = start_endpoint(port, address, self.registry)
        return int(self._server.server_port)

    def close(self) -> None:
        """Stop the HTTP endpoint if one was started."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()  # the listening socket too (as metrics_multiprocess does)
            self._server = None


def multiprocess() -> bool:
    """Whether this process's metric values live in PROMETHEUS_MULTIPROC_DIR files (decided when
    prometheus_client was first imported)."""
    return values.ValueClass is not values.MutexValue
