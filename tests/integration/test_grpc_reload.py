# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""Hot reload and signals on a real `credit-policy serve` process."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import pytest

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from tests.integration.conftest_grpc import (
    ROOT,
    TIMEOUT,
    ServerProcess,
    copy_rules,
    order_request,
    sample_snapshot,
    server_factory,  # noqa: F401  (fixtures: pytest finds them by name)
    start_server_process,
)

BROKEN_YAML = "rules:\n  - id: [unclosed\n    when: {\n"


def a_rule_file(rules_dir: Path) -> Path:
    """Some rule file of the served set."""
    return sorted(p for p in rules_dir.rglob("*.y*ml") if "tests" not in p.parts)[0]


def wait_until(predicate: Any, timeout: float = 60.0) -> None:
    """Poll until predicate() is true."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_a_good_change_is_swapped_in_and_a_broken_one_refused_while_the_old_version_serves(
    server_factory: Any,
) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0.2")
    stub = server.stub()
    first = server.version()
    rule_file = a_rule_file(server.rules_dir)
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{server.metrics_port}/metrics", timeout=5).read().decode()
    # both series from the start, so that the first failure is an increase a rate() alert sees
    assert 'credit_policy_reloads_total{result="success"} 0.0' in metrics
    assert 'credit_policy_reloads_total{result="failure"} 0.0' in metrics

    rule_file.write_text(rule_file.read_text() + "\n# reviewed by risk staff\n")
    wait_until(lambda: server.version() != first)
    second = server.version()
    assert stub.CheckOrder(order_request(), timeout=TIMEOUT).policy_version == second

    broken = server.rules_dir / "zz_broken.yaml"
    broken.write_text(BROKEN_YAML)
    wait_until(lambda: stub.GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT).HasField("last_refused"))
    info = stub.GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT)

    assert info.version == second
    assert info.rules_dir_state == "REFUSED"
    assert any(p.path.endswith("zz_broken.yaml") and p.line > 0 for p in info.last_refused.problems)
    assert stub.CheckOrder(order_request(), timeout=TIMEOUT).policy_version == second
    refused = server.wait_for_event("policy reload refused")
    assert any("zz_broken.yaml:" in problem for problem in refused["problems"])
    assert "credit_policy_rules_dir_refused 1.0" in server_metrics(server)

    broken.unlink()
    rule_file.write_text(rule_file.read_text() + "# and again\n")
    wait_until(lambda: server.version() not in (first, second))
    metrics = server_metrics(server)
    assert 'credit_policy_reloads_total{result="success"} 2.0' in metrics
    assert 'credit_policy_reloads_total{result="failure"} 1.0' in metrics
    assert "credit_policy_rules_dir_refused 0.0" in metrics
    assert stub.GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT).rules_dir_state == "SERVED"


def test_get_policy_describes_the_rules_of_the_version_a_reload_swapped_in(server_factory: Any) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0.2")
    stub = server.stub()
    first = server.version()
    warnings = server.rules_dir / "warnings.yaml"
    text = warnings.read_text()
    assert "en: Pays later than the terms}" in text

    warnings.write_text("# moved down a line\n" + text.replace("en: Pays later than the terms}", "en: Pays late}"))
    wait_until(lambda: server.version() != first)
    late = next(r for r in stub.GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT).rules if r.id == "warn.pays_late")

    assert late.title_en == "Pays late"
    assert "id: warn.pays_late" in warnings.read_text().splitlines()[late.line - 1]


def server_metrics(server: ServerProcess) -> str:
    """The service's metrics page."""
    return urllib.request.urlopen(f"http://127.0.0.1:{server.metrics_port}/metrics", timeout=5).read().decode()


def test_a_broken_file_taken_back_leaves_the_directory_served_and_the_refusal_as_history(
    server_factory: Any,
) -> None:
    """Risk staff drop a broken file in and take it out again: the directory is back to the served
    version, which GetPolicy and the gauge say, while last_refused keeps what happened."""
    server: ServerProcess = server_factory("--watch-interval", "0.2")
    stub = server.stub()
    first = server.version()
    info = stub.GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT)
    assert (info.rules_dir_state, info.HasField("last_refused")) == ("SERVED", False)
    assert "credit_policy_rules_dir_refused 0.0" in server_metrics(server)

    broken = server.rules_dir / "zz_broken.yaml"
    broken.write_text(BROKEN_YAML)
    wait_until(lambda: stub.GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT).rules_dir_state == "REFUSED")
    assert "credit_policy_rules_dir_refused 1.0" in server_metrics(server)

    broken.unlink()
    wait_until(lambda: stub.GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT).rules_dir_state == "SERVED")
    info = stub.GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT)
    assert info.version == first
    assert any(p.path.endswith("zz_broken.yaml") for p in info.last_refused.problems)
    assert "credit_policy_rules_dir_refused 0.0" in server_metrics(server)
    unchanged = server.wait_for_event("policy unchanged")
    assert (unchanged["version"], unchanged["was"]) == (first, "refused")


