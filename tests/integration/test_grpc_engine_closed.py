"""A rule engine that repeated failures closed for good is replaced, whatever the concurrency model.

After MAX_REPLACEMENTS failed matches a process's Ruleset is closed: every later call there would be
INTERNAL, and the engine rulesets the failures abandoned stay allocated until the process ends. The
failures are real failures of the durable_rules core's assert call, injected in the served processes
by tests/fault_injection/sitecustomize.py; everything after that is the service's own handling.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import grpc
import pytest

from adapters.grpc.engines import PIPELINE_DEPTH
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.grpc.runtime import ENGINE_BROKEN_EXIT
from policy_engine.engine import MAX_REPLACEMENTS
from tests.integration.conftest_grpc import ROOT, TIMEOUT, ServerProcess, order_request, sample_snapshot
from tests.integration.conftest_grpc import server_factory as server_factory  # a fixture: pytest finds it by name

FAULTS = ROOT / "tests" / "fault_injection"
CLOSING = MAX_REPLACEMENTS + 1
"""Failed matches in one process that close its Ruleset for good."""


def fault_env(tmp_path: Path) -> tuple[dict[str, str], Path]:
    switch = tmp_path / "engine-faults"
    return {"PYTHONPATH": str(FAULTS), "CREDIT_POLICY_TEST_ENGINE_FAULTS": str(switch)}, switch


def inject(switch: Path, failures: int) -> None:
    """The next process to assert facts fails its next `failures` assertions (written atomically)."""
    part = switch.with_suffix(".part")
    part.write_text(str(failures))
    part.rename(switch)


def check_order(server: ServerProcess, index: int = 1) -> pb.OrderDecision:
    reply: pb.OrderDecision = server.stub().CheckOrder(order_request(sample_snapshot(index)), timeout=TIMEOUT)
    return reply


def fail_until_closed(server: ServerProcess, switch: Path) -> list[str]:
    """Inject the failures that close one process's engine and make the calls that meet them; each is
    answered INTERNAL (none hangs). Returns their messages."""
    inject(switch, CLOSING)
    stub = server.stub()
    messages = []
    for i in range(CLOSING):
        with pytest.raises(grpc.RpcError) as info:
            stub.CheckOrder(order_request(sample_snapshot(i)), timeout=TIMEOUT)
        assert info.value.code() == grpc.StatusCode.INTERNAL, info.value.details()
        messages.append(str(info.value.details()))
    return messages


def served_again(server: ServerProcess, timeout: float = 60.0) -> pb.OrderDecision:
    """The first good answer once the service has replaced what closed (calls meanwhile may fail)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check_order(server)
        except grpc.RpcError as exc:
            if time.monotonic() > deadline:
                raise AssertionError(f"no good answer within {timeout}s: {exc}\n{server.log_path.read_text()}") \
                    from None
            time.sleep(0.2)


def events(server: ServerProcess, name: str) -> list[dict[str, Any]]:
    return [e for e in server.events() if e.get("event") == name]


def test_a_worker_whose_engine_closed_exits_and_a_fresh_worker_takes_its_place(
        server_factory: Any, tmp_path: Path) -> None:
    env, switch = fault_env(tmp_path)
    server = server_factory(workers=1, env=env)
    before = check_order(server)

    messages = fail_until_closed(server, switch)

    assert "durable_rules failed during a match" in messages[0]
    replaced = server.wait_for_event("worker process replaced")
    assert replaced["exitcode"] == ENGINE_BROKEN_EXIT
    assert replaced["cause"] == "its rule engine closed after repeated failures"
    closed = events(server, "worker engine closed")
    assert len(closed) == 1 and closed[0]["reason"] == f"closed after {MAX_REPLACEMENTS} failed matches"
    after = served_again(server)
    assert after.outcome == before.outcome and after.customer.grade == before.customer.grade
    assert all(check_order(server, i).customer.policy_version == before.customer.policy_version for i in range(5))
    assert len(events(server, "worker process replaced")) == 1
    assert server.stop() == 0


def test_a_server_process_whose_engine_closed_stops_and_the_supervisor_starts_a_fresh_one(
        server_factory: Any, tmp_path: Path) -> None:
    env, switch = fault_env(tmp_path)
    server = server_factory(processes=1, env=env)
    before = check_order(server)
    first_pid = int(server.wait_for_event("process serving")["pid"])

    fail_until_closed(server, switch)

    closed = server.wait_for_event("engine closed")
    assert closed["pid"] == first_pid and closed["reason"] == f"closed after {MAX_REPLACEMENTS} failed matches"
    stopped = [e for e in events(server, "process stopped") if e.get("pid") == first_pid]
    died = server.wait_for_event("server process died")
    assert died["pid"] == first_pid and died["exitcode"] == ENGINE_BROKEN_EXIT
    assert died["cause"] == "its rule engine closed after repeated failures"
    replaced = server.wait_for_event("server process replaced")
    assert replaced["previous_pid"] == first_pid and replaced["pid"] != first_pid
    after = served_again(server)
    assert after.customer.grade == before.customer.grade
    assert stopped or server.wait_for_event("process stopped")  # drained, not killed
    assert server.stop() == 0


def test_a_single_in_process_server_whose_engine_closed_stops_with_exit_code_3(
        server_factory: Any, tmp_path: Path) -> None:
    env, switch = fault_env(tmp_path)
    server = server_factory(workers=0, env=env)
    check_order(server)

    fail_until_closed(server, switch)

    assert server.proc.wait(timeout=60) == ENGINE_BROKEN_EXIT
    log = server.log_path.read_text()
    assert "serve: stopped: the rule engine closed after 100 failed matches; restart the service" in log
    assert events(server, "engine closed") and events(server, "stopped")[0]["reason"].startswith("engine closed")
    assert not os.path.exists(switch)


def test_under_concurrent_load_only_the_calls_that_met_the_failures_fail(server_factory: Any, tmp_path: Path) -> None:
    """32 callers on 2 workers while one worker's engine fails and closes: the other worker serves on,
    the closed one is replaced, every call is answered (OK or INTERNAL, nothing else, nothing hangs),
    and only the closing worker's failures fail, with at most the calls already sent to it when it
    exited (PIPELINE_DEPTH: the pool sends it the next ones until it sees the pipe close)."""
    from concurrent.futures import ThreadPoolExecutor

    env, switch = fault_env(tmp_path)
    server = server_factory(workers=2, env=env)
    stub = server.stub()
    codes: dict[str, int] = {}
    stop_at = time.monotonic() + 8.0
    injected = False

    def caller(k: int) -> None:
        nonlocal injected
        i = k
        while time.monotonic() < stop_at:
            if k == 0 and not injected and time.monotonic() > stop_at - 6.0:
                inject(switch, CLOSING)
                injected = True
            try:
                stub.CheckOrder(order_request(sample_snapshot(i % 50)), timeout=TIMEOUT)
                code = "OK"
            except grpc.RpcError as exc:
                code = exc.code().name
            codes[code] = codes.get(code, 0) + 1
            i += 32

    with ThreadPoolExecutor(32) as pool:
        list(pool.map(caller, range(32)))

    replaced = server.wait_for_event("worker process replaced")
    assert replaced["exitcode"] == ENGINE_BROKEN_EXIT
    assert set(codes) <= {"OK", "INTERNAL"}, codes
    assert CLOSING <= codes.get("INTERNAL", 0) <= CLOSING + PIPELINE_DEPTH, codes
    assert codes["OK"] > 500, codes
    assert all(check_order(server, i).customer.policy_version for i in range(4))
    assert server.stop() == 0
