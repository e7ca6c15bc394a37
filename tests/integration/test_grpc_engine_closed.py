"""A rule engine that repeated failures closed for good is replaced, whatever the concurrency model.

After MAX_REPLACEMENTS failed matches a process's Ruleset is closed: every later call there would be
INTERNAL, and the engine rulesets the failures abandoned stay allocated until the process ends. The
failures are real failures of the durable_rules core's assert call, injected in the served processes
by tests/fault_injection/sitecustomize.py; everything after that is the service's own handling.
"""

from __future__ import annotations

import ast
import json
import os
import re
import time
from pathlib import Path
from typing import Any

import grpc
import pytest

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.grpc.runtime import ENGINE_BROKEN_EXIT
from policy_engine.engine import MAX_REPLACEMENTS
from tests.integration.conftest_grpc import ROOT, TIMEOUT, ServerProcess, order_request, sample_snapshot
from tests.integration.conftest_grpc import server_factory as server_factory  # a fixture: pytest finds it by name
from tests.integration.test_readme_client import fenced, readme_section

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


def hammer(server: ServerProcess, switch: Path, seconds: float = 8.0,
           options: list[tuple[str, Any]] | None = None) -> dict[str, int]:
    """32 callers for `seconds` (on one channel with `options`); 2 s in, one process's next CLOSING
    engine calls fail. The codes."""
    from concurrent.futures import ThreadPoolExecutor

    stub = server.stub(options)
    codes: dict[str, int] = {}
    stop_at = time.monotonic() + seconds
    injected = False

    def caller(k: int) -> None:
        nonlocal injected
        i = k
        while time.monotonic() < stop_at:
            if k == 0 and not injected and time.monotonic() > stop_at - seconds + 2.0:
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
    return codes


def test_under_concurrent_load_only_the_calls_that_met_the_failures_fail(server_factory: Any, tmp_path: Path) -> None:
    """32 callers on 2 workers while one worker's engine fails and closes: the other worker serves on,
    the closed one is replaced, every call is answered, and exactly the calls that met the failures
    fail (INTERNAL): the requests already sent to the closing worker behind its last one (up to
    one, as the pool holds at most two a worker, and those sent until the pool read its closing word) go to another."""
    env, switch = fault_env(tmp_path)
    server = server_factory(workers=2, env=env)

    codes = hammer(server, switch)

    replaced = server.wait_for_event("worker process replaced")
    assert replaced["exitcode"] == ENGINE_BROKEN_EXIT
    assert codes.get("INTERNAL") == CLOSING and set(codes) == {"OK", "INTERNAL"}, codes
    assert codes["OK"] > 500, codes
    assert all(check_order(server, i).customer.policy_version for i in range(4))
    assert server.stop() == 0


def test_under_concurrent_load_a_closing_server_process_answers_the_calls_after_unavailable(
        server_factory: Any, tmp_path: Path) -> None:
    """32 callers on one server process (the in-process model) while its engine fails and closes: the
    calls that met the failures are INTERNAL; the calls it had taken and not yet decided when it closed
    meet a closed engine and are UNAVAILABLE (nothing was decided: a client may retry), as are the calls
    made while the supervisor starts a fresh process, and it serves again. The one other answer is
    gRPC's own: a call its core had received and the server had not yet started when the process
    stops is CANCELLED by the core (grpc/grpc#41785; any stop under load does this, docs/service.md,
    Operations), at most one per caller."""
    env, switch = fault_env(tmp_path)
    server = server_factory(processes=1, env=env)

    codes = hammer(server, switch)

    assert server.wait_for_event("server process replaced")
    assert codes.get("INTERNAL") == CLOSING, codes
    assert set(codes) - {"CANCELLED"} == {"OK", "INTERNAL", "UNAVAILABLE"} and codes.get("CANCELLED", 0) <= 32, codes
    met = events(server, "call met a closed engine")  # usually one or two (the core holds the rest)
    assert all(e["error"] == f"ruleset is closed after {MAX_REPLACEMENTS} failed matches" for e in met)
    assert served_again(server).customer.policy_version
    assert server.stop() == 0


def readme_retry_options() -> list[tuple[str, Any]]:
    """The channel options of the README's Python client: its retry policy (RETRY), as written there."""
    block = fenced(readme_section(), "python")[0]
    found = re.search(r"^RETRY = (\{.*?\}\]\})$", block, re.S | re.M)  # up to the first line that ends "}]}"
    assert found, "the README's client has no RETRY policy"
    return [("grpc.service_config", json.dumps(ast.literal_eval(found.group(1))))]


def test_a_client_with_the_readmes_retry_policy_sees_only_the_failures_when_one_of_two_processes_closes(
        server_factory: Any, tmp_path: Path) -> None:
    """`--processes 2`, 32 callers on the README client's channel options, one process's engine fails
    and closes: the calls it had taken but not decided (UNAVAILABLE) and those gRPC's core cancelled
    as it stopped (CANCELLED) are retried by the client and answered by the other process or the
    fresh one, so the callers see nothing but OK and the 101 calls that met the failures."""
    env, switch = fault_env(tmp_path)
    server = server_factory(processes=2, env=env)

    codes = hammer(server, switch, options=readme_retry_options())

    assert server.wait_for_event("server process replaced")
    assert codes.get("INTERNAL") == CLOSING and set(codes) == {"OK", "INTERNAL"}, codes
    assert server.stop() == 0
