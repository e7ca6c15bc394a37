# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""SIGTERM: the log says how many calls were in flight when the stop began and how many the grace cut off."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import grpc
import pytest

from tests.integration.conftest_grpc import (
    ServerProcess,
    open_held_call,
    server_factory,  # noqa: F401  (fixtures: pytest finds them by name)
)


@pytest.mark.parametrize("workers", [0, 1])
def test_a_call_still_awaiting_its_request_is_in_flight_at_the_stop_and_cut_off_by_the_grace(
        server_factory: Any, workers: int) -> None:
    # Its caller is waiting for an answer: the `stopping` line used to leave it out, and the grace's cut-off too.
    # (A stream held open served here before; a stop now ends a stream itself: test_grpc_stream_stop.py.)
    server: ServerProcess = server_factory("--watch-interval", "0", "--grace", "1", workers=workers)
    release, pending = open_held_call(server)

    server.proc.send_signal(signal.SIGTERM)

    assert server.proc.wait(timeout=30) == 0
    release.set()
    assert server.wait_for_event("stopping")["in_flight"] == 1
    stopped = server.wait_for_event("stopped")
    assert stopped["cut_off"] == 1 and stopped["level"] == "warning"
    assert pending.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)


def test_a_call_answered_within_the_grace_is_not_cut_off(server_factory: Any) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0", "--grace", "20", workers=1)
    release, pending = open_held_call(server)

    server.proc.send_signal(signal.SIGTERM)
    server.wait_for_event("stopping")
    release.set()

    assert pending.code() == grpc.StatusCode.INVALID_ARGUMENT  # answered: an empty CheckOrderRequest
    assert server.proc.wait(timeout=30) == 0
    stopped = server.wait_for_event("stopped")
    assert stopped["cut_off"] == 0 and stopped["level"] == "info"


@pytest.mark.parametrize(("model", "stopping"), [({"workers": 0}, "stopping"), ({"processes": 1}, "process stopping")])
def test_a_second_stop_signal_cuts_the_grace_short_and_says_so(server_factory: Any, model: dict[str, int],
                                                               stopping: str) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0", "--grace", "120", **model)
    release, _pending = open_held_call(server)
    server.proc.send_signal(signal.SIGTERM)
    server.wait_for_event(stopping)

    server.proc.send_signal(signal.SIGTERM)

    assert server.proc.wait(timeout=30) == 0  # not the 120 s of grace
    assert server.wait_for_event("stopping now")["signal"] == "SIGTERM"
    assert server.wait_for_event(stopping.replace("stopping", "stopped"))["cut_off"] == 1
    release.set()


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
    release, pending = open_held_call(server)

    os.killpg(server.proc.pid, signal.SIGTERM)
    server.wait_for_event("process stopping")
    time.sleep(0.5)  # both SIGTERMs delivered
    release.set()

    assert pending.code() == grpc.StatusCode.INVALID_ARGUMENT  # answered within the grace, not cut off
    assert server.proc.wait(timeout=30) == 0
    assert server.wait_for_event("process stopped")["cut_off"] == 0
    assert not [e for e in server.events() if e.get("event") == "stopping now"]
