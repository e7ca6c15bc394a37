"""A stop signal in `serve`'s first phases (adapters/grpc/start_stop.py): before the store is opened it ends the
command at once, `stopping` and `stopped` logged; from the store's opening on it is kept for the event loop."""

from __future__ import annotations

import logging
import os
import signal
import time

import pytest

from adapters.grpc.start_stop import keep_stop_signals, stops_while_starting, take_kept_signal


def _events(caplog: pytest.LogCaptureFixture) -> list[tuple[str, dict[str, object]]]:
    return [(r.getMessage(), getattr(r, "fields", {})) for r in caplog.records if r.name == "credit_policy.service"]


def test_a_sigterm_before_the_store_is_opened_ends_serve_at_once_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    previous = signal.getsignal(signal.SIGTERM)
    went_on = []

    @stops_while_starting
    def serve() -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # a check, an import: cut short
        went_on.append(True)

    started = time.monotonic()
    serve()

    assert time.monotonic() - started < 2 and went_on == []
    assert _events(caplog) == [("stopping", {"during": "start-up", "signal": "SIGTERM"}),
                               ("stopped", {"during": "start-up"})]
    assert signal.getsignal(signal.SIGTERM) is previous


def test_a_sigint_once_the_store_is_being_opened_is_kept_for_the_event_loop(caplog: pytest.LogCaptureFixture) -> None:
    kept = []

    @stops_while_starting
    def serve() -> None:
        keep_stop_signals()
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.2)  # the migration goes on
        kept.append(take_kept_signal())

    serve()

    assert kept == [signal.SIGINT]
    assert _events(caplog) == []  # the loop's StartStop logs the stop it acts on
