"""Lint's warnings on a version the service takes: one `policy warnings` log line (level warning) when it starts
serving it or reloads to it (under --processes the supervisor's, once a version), and GetPolicy's `warnings`; the
version serves all the same. On a reload the warnings
come from the child process that compiled it (PolicySummary), not from linting again in the serving process."""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.grpc.rules_source import summarise_policy
from policy_engine.api import load_policy
from tests.integration.conftest_grpc import TIMEOUT, ServerProcess, copy_rules, start_server_process

# Redundant thresholds beside the shipped ones (a trend under 0.5 is under 50; a spike of 300 is one of 3): each a
# likely percentage, the first deciding as the shipped rule does.
ORDER_DROP = ("{order_trend_ratio: {lt: 0.5}}",
              "{all: [{order_trend_ratio: {lt: 0.5}}, {order_trend_ratio: {lt: 50}}]}")
ORDER_SPIKE = ("{order_spike_ratio: {gte: 3}}",
               "{all: [{order_spike_ratio: {gte: 3}}, {order_spike_ratio: {gte: 300}}]}")


def _edit(rules: Path, *edits: tuple[str, str]) -> None:
    path = rules / "warnings.yaml"
    text = path.read_text()
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    path.write_text(text)


def test_the_compile_child_sends_the_warnings_back_with_the_program(tmp_path: Path) -> None:
    rules = copy_rules(tmp_path / "rules")
    _edit(rules, ORDER_DROP)

    summary = pickle.loads(pickle.dumps(summarise_policy(load_policy, rules)))  # as it crosses the pipe

    assert [(w.code, w.path) for w in summary.warnings] == [("likely_percent", str(rules / "warnings.yaml"))]


@pytest.mark.parametrize("workers", [0, 2])
def test_the_service_logs_a_versions_warnings_when_it_serves_it_and_getpolicy_gives_them(
    tmp_path: Path, workers: int
) -> None:
    rules = copy_rules(tmp_path / "rules")
    _edit(rules, ORDER_DROP)
    server = start_server_process(rules, tmp_path / "server.log", "--watch-interval", "0.2", workers=workers)
    try:
        stub = server.stub()
        first = server.wait_for_event("policy warnings")
        info = stub.GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT)

        assert first["level"] == "warning" and first["version"] == info.version and first["count"] == 1
        assert "warnings.yaml:" in first["warnings"][0] and ": likely_percent: rule warn.order_drop: " in (
            first["warnings"][0])
        assert [(w.code, Path(w.path).name, w.line > 0, w.col > 0) for w in info.warnings] == [
            ("likely_percent", "warnings.yaml", True, True)]

        seen = len(server.events())
        _edit(rules, ORDER_SPIKE)  # a second warning: reloaded in the compile child, taken all the same
        reloaded = server.wait_for_event("policy reloaded", after=seen)
        again = server.wait_for_event("policy warnings", after=seen)
        info = stub.GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT)

        assert again["version"] == reloaded["version"] == info.version and again["count"] == 2
        assert sorted(w.message.split(":")[0] for w in info.warnings) == ["rule warn.order_drop",
                                                                          "rule warn.order_spike"]
    finally:
        server.stop()


def test_a_reload_to_a_floor_written_1_000_is_taken_and_getpolicy_gives_its_thousands_point_warning(
    tmp_path: Path,
) -> None:
    """A warning never refuses a reload: `floor: 1.000` is served (as written, 1.0) and said, with its code."""
    rules = copy_rules(tmp_path / "rules")
    server = start_server_process(rules, tmp_path / "server.log", "--watch-interval", "0.2", workers=0)
    try:
        stub = server.stub()
        before = stub.GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT).version
        seen = len(server.events())
        limits = rules / "limits.yaml"
        cc_floor = "share_of_net_worth: 0.03, floor: 0}"
        limits.write_text(limits.read_text().replace(cc_floor, cc_floor.replace("0}", "1.000}"), 1))

        reloaded = server.wait_for_event("policy reloaded", after=seen)
        info = stub.GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT)

        assert reloaded["version"] == info.version != before
        assert [(w.code, Path(w.path).name, w.message.split(": ")[0]) for w in info.warnings] == [
            ("thousands_point", "limits.yaml", "rule limit.cc")]
    finally:
        server.stop()


def test_a_version_without_warnings_logs_none_and_getpolicy_gives_none(tmp_path: Path) -> None:
    server = start_server_process(copy_rules(tmp_path / "rules"), tmp_path / "server.log", workers=0)
    try:
        info = server.stub().GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT)

        assert not info.warnings
        assert not [e for e in server.events() if e.get("event") == "policy warnings"]
    finally:
        server.stop()


def _named(server: ServerProcess, name: str, after: int = 0) -> list[dict[str, Any]]:
    return [e for e in server.events()[after:] if e.get("event") == name]


def _until(found: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not found():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_under_processes_the_supervisor_logs_a_versions_warnings_once_not_once_per_process(tmp_path: Path) -> None:
    rules = copy_rules(tmp_path / "rules")
    _edit(rules, ORDER_DROP)
    server = start_server_process(rules, tmp_path / "server.log", "--watch-interval", "0.2", processes=2)
    try:
        server.wait_for_event("serving", timeout=120)  # the supervisor's: every process serves
        started = _named(server, "policy warnings")
        seen = len(server.events())

        _edit(rules, ORDER_SPIKE)
        _until(lambda: len(_named(server, "policy reloaded", after=seen)) == 2, "both processes reload")
        reloaded = _named(server, "policy warnings", after=seen)

        assert len(_named(server, "policy loaded")) == 2  # each process still says what it loaded
        assert [(e["count"], "process" in e) for e in started] == [(1, False)]
        assert [(e["count"], e["version"]) for e in reloaded] == [(2, _named(server, "policy reloaded")[0]["version"])]
    finally:
        server.stop()


def test_the_supervisor_says_each_version_once_and_again_after_another(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from adapters.grpc import supervisor as sup

    supervisor = sup.Supervisor(sup.ProcessConfig(rules_dir=tmp_path, host="127.0.0.1", port=1), 2)
    first, second = supervisor._slots
    first.pid, second.pid = 101, 102
    w1, stale = {"count": 1, "warnings": ["w1"]}, {"count": 1, "warnings": ["stale"]}  # ServedWarnings.log_fields
    told = [(first, 101, "v1", w1), (second, 102, "v1", w1), (second, 102, "v2", {}),
            (first, 101, "v2", {}), (first, 999, "v3", stale), (first, 101, "v1", w1)]

    with caplog.at_level("INFO"):
        for slot, pid, version, warnings in told:
            supervisor._handle(slot, ("warnings", pid, version, warnings))

    said = [(r.fields["version"], r.fields["warnings"]) for r in caplog.records if r.getMessage() == "policy warnings"]
    assert said == [("v1", ["w1"]), ("v1", ["w1"])]  # a version without warnings says none; v1 rolled back to: again
