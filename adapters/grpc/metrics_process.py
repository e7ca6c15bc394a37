"""The standard process metrics (`process_resident_memory_bytes`, `process_open_fds`, `process_cpu_seconds_total`
and the rest of prometheus_client's ProcessCollector, read from /proc) of the process serving /metrics and of the
processes that serve beside it, every sample labelled `process` with whose it is: `server` and `worker-0` … (a
single server and its engine workers, by place in the pool), or `supervisor` and `server-0` … (`--processes`, by
the supervisor's slot). Read at each scrape (~0.1 ms a process); none where there is no /proc (macOS)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

LABEL = "process"
"""The label every process figure carries (Prometheus wants a family's samples all labelled alike)."""


def _no_children() -> dict[str, int]:
    return {}


class ProcessFigures(Collector):
    """This process's figures, labelled `own`, and those of `children()`, {place: pid}, labelled `kind-place`."""

    def __init__(self, own: str, kind: str, children: Callable[[], dict[str, int]] = _no_children):
        self.own = own
        self.kind = kind
        self.children = children
        self._own = ProcessCollector(registry=None)
        self._of_pid: dict[int, ProcessCollector] = {}
        """One collector a child, kept while it lives (a collector reads the boot time from /proc once)."""

    def collect(self) -> Iterator[Any]:
        """One family per figure: this process's sample, then each live child's."""
        families = {metric.name: metric for metric in self._own.collect()}
        for metric in families.values():
            metric.samples = [s._replace(labels={**s.labels, LABEL: self.own}) for s in metric.samples]
        children = {place: pid for place, pid in self.children().items() if _alive(pid)}
        live = {pid: self._of_pid.get(pid) or ProcessCollector(pid=partial(int, pid), registry=None)
                for pid in children.values()}
        self._of_pid = live  # the dead's collectors go
        for place, pid in children.items():
            for metric in live[pid].collect():
                samples = [s._replace(labels={**s.labels, LABEL: f"{self.kind}-{place}"}) for s in metric.samples]
                if metric.name in families:
                    families[metric.name].samples.extend(samples)
                else:
                    metric.samples = samples
                    families[metric.name] = metric
        yield from families.values()


def _alive(pid: int) -> bool:
    """Is `pid` a running process, not one that died and awaits its parent's wait (a zombie shows no memory and
    no files: its figures would read as a healthy, idle process until it is replaced)?"""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rpartition(b")")[2].split()[0] != b"Z"
    except (OSError, IndexError):
        return False  # gone: left out