def test_serve_refuses_to_start_on_a_broken_rules_directory_naming_file_and_line(tmp_path: Path) -> None:
    rules = copy_rules(tmp_path / "rules")
    (rules / "zz_broken.yaml").write_text(BROKEN_YAML)

    command = [sys.executable, "-c", "from policy_engine.cli import main; main()", "serve", "--rules", str(rules),
               "--db", "memory"]
    result = subprocess.run([*command, "--port", "0"], capture_output=True, text=True, timeout=120, cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))

    assert result.returncode == 1
    assert "zz_broken.yaml:" in result.stderr


AA_LIMIT = "limit: {months_of_purchases: 3.5, share_of_net_worth: 0.25, floor: 80000}"
AA_LIMIT_CUT = "limit: {months_of_purchases: 3.2, share_of_net_worth: 0.25, floor: 80000}"
CASE_FILE = "tests/grades_and_limits.yaml"


def cut_the_aa_limit(rules: Path) -> None:
    """A change risk staff might make that breaks a shipped case: the steady AA customer's limit
    (3.5 months of purchases, 350,000) becomes 3.2 months, 320,000; the case still expects 350,000."""
    limits = rules / "limits.yaml"
    assert AA_LIMIT in limits.read_text()
    limits.write_text(limits.read_text().replace(AA_LIMIT, AA_LIMIT_CUT))


def test_with_rule_tests_a_change_that_fails_the_cases_is_refused_and_the_old_version_serves(
    server_factory: Any,
) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0.2", "--rule-tests")
    stub = server.stub()
    first = server.version()

    cut_the_aa_limit(server.rules_dir)
    wait_until(lambda: stub.GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT).HasField("last_refused"))
    info = stub.GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT)

    assert info.version == first
    problems = list(info.last_refused.problems)
    assert problems and {p.code for p in problems} == {"rule_test_failed"}
    [steady] = [p for p in problems if "steady_large_distributor_is_class_a" in p.message]
    assert (steady.path.endswith(CASE_FILE), steady.line > 1) == (True, True)
    assert steady.message.startswith("case steady_large_distributor_is_class_a: credit_limit: expected 350000.00, got "
                                     "320000.00 (set by limit.aa at ")
    assert stub.CheckOrder(order_request(), timeout=TIMEOUT).policy_version == first
    refused = server.wait_for_event("policy reload refused")
    assert any(f"{CASE_FILE}:" in p and "rule_test_failed" in p for p in refused["problems"])

    limits = server.rules_dir / "limits.yaml"  # put back, with a change the cases agree with
    limits.write_text(limits.read_text().replace(AA_LIMIT_CUT, AA_LIMIT) + "# reviewed by risk staff\n")
    wait_until(lambda: server.version() != first)
    assert stub.CheckOrder(order_request(), timeout=TIMEOUT).policy_version == server.version()


def test_by_default_a_change_that_breaks_the_cases_is_still_a_good_rule_set(server_factory: Any) -> None:
    """Without --rule-tests a rule set is refused only for problems in its rule files: changing a
    number the cases pin is a good change and is served."""
    server: ServerProcess = server_factory("--watch-interval", "0.2")
    first = server.version()

    cut_the_aa_limit(server.rules_dir)

    wait_until(lambda: server.version() != first)
    assert not server.stub().GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT).HasField("last_refused")


@pytest.mark.parametrize("model", [[], ["--processes", "2"]], ids=["worker-pool", "processes"])
def test_serve_with_rule_tests_refuses_to_start_on_rules_that_fail_their_own_cases_and_without_starts(
    tmp_path: Path, model: list[str]
) -> None:
    rules = copy_rules(tmp_path / "rules")
    cut_the_aa_limit(rules)
    command = [sys.executable, "-c", "from policy_engine.cli import main; main()", "serve", "--rules", str(rules),
               "--db", "memory", "--port", "0", "--rule-tests", *model]

    result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))

    assert result.returncode == 1, result.stderr[-2000:]
    assert f"{CASE_FILE}:" in result.stderr and "rule_test_failed" in result.stderr
    assert "steady_large_distributor_is_class_a" in result.stderr

    server = start_server_process(rules, tmp_path / "untested.log", workers=0,
                                  processes=2 if model else None)
    try:
        assert server.stub().CheckOrder(order_request(), timeout=TIMEOUT).policy_version == server.version()
    finally:
        server.stop()


