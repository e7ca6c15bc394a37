# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""SIGTERM: the log says how many calls were in flight when the stop began and how many the grace cut off."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from tests.integration.conftest_grpc import (
    ServerProcess,
    open_held_stream,
    sample_snapshot,
    server_factory,  # noqa: F401  (fixtures: pytest finds them by name)
)


@pytest.mark.parametrize("workers", [0, 1])
def test_a_stream_still_open_when_the_grace_runs_out_is_logged_as_cut_off(server_factory: Any, workers: int) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0", "--grace", "1", workers=workers)
    outbox, responses = open_held_stream(server)

    server.proc.send_signal(signal.SIGTERM)

    assert server.proc.wait(timeout=30) == 0
    assert server.wait_for_event("stopping")["in_flight"] == 1
    stopped = server.wait_for_event("stopped")
    assert stopped["cut_off"] == 1 and stopped["level"] == "warning"
    with pytest.raises(grpc.RpcError):
        next(responses)
    outbox.put(None)


def test_a_call_still_awaiting_its_request_is_in_flight_at_the_stop_and_cut_off_by_the_grace(
        server_factory: Any) -> None:
    # Its caller is waiting for an answer: the `stopping` line used to leave it out, and the grace's cut-off too.
    server: ServerProcess = server_factory("--watch-interval", "0", "--grace", "1", workers=0)
    release = threading.Event()
    pending = server.channel().stream_unary("/credit_policy.v1.CreditPolicyService/CheckOrder").future(
        _held_back(release), timeout=60)
    time.sleep(0.5)  # the call has reached the server

    server.proc.send_signal(signal.SIGTERM)

    assert server.proc.wait(timeout=30) == 0
    release.set()
    assert server.wait_for_event("stopping")["in_flight"] == 1
    assert server.wait_for_event("stopped")["cut_off"] == 1
    assert pending.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)


def _held_back(release: threading.Event) -> Iterator[bytes]:
    """A unary call's request stream that sends its request only once `release` is set."""
    release.wait()
    yield b""


def test_a_stream_closed_within_the_grace_is_not_cut_off(server_factory: Any) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0", "--grace", "20", workers=1)
    outbox, responses = open_held_stream(server)

    server.proc.send_signal(signal.SIGTERM)
    server.wait_for_event("stopping")
    outbox.put(None)

    assert list(responses) == []
    assert server.proc.wait(timeout=30) == 0
    stopped = server.wait_for_event("stopped")
    assert stopped["cut_off"] == 0 and stopped["level"] == "info"


@pytest.mark.parametrize(("model", "stopping"), [({"workers": 0}, "stopping"), ({"processes": 1}, "process stopping")])
def test_a_second_stop_signal_cuts_the_grace_short_and_says_so(server_factory: Any, model: dict[str, int],
                                                               stopping: str) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0", "--grace", "120", **model)
    outbox, _responses = open_held_stream(server)
    server.proc.send_signal(signal.SIGTERM)
    server.wait_for_event(stopping)

    server.proc.send_signal(signal.SIGTERM)

    assert server.proc.wait(timeout=30) == 0  # not the 120 s of grace
    assert server.wait_for_event("stopping now")["signal"] == "SIGTERM"
    assert server.wait_for_event(stopping.replace("stopping", "stopped"))["cut_off"] == 1
    outbox.put(None)


def test_the_stopping_line_names_the_signal(server_factory: Any) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0", workers=0)

    server.proc.send_signal(signal.SIGINT)

    assert server.proc.wait(timeout=30) == 0
    assert server.wait_for_event("stopping")["signal"] == "SIGINT"


def test_a_sigterm_that_reaches_the_processes_beside_the_supervisor_does_not_cut_the_grace(
        server_factory: Any) -> None:
    """systemd's KillMode=control-group, or an init that signals the group, sends each --processes process a
    SIGTERM of its own beside the one the supervisor forwards: that is one stop, not two."""
    server: ServerProcess = server_factory("--watch-interval", "0", "--grace", "120", processes=1, new_session=True)
    outbox, responses = open_held_stream(server)

    os.killpg(server.proc.pid, signal.SIGTERM)
    server.wait_for_event("process stopping")
    time.sleep(0.5)  # both SIGTERMs delivered
    outbox.put(pb.EvaluateCustomerRequest(snapshot=sample_snapshot(2), request_id="during"))
    during = next(responses)
    outbox.put(None)

    assert during.request_id == "during"
    assert server.proc.wait(timeout=30) == 0
    assert server.wait_for_event("process stopped")["cut_off"] == 0
    assert not [e for e in server.events() if e.get("event") == "stopping now"]
