# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""SIGTERM with streams open that end only when their callers close them: a health Watch (gRPC's client-side
health checking keeps one per connection) and a server reflection stream (grpcurl-like tools). The grace is the
decision calls': once they are done, such streams are cancelled, and the stop does not wait out --grace."""

from __future__ import annotations

import queue
import signal
import threading
import time
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from tests.integration.conftest_grpc import (
    ServerProcess,
    open_held_stream,
    sample_snapshot,
    server_factory,  # noqa: F401  (fixtures: pytest finds them by name)
)

SERVICE = "credit_policy.v1.CreditPolicyService"
GRACE_S = 60.0
"""Long, so that a stop that waits it out fails the test's own bound (the old behaviour) instead of passing late."""


def _watch(server: ServerProcess) -> tuple[list[Any], threading.Thread]:
    """A health Watch on the credit service, read on a thread: the statuses it sent, then how it ended."""
    seen: list[Any] = []
    watch = health_pb2_grpc.HealthStub(server.channel()).Watch(health_pb2.HealthCheckRequest(service=SERVICE))

    def read() -> None:
        try:
            seen.extend(reply.status for reply in watch)
        except grpc.RpcError as error:
            seen.append(error.code())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 10
    while not seen and time.monotonic() < deadline:
        time.sleep(0.01)
    assert seen == [health_pb2.HealthCheckResponse.SERVING]
    return seen, reader


@pytest.mark.parametrize("model", [{"workers": 0}, {"workers": 1}, {"processes": 1}])
def test_an_open_health_watch_does_not_hold_the_stop_for_the_whole_grace(server_factory: Any,
                                                                          model: dict[str, int]) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0", "--grace", str(GRACE_S), **model)
    seen, reader = _watch(server)
    started = time.monotonic()

    server.proc.send_signal(signal.SIGTERM)

    assert server.proc.wait(timeout=GRACE_S / 2) == 0
    assert time.monotonic() - started < 10
    reader.join(timeout=10)
    assert seen[:2] == [health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING]
    assert seen[2] in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)  # the stream ended, not left hanging
    stopped = "process stopped" if "processes" in model else "stopped"
    assert server.wait_for_event(stopped)["cut_off"] == 0


def test_an_open_reflection_stream_does_not_hold_the_stop_for_the_whole_grace(server_factory: Any) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0", "--grace", str(GRACE_S), workers=0)
    outbox: queue.Queue[reflection_pb2.ServerReflectionRequest | None] = queue.Queue()
    replies = reflection_pb2_grpc.ServerReflectionStub(server.channel()).ServerReflectionInfo(iter(outbox.get, None))
    outbox.put(reflection_pb2.ServerReflectionRequest(list_services=""))
    assert SERVICE in {s.name for s in next(replies).list_services_response.service}
    started = time.monotonic()

    server.proc.send_signal(signal.SIGTERM)

    assert server.proc.wait(timeout=GRACE_S / 2) == 0
    assert time.monotonic() - started < 10
    outbox.put(None)


def test_a_decision_stream_beside_an_open_health_watch_ends_on_its_own_word_not_cut_off(server_factory: Any) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0", "--grace", str(GRACE_S), workers=1)
    outbox, responses = open_held_stream(server)
    seen, reader = _watch(server)
    server.proc.send_signal(signal.SIGTERM)
    server.wait_for_event("stopping")

    outbox.put(pb.EvaluateCustomerRequest(snapshot=sample_snapshot(2), request_id="during"))
    with pytest.raises(grpc.RpcError) as ended:
        next(responses)
    outbox.put(None)

    # The stream answered what it took and said where to go on (tests/integration/test_grpc_stream_stop.py);
    # before, it was served through the grace. Either way the open Watch neither holds nor cuts it.
    assert ended.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "the server is stopping" in ended.value.details()
    assert server.proc.wait(timeout=GRACE_S / 2) == 0
    assert server.wait_for_event("stopped")["cut_off"] == 0
    reader.join(timeout=10)
    assert health_pb2.HealthCheckResponse.NOT_SERVING in seen