def test_sighup_reloads_when_the_directory_is_not_watched(server_factory: Any) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0")
    first = server.version()
    rule_file = a_rule_file(server.rules_dir)
    rule_file.write_text(rule_file.read_text() + "\n# changed without a watcher\n")
    time.sleep(1.0)
    assert server.version() == first

    server.proc.send_signal(signal.SIGHUP)

    wait_until(lambda: server.version() != first)


def sighup_reloads(server: ServerProcess) -> list[dict[str, Any]]:
    """The reloads SIGHUP asked for so far: taken, unchanged or refused."""
    return [e for e in server.events() if e.get("trigger") == "SIGHUP"
            and e.get("event") in ("policy reloaded", "policy unchanged", "policy reload refused")]


def test_a_burst_of_sighups_is_one_reload_and_one_more_after_it(server_factory: Any) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0", "--rule-tests")
    first = server.version()
    for _ in range(30):
        server.proc.send_signal(signal.SIGHUP)
        time.sleep(0.01)
    wait_until(lambda: len(sighup_reloads(server)) >= 1)
    assert server.version() == first
    rule_file = a_rule_file(server.rules_dir)
    rule_file.write_text(rule_file.read_text() + "\n# after the burst\n")
    server.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: any(e["event"] == "policy reloaded" for e in sighup_reloads(server)))
    assert server.version() != first

    # Reloads run one after another, so every one the burst queued came before the one that took the change:
    # no fixed wait is needed for them to show. The burst gave one or two; the last SIGHUP one more, unless it
    # was folded into the burst's second (which then read the change).
    done = sighup_reloads(server)
    assert 2 <= len(done) <= 3, done
    assert [e["event"] for e in done] == ["policy unchanged"] * (len(done) - 1) + ["policy reloaded"], done


def test_a_sighup_while_the_service_starts_is_a_reload_once_it_serves(tmp_path: Path) -> None:
    from bench.bench_grpc_load import _children

    rules = copy_rules(tmp_path / "rules")
    cmd = [sys.executable, "-c", "from policy_engine.cli import main; main()", "serve", "--rules", str(rules),
           "--port", "0", "--host", "127.0.0.1", "--workers", "2", "--db", "memory", "--watch-interval", "0"]
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                env=dict(os.environ, PYTHONPATH=str(ROOT)))
    server = ServerProcess(proc, log_path, rules)
    try:
        wait_until(lambda: len(_children(proc.pid)) >= 2 or proc.poll() is not None)  # workers compiling
        proc.send_signal(signal.SIGHUP)
        serving = server.wait_for_event("serving", timeout=120)
        server.port = int(serving["port"])
        wait_until(lambda: len(sighup_reloads(server)) == 1)
        assert sighup_reloads(server)[0]["event"] == "policy unchanged"
        assert server.stub().CheckOrder(order_request(), timeout=TIMEOUT).policy_version == serving["version"]
        assert "Traceback" not in log_path.read_text()
    finally:
        assert server.stop() == 0, log_path.read_text()


def test_calls_in_flight_during_a_reload_all_succeed(server_factory: Any) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0.2")
    stub = server.stub()
    first = server.version()
    rule_file = a_rule_file(server.rules_dir)
    versions: list[str] = []
    stop_at = time.time() + 60

    def caller(k: int) -> None:
        while time.time() < stop_at and len(set(versions)) < 2:
            versions.append(stub.CheckOrder(order_request(sample_snapshot(k)), timeout=TIMEOUT).policy_version)

    with ThreadPoolExecutor(8) as pool:
        calls = [pool.submit(caller, k) for k in range(8)]
        time.sleep(0.5)
        rule_file.write_text(rule_file.read_text() + "\n# swap under load\n")
        for call in calls:
            call.result()  # re-raises any failed call

    assert versions[0] == first
    assert len(set(versions)) == 2


def test_sigterm_ends_the_open_stream_saying_where_it_stopped_then_exits_cleanly(server_factory: Any) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0")
    outbox: queue.Queue[pb.EvaluateCustomerRequest | None] = queue.Queue()
    responses = server.stub().EvaluateCustomers(iter(outbox.get, None), timeout=60)
    outbox.put(pb.EvaluateCustomerRequest(snapshot=sample_snapshot(1), request_id="before"))
    assert next(responses).request_id == "before"

    server.proc.send_signal(signal.SIGTERM)
    server.wait_for_event("stopping")
    outbox.put(pb.EvaluateCustomerRequest(snapshot=sample_snapshot(2), request_id="during"))
    with pytest.raises(grpc.RpcError) as ended:
        next(responses)  # not taken: before, the stream was served through the grace
    outbox.put(None)

    assert ended.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "before index 1 are answered" in ended.value.details()
    with pytest.raises(grpc.RpcError):
        server.stub().CheckOrder(order_request(), timeout=2)
    assert server.proc.wait(timeout=30) == 0
    server.wait_for_event("stopped")
