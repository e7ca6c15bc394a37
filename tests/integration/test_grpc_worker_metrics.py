"""What /metrics says of the processes that decide calls: with engine workers (`--workers N`), the live
workers against N and their restarts; under `--processes N`, on the supervisor's endpoint, the server
processes serving against N and their restarts. A worker or process is killed for real, and its
replacement's start fails for real (its SQLite store has a directory in its place) until the store is
back: live stays below configured meanwhile, where health still says SERVING with one worker left."""

from __future__ import annotations

import os
import signal
import socket
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from grpc_health.v1 import health_pb2

from tests.integration.conftest_grpc import TIMEOUT, ServerProcess, order_request, sample_snapshot
from tests.integration.conftest_grpc import server_factory as server_factory  # a fixture: pytest finds it by name
from tests.integration.test_grpc_load import _worker_pids
from tests.integration.test_grpc_processes import metric, pids_of
from tests.integration.test_grpc_worker_restart import FAILED, BlockedStore, wait_for_health

WORKER_RESTARTS = "credit_policy_engine_worker_restarts_total"
PROCESS_RESTARTS = "credit_policy_server_process_restarts_total"


def scrape(server: ServerProcess) -> str:
    return urllib.request.urlopen(f"http://127.0.0.1:{server.metrics_port}/metrics", timeout=5).read().decode()


def figures(server: ServerProcess, prefix: str, restarts: str) -> tuple[float, float, float, float]:
    """(live, configured, restarts started, restarts failed) as one scrape reads them."""
    text = scrape(server)
    return (metric(text, prefix), metric(text, f"{prefix}_configured"),
            metric(text, f'{restarts}{{result="started"}}'), metric(text, f'{restarts}{{result="failed"}}'))


def until_scraped(server: ServerProcess, condition: Callable[[str], bool], timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while not condition(text := scrape(server)):
        assert time.monotonic() < deadline, text
        time.sleep(0.1)
    return text


def one_down_then_back(server: ServerProcess, store: BlockedStore, prefix: str, restarts: str) -> None:
    """With the victim killed and its replacement's store blocked: 1 of 2 live, failed starts counted, the
    other still answering; once the store is back, 2 of 2 and one replacement started."""
    until_scraped(server, lambda t: metric(t, f'{restarts}{{result="failed"}}') >= 1)
    live, configured, started, failed = figures(server, prefix, restarts)
    assert (live, configured, started) == (1, 2, 0) and failed >= 1
    assert server.stub().CheckOrder(order_request(sample_snapshot(2)), timeout=TIMEOUT).customer_id

    store.unblock()
    until_scraped(server, lambda t: metric(t, prefix) == 2)
    live, configured, started, failed_after = figures(server, prefix, restarts)
    assert (live, configured, started) == (2, 2, 1) and failed_after >= failed
    assert server.stop() == 0


def test_a_dead_worker_shows_as_one_live_of_two_and_each_restart_is_counted(
        server_factory: Callable[..., ServerProcess], tmp_path: Path) -> None:
    store = BlockedStore(tmp_path)
    server = server_factory("--db", store.url, "--watch-interval", "0", workers=2, env=BlockedStore.SERVE_ENV)
    assert figures(server, "credit_policy_engine_workers", WORKER_RESTARTS) == (2, 2, 0, 0)
    assert "credit_policy_server_processes" not in scrape(server)

    store.block()
    os.kill(_worker_pids(server.proc.pid)[0], signal.SIGKILL)
    server.wait_for_event(FAILED)

    wait_for_health(server, health_pb2.HealthCheckResponse.SERVING, timeout=0)  # one worker is enough for health
    one_down_then_back(server, store, "credit_policy_engine_workers", WORKER_RESTARTS)


def test_a_service_without_engine_workers_shows_no_worker_figures(
        server_factory: Callable[..., ServerProcess]) -> None:
    server = server_factory(workers=0)

    text = scrape(server)

    assert "credit_policy_engine_worker" not in text and "credit_policy_server_process" not in text
    assert server.stop() == 0


def test_under_processes_the_supervisor_shows_the_processes_serving_and_their_restarts(
        server_factory: Callable[..., ServerProcess], tmp_path: Path) -> None:
    store = BlockedStore(tmp_path)
    server = server_factory("--db", store.url, "--watch-interval", "0", processes=2, env=BlockedStore.SERVE_ENV)
    pids = pids_of(server)
    assert figures(server, "credit_policy_server_processes", PROCESS_RESTARTS) == (2, 2, 0, 0)
    assert "credit_policy_engine_worker" not in scrape(server)  # each process evaluates in-process

    store.block()
    os.kill(pids[0], signal.SIGKILL)

    one_down_then_back(server, store, "credit_policy_server_processes", PROCESS_RESTARTS)


@pytest.mark.parametrize("model", [{"workers": 0}, {"processes": 2}])
def test_metrics_listen_on_the_host_the_service_was_bound_to(
        server_factory: Callable[..., ServerProcess], model: dict[str, int]) -> None:
    """With `--host 127.0.0.1` the service was on the machine only, and /metrics on every interface
    (0.0.0.0): another address of this machine (127.0.0.2 is one) reached it."""
    server = server_factory(**model)  # --host 127.0.0.1

    scrape(server)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.2", server.metrics_port), timeout=5).close()

    assert server.stop() == 0


PROCESS_FIGURES = ("process_resident_memory_bytes", "process_open_fds", "process_cpu_seconds_total")
"""prometheus_client's standard process metrics, a few of them."""


@pytest.mark.parametrize(("model", "labels"), [
    ({"workers": 0}, ['{process="server"}']),
    ({"workers": 2}, ['{process="server"}', '{process="worker-0"}', '{process="worker-1"}']),
    ({"processes": 2}, ['{process="supervisor"}', '{process="server-0"}', '{process="server-1"}']),
], ids=["in-process", "engine-workers", "processes"])
def test_each_process_shows_its_memory_files_and_cpu_and_no_series_says_when_it_was_created(
        server_factory: Callable[..., ServerProcess], model: dict[str, int], labels: list[str]) -> None:
    """Every process's figures labelled with the process they are of, the one serving /metrics included."""
    server = server_factory(**model)
    server.stub().CheckOrder(order_request(), timeout=TIMEOUT)  # a counter with a child, whose _created showed

    text = scrape(server)

    assert "_created" not in text
    for name in PROCESS_FIGURES:
        assert [label for label in labels if metric(text, name + label) > 0] == labels, name
        assert f"\n{name} " not in text  # no unlabelled sample beside the labelled ones
    assert server.stop() == 0
