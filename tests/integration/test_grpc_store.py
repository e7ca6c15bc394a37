# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""`serve --db URL`: customers read from the SQL store, every decision in its audit log."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import grpc
import pytest
from sqlalchemy import make_url

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.store.audit_writer import RETRY_DELAYS
from policy_engine.domain.models import CustomerSnapshot
from tests.integration.conftest import PG_URL, reset_postgres
from tests.integration.conftest_grpc import (
    TIMEOUT,
    order_request,
    sample_dict,
    sample_snapshot,
    server_factory,  # noqa: F401  (fixtures: pytest finds them by name)
)

store_module = pytest.importorskip("adapters.store")


@pytest.mark.parametrize("workers", [0, 2])
def test_a_customer_id_is_read_from_the_sql_store_and_each_decision_logged(
    server_factory: Any, tmp_path: Path, workers: int
) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    store = store_module.open_store(url)
    store.save_snapshot(CustomerSnapshot.model_validate(sample_dict(1)))
    store.close()
    server = server_factory("--db", url, workers=workers, name=f"db{workers}")
    stub = server.stub()

    decision = stub.CheckOrder(order_request(customer_id="C00001"), timeout=TIMEOUT)
    with pytest.raises(grpc.RpcError) as missing:
        stub.EvaluateCustomer(pb.EvaluateCustomerRequest(customer_id="C99999"), timeout=TIMEOUT)
    assert server.stop() == 0  # the audit log is flushed at shutdown

    store = store_module.open_store(url)
    logged = store.history("C00001")
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    assert missing.value.details() == "customer 'C99999' not found"  # a real store: no word of `--db memory`
    assert [(d.source, d.policy_version) for d in logged] == [("service", decision.policy_version)]
    assert store.policy_files(decision.policy_version)
    store.close()


