"""The standard process metrics of a process and those it runs beside it (adapters/grpc/metrics_process.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from adapters.grpc.metrics_process import ProcessFigures

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="read from /proc")


def rss_lines(figures: ProcessFigures) -> list[str]:
    registry = CollectorRegistry()
    registry.register(figures)
    page = generate_latest(registry).decode()
    return [line.split(" ")[0] for line in page.splitlines() if line.startswith("process_resident_memory_bytes")]


def test_each_child_is_labelled_apart_in_the_same_family_as_this_process() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        lines = rss_lines(ProcessFigures("worker", lambda: {"0": child.pid, "1": os.getpid()}))
    finally:
        child.kill()
        child.wait()

    assert lines == ["process_resident_memory_bytes", 'process_resident_memory_bytes{worker="0"}',
                     'process_resident_memory_bytes{worker="1"}']


def test_a_child_that_is_gone_is_left_out_without_an_error() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # reaped: its pid names no process

    assert rss_lines(ProcessFigures("process", lambda: {"0": gone.pid})) == ["process_resident_memory_bytes"]
