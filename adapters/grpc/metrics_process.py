"""The standard process metrics (`process_resident_memory_bytes`, `process_open_fds`, `process_cpu_seconds_total`
and the rest of prometheus_client's ProcessCollector, read from /proc) of the process serving /metrics, unlabelled
as every exporter's are, and of the processes that serve beside it, labelled apart: `worker` (an engine worker, by
its place in the pool) or `process` (a `--processes` server process, by the supervisor's slot). Read at each scrape
(~0.1 ms a process); none where there is no /proc (macOS)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector


def _no_children() -> dict[str, int]:
    return {}


class ProcessFigures(Collector):
    """This process's figures and those of `children()`, {label value: pid}, each labelled `label`."""

    def __init__(self, label: str, children: Callable[[], dict[str, int]] = _no_children):
        self.label = label
        self.children = children
        self._own = ProcessCollector(registry=None)
        self._of_pid: dict[int, ProcessCollector] = {}
        """One collector a child, kept while it lives (a collector reads the boot time from /proc once)."""

    def collect(self) -> Iterator[Any]:
        """One family per figure: this process's sample, then each child's with its label."""
        families = {metric.name: metric for metric in self._own.collect()}
        children = self.children()
        live = {pid: self._of_pid.get(pid) or ProcessCollector(pid=partial(int, pid), registry=None)
                for pid in children.values()}
        self._of_pid = live  # the dead's collectors go
        for value, pid in children.items():
            for metric in live[pid].collect():
                samples = [s._replace(labels={**s.labels, self.label: value}) for s in metric.samples]
                if metric.name in families:
                    families[metric.name].samples.extend(samples)
                else:
                    metric.samples = samples
                    families[metric.name] = metric
        yield from families.values()