class CuttableProxy:
    """A TCP proxy in front of PostgreSQL that a test can cut (every connection dropped, new ones
    refused) and restore: a database restart or a network blip, without touching the shared server."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.up = False
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
        self.sockets = []

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="CREDIT_POLICY_PG_URL is not set")
@pytest.mark.parametrize("workers", [0, 2])
def test_a_database_outage_is_unavailable_with_no_host_named_and_the_service_recovers(
    server_factory: Any, workers: int
) -> None:
    reset_postgres(PG_URL)
    store = store_module.open_store(PG_URL)
    store.save_snapshot(CustomerSnapshot.model_validate(sample_dict(1)))
    store.close()
    url = make_url(PG_URL)
    proxy = CuttableProxy(url.host or "localhost", url.port or 5432)
    try:
        through_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        server = server_factory("--db", through_proxy, workers=workers, name=f"outage{workers}")
        stub = server.stub()
        assert stub.CheckOrder(order_request(customer_id="C00001"), timeout=TIMEOUT).outcome

        proxy.cut()
        with pytest.raises(grpc.RpcError) as during:
            stub.CheckOrder(order_request(customer_id="C00001"), timeout=TIMEOUT)
        proxy.up = True
        after = stub.CheckOrder(order_request(customer_id="C00001"), timeout=TIMEOUT)
        # stopped while the database is reachable: its decision log is written, not retried for 6 s per entry
        assert server.stop() == 0, server.log_path.read_text()
    finally:
        proxy.close()

    assert during.value.code() == grpc.StatusCode.UNAVAILABLE  # clients retry UNAVAILABLE; INTERNAL before
    assert during.value.details() == "the customer store is unavailable; try again shortly"
    assert after.outcome
    logged = server.wait_for_event("store unavailable")
    assert logged["method"] == "CheckOrder" and "OperationalError" in logged["error"]
    assert not [e for e in server.events() if e.get("event") == "engine failure"]


def test_an_unreachable_database_is_store_unavailable_and_its_password_is_never_shown() -> None:
    from policy_engine.domain.errors import StoreUnavailable

    store = store_module.SqlStore(store_module.make_engine("postgresql+psycopg://risk:s3cret@127.0.0.1:1/credit"))

    with pytest.raises(StoreUnavailable) as caught:
        store.get_snapshot("C00001")

    assert str(caught.value) == "the customer store is unavailable; try again shortly"
    assert "OperationalError" in caught.value.detail and "s3cret" not in caught.value.detail


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="CREDIT_POLICY_PG_URL is not set")
def test_decisions_the_log_could_not_keep_are_counted_in_the_metrics(server_factory: Any) -> None:
    reset_postgres(PG_URL)
    url = make_url(PG_URL)
    proxy = CuttableProxy(url.host or "localhost", url.port or 5432)
    try:
        through_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        server = server_factory("--db", through_proxy, workers=1, name="lostlog")
        stub = server.stub()
        stub.CheckOrder(order_request(sample_snapshot(1)), timeout=TIMEOUT)  # logged
        _wait_until_logged(sample_dict(1)["customer_id"])

        proxy.cut()  # a snapshot needs no read: the call is answered, its log entry cannot be written
        stub.CheckOrder(order_request(sample_snapshot(2)), timeout=TIMEOUT)
        # the writer retries (RETRY_DELAYS), then gives the entry up: counted, then said in this line
        server.wait_for_event("a decision-log entry was not written (refused by the database: OperationalError): "
                              f"customer {sample_dict(2)['customer_id']}", timeout=sum(RETRY_DELAYS) + 30)
        proxy.up = True
        stub.CheckOrder(order_request(sample_snapshot(3)), timeout=TIMEOUT)  # its answer carries the count
        _wait_until_logged(sample_dict(3)["customer_id"])
    finally:
        proxy.close()

    metrics = urllib.request.urlopen(f"http://127.0.0.1:{server.metrics_port}/metrics", timeout=5).read().decode()
    assert "credit_policy_decision_log_failures_total 1.0" in metrics
    assert server.stop() == 0
    first, lost, after = (sample_dict(i)["customer_id"] for i in (1, 2, 3))
    said = [e for e in server.events() if e["level"] == "error" and "decision-log entry was not written" in e["event"]]
    assert [e["event"].endswith(f"customer {lost}") for e in said] == [True]  # a JSON line, from the worker
    store = store_module.open_store(PG_URL)
    assert [len(store.history(c)) for c in (first, lost, after)] == [1, 0, 1]
    store.close()


def _wait_until_logged(customer_id: str, timeout: float = 10.0) -> None:
    store = store_module.open_store(PG_URL)
    try:
        deadline = time.monotonic() + timeout
        while not store.history(customer_id):
            assert time.monotonic() < deadline, f"{customer_id}'s decision never reached the log"
            time.sleep(0.05)
    finally:
        store.close()


@pytest.mark.parametrize("workers", [0, 2])
def test_a_stored_record_that_is_not_a_valid_snapshot_is_failed_precondition_naming_the_problem(
    server_factory: Any, tmp_path: Path, workers: int
) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    store = store_module.open_store(url)
    store.save_snapshot(CustomerSnapshot.model_validate(sample_dict(1)))
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE customers SET currency = 'cny'")
    store.close()
    server = server_factory("--db", url, workers=workers, name=f"broken{workers}")

    with pytest.raises(grpc.RpcError) as caught:
        server.stub().CheckOrder(order_request(customer_id="C00001"), timeout=TIMEOUT)

    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION  # INTERNAL with pydantic's text, before
    expected = "stored record of customer 'C00001' is invalid (currency: not an ISO 4217 currency code in use"
    assert expected in caught.value.details()
    logged = server.wait_for_event("stored record invalid")
    assert logged["customer_id"] == "C00001"


@pytest.mark.parametrize(("workers", "processes"), [(0, None), (2, None), (0, 2)])
def test_every_decision_answered_before_sigterm_is_in_the_log_even_while_a_batch_gathers(
    server_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int, processes: int | None,
) -> None:
    # A gathering time far longer than the run: the entries are still queued when SIGTERM comes.
    monkeypatch.setenv("CREDIT_POLICY_LOG_LINGER_MS", "1000")
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    store_module.open_store(url).close()
    server = server_factory("--db", url, workers=workers, processes=processes, name=f"sigterm{workers}-{processes}")
    stub = server.stub()

    calls = [stub.CheckOrder.future(order_request(sample_snapshot(i % 7)), timeout=TIMEOUT) for i in range(120)]
    answered = [c.result().outcome for c in calls]
    assert len(answered) == 120
    assert server.stop() == 0, server.log_path.read_text()

    store = store_module.open_store(url)
    logged = sum(len(store.history(sample_dict(i)["customer_id"])) for i in range(7))
    store.close()
    assert logged == 120


def _gauge(server: Any, name: str) -> float | None:
    text = urllib.request.urlopen(f"http://127.0.0.1:{server.metrics_port}/metrics", timeout=5).read().decode()
    values = [float(line.split()[1]) for line in text.splitlines() if line.startswith(f"{name} ")]
    return values[0] if values else None


@pytest.mark.parametrize("model", [{"workers": 0}, {"workers": 2}, {"processes": 2}],
                         ids=["inproc", "pool", "processes"])
def test_decisions_waiting_for_the_log_show_in_the_metrics_until_written(
    server_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model: dict[str, int],
) -> None:
    monkeypatch.setenv("CREDIT_POLICY_LOG_LINGER_MS", "1000")  # each batch gathers for a second before its commit
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    store_module.open_store(url).close()
    server = server_factory("--db", url, name="backlog", **model)
    name = "credit_policy_decision_log_backlog"
    assert _gauge(server, name) == 0.0

    stub = server.stub()
    for i in (1, 2, 3):
        stub.CheckOrder(order_request(sample_snapshot(i)), timeout=TIMEOUT)
    seen: list[float] = []
    deadline = time.monotonic() + 10  # under --processes the gauge is copied every half second
    while not (seen and max(seen) > 0 and seen[-1] == 0.0):
        assert time.monotonic() < deadline, f"the backlog never rose, or never went back to 0: {seen}"
        seen.append(_gauge(server, name) or 0.0)
        time.sleep(0.05)

    assert max(seen) == 3.0, seen  # all three waited in the writers' batches, then were written
    assert server.stop() == 0
    store = store_module.open_store(url)
    assert [len(store.history(sample_dict(i)["customer_id"])) for i in (1, 2, 3)] == [1, 1, 1]
    store.close()


@pytest.mark.skipif(not Path("/proc").exists(), reason="finds the worker processes through /proc")
def test_decisions_a_killed_worker_had_not_logged_yet_are_counted_as_lost(
    server_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os
    import signal

    from tests.integration.test_grpc_load import _worker_pids

    monkeypatch.setenv("CREDIT_POLICY_LOG_LINGER_MS", "1000")
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    store_module.open_store(url).close()
    server = server_factory("--db", url, "--watch-interval", "0", workers=2, name="killed")
    stub = server.stub()
    for i in (1, 2, 3):
        stub.CheckOrder(order_request(sample_snapshot(i)), timeout=TIMEOUT)
    deadline = time.monotonic() + 0.9
    while _gauge(server, "credit_policy_decision_log_backlog") != 3.0:  # all three wait in the writers
        assert time.monotonic() < deadline, "the three decisions never showed as waiting"
        time.sleep(0.01)

    for pid in _worker_pids(server.proc.pid):
        os.kill(pid, signal.SIGKILL)  # as a crash in the engine would: nothing is flushed
    deadline = time.monotonic() + 60
    while len(replaced := [e for e in server.events() if e.get("event") == "worker process replaced"]) < 2:
        assert time.monotonic() < deadline, server.log_path.read_text()
        time.sleep(0.05)
    stub.CheckOrder(order_request(sample_snapshot(4)), timeout=TIMEOUT)  # served by a fresh worker

    assert sum(e["unwritten_decisions"] for e in replaced) == 3
    assert _gauge(server, "credit_policy_decision_log_failures_total") == 3.0
    assert server.stop() == 0
    store = store_module.open_store(url)
    assert [len(store.history(sample_dict(i)["customer_id"])) for i in (1, 2, 3, 4)] == [0, 0, 0, 1]
    store.close()


@pytest.mark.skipif(not Path("/proc").exists(), reason="finds the server processes through /proc")
def test_decisions_a_killed_server_process_had_not_logged_yet_are_counted_as_lost(
    server_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os
    import signal

    from tests.integration.test_grpc_load import _worker_pids

    monkeypatch.setenv("CREDIT_POLICY_LOG_LINGER_MS", "1000")
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    store_module.open_store(url).close()
    server = server_factory("--db", url, "--watch-interval", "0", processes=2, name="killedproc")
    stub = server.stub()
    for i in (1, 2, 3):
        stub.CheckOrder(order_request(sample_snapshot(i)), timeout=TIMEOUT)
    for pid in _worker_pids(server.proc.pid):  # within the second the writer gathers for
        os.kill(pid, signal.SIGKILL)

    deadline = time.monotonic() + 60
    while len(died := [e for e in server.events() if e.get("event") == "server process died"]) < 2:
        assert time.monotonic() < deadline, server.log_path.read_text()
        time.sleep(0.05)
    assert sum(e["unwritten_decisions"] for e in died) == 3
    assert _gauge(server, "credit_policy_decision_log_failures_total") == 3.0
    assert server.stop() == 0
    store = store_module.open_store(url)
    assert [len(store.history(sample_dict(i)["customer_id"])) for i in (1, 2, 3)] == [0, 0, 0]
    store.close()
