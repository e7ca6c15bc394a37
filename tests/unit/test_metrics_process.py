"""The standard process metrics of a process and those it runs beside it (adapters/grpc/metrics_process.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from adapters.grpc.metrics_process import ProcessFigures

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="read from /proc")


def rss_lines(figures: ProcessFigures) -> list[str]:
    registry = CollectorRegistry()
    registry.register(figures)
    page = generate_latest(registry).decode()
    return [line.split(" ")[0] for line in page.splitlines() if line.startswith("process_resident_memory_bytes")]


def test_every_sample_of_a_family_is_labelled_with_its_process_this_one_included() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        lines = rss_lines(ProcessFigures("server", "worker", lambda: {"0": child.pid, "1": os.getpid()}))
    finally:
        child.kill()
        child.wait()

    assert lines == ['process_resident_memory_bytes{process="server"}',
                     'process_resident_memory_bytes{process="worker-0"}',
                     'process_resident_memory_bytes{process="worker-1"}']


def test_a_child_that_died_and_is_not_yet_reaped_is_left_out() -> None:
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    while _state(zombie.pid) != "Z":  # exited; its parent (this test) has not waited for it yet
        time.sleep(0.01)

    lines = rss_lines(ProcessFigures("server", "worker", lambda: {"0": zombie.pid}))
    zombie.wait()

    assert lines == ['process_resident_memory_bytes{process="server"}']


def _state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rpartition(")")[2].split()[0]


def test_a_child_that_is_gone_is_left_out_without_an_error() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # reaped: its pid names no process

    assert rss_lines(ProcessFigures("supervisor", "server", lambda: {"0": gone.pid})) == [
        'process_resident_memory_bytes{process="supervisor"}']
