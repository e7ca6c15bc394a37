"""The supervisor's /metrics under `--processes N` (`MultiProcessEndpoint`): the sum of every server
process's multiprocess files, versions no process serves left out, the decision-log entries dead
processes took with them counted as failures, the supervisor's own figures on its server processes
(adapters/grpc/metrics.py says what is counted and how), and the standard process metrics of the supervisor
and of each server process, labelled with its slot (adapters/grpc/metrics_process.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from adapters.grpc.metrics import ALL_INTERFACES, RESTART_RESULTS, start_endpoint
from adapters.grpc.metrics_process import ProcessFigures


class _ServedVersionsOnly(Collector):
    """The multiprocess collector, minus policy_info series at 0 (versions no process serves now),
    plus the decision-log entries dead processes took with them (`lost`) in the failures total."""

    def __init__(self, path: str):
        from prometheus_client.multiprocess import MultiProcessCollector

        self._inner = MultiProcessCollector(None, path=path)  # type: ignore[no-untyped-call]
        self.lost = 0

    def collect(self) -> Iterator[Any]:
        """Every process's metrics, summed."""
        for metric in self._inner.collect():  # type: ignore[no-untyped-call]
            if metric.name == "credit_policy_policy_info":
                metric.samples = [s for s in metric.samples if s.value != 0]
            elif metric.name == "credit_policy_decision_log_failures" and self.lost:
                metric.samples = [s._replace(value=s.value + self.lost) if s.name.endswith("_total") else s
                                  for s in metric.samples]
            yield metric


class _ServerProcesses(Collector):
    """The supervisor's own figures under `--processes N`: the server processes serving now against
    N, and the restarts of the slots' processes by result (kept here, not in the multiprocess files)."""

    def __init__(self, configured: int, live: Callable[[], int]):
        self.configured = configured
        self.live = live
        self.restarts = dict.fromkeys(RESTART_RESULTS, 0)

    def collect(self) -> Iterator[Any]:
        """The two gauges (live read now) and the restart counter."""
        yield GaugeMetricFamily("credit_policy_server_processes", "Server processes serving now (below the "
                                "configured number while one is replaced or fails to start)", value=self.live())
        yield GaugeMetricFamily("credit_policy_server_processes_configured",
                                "Server processes configured (serve --processes N)", value=self.configured)
        restarts = CounterMetricFamily("credit_policy_server_process_restarts", "Starts of a replacement for a "
                                       "server process that died, by result: started (it serves), or failed "
                                       "(each failed attempt)", labels=["result"])
        for result, count in self.restarts.items():
            restarts.add_metric([result], count)
        yield restarts


class MultiProcessEndpoint:
    """The supervisor's /metrics: every server process's metrics from the multiprocess directory."""

    def __init__(self, path: str):
        self.path = path
        self.registry = CollectorRegistry()
        self._collector = _ServedVersionsOnly(path)
        self.registry.register(self._collector)
        self._processes: _ServerProcesses | None = None
        self._server: Any = None

    def serve(self, port: int, address: str = ALL_INTERFACES) -> int:
        """Expose /metrics over HTTP; return the bound port (CannotListen if it is taken)."""
        self._server = start_endpoint(port, address, self.registry)
        return int(self._server.server_port)

    def track_processes(self, configured: int, live: Callable[[], int], pids: Callable[[], dict[str, int]]) -> None:
        """Show the server processes serving (`live()`, read at each scrape) against `configured`, and the
        process figures of each in `pids()` ({slot: pid}) beside the supervisor's own."""
        self._processes = _ServerProcesses(configured, live)
        self.registry.register(self._processes)
        self.registry.register(ProcessFigures("supervisor", "server", pids))

    def process_restart_counted(self, result: str) -> None:
        """Count one start of a replacement server process (`started` or `failed`)."""
        if self._processes is not None:
            self._processes.restarts[result] += 1

    def count_lost(self, decisions: int) -> None:
        """Decisions a dead server process had answered and not yet written to the decision log: they
        count in `credit_policy_decision_log_failures_total` (the process cannot count them itself)."""
        self._collector.lost += decisions

    def process_gone(self, pid: int) -> None:
        """Drop a dead process's live gauges (its counters stay in the sums)."""
        from prometheus_client.multiprocess import mark_process_dead

        mark_process_dead(pid, self.path)  # type: ignore[no-untyped-call]

    def close(self) -> None:
        """Stop the HTTP endpoint."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
