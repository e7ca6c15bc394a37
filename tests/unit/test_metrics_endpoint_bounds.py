"""/metrics takes no authentication: a caller that opens connections and sends nothing holds neither a thread
nor a file descriptor of the service for long, nor more than a bounded number at once."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from adapters.grpc import metrics_endpoint
from adapters.grpc.metrics import ServiceMetrics


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setattr(metrics_endpoint, "MAX_CONNECTIONS", 4)
    monkeypatch.setattr(metrics_endpoint._Handler, "timeout", 1.0)
    metrics = ServiceMetrics()
    port = metrics.serve(0, "127.0.0.1")
    yield port
    metrics.close()


def _closed_by_server(conn: socket.socket, within: float) -> bool:
    """Whether the server closes `conn` (EOF, or a reset) within `within` seconds."""
    conn.settimeout(within)
    try:
        return conn.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def _scrape(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
        return b"".join(iter(lambda: conn.recv(65536), b""))


def test_a_connection_that_sends_nothing_is_closed_after_the_timeout(endpoint: int) -> None:
    with socket.create_connection(("127.0.0.1", endpoint)) as silent:
        started = time.monotonic()

        closed = _closed_by_server(silent, within=5.0)

    assert closed and time.monotonic() - started < 4.0


def _scrape_when_free(port: int, within: float) -> bytes:
    """A scrape's answer once the server has seen the held connections go (each slot is given back when its
    thread reads their end: on a loaded machine, not at once); b"" if none came within `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        try:
            answer = _scrape(port)
        except ConnectionError:  # closed as accepted, before the request was sent
            answer = b""
        if answer or time.monotonic() > deadline:
            return answer
        time.sleep(0.05)


def test_connections_past_the_bound_are_closed_at_once_and_scrapes_answer_once_the_idle_ones_are_gone(
        endpoint: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # The held ones must not time out before the one past the bound is accepted, however slow the machine.
    monkeypatch.setattr(metrics_endpoint._Handler, "timeout", 30.0)
    held = [socket.create_connection(("127.0.0.1", endpoint)) for _ in range(4)]
    try:
        with socket.create_connection(("127.0.0.1", endpoint)) as past:  # accepted after the four: in order
            refused = _closed_by_server(past, within=5.0)  # at once: sooner than any timeout, which is 30 s here
    finally:
        for conn in held:
            conn.close()

    answer = _scrape_when_free(endpoint, within=10.0)

    assert refused
    assert answer.startswith(b"HTTP/1.0 200") and b"credit_policy_grpc_in_flight" in answer
