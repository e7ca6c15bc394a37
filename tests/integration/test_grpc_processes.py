# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""`credit-policy serve --processes N`: N server processes sharing the port (SO_REUSEPORT) under a
supervisor, each a real subprocess on port 0."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2_grpc as pb_grpc
from policy_engine.build import build_id
from policy_engine.domain.models import CustomerSnapshot
from tests.integration.conftest_grpc import (
    ROOT,
    TIMEOUT,
    ServerProcess,
    copy_rules,
    order_request,
    sample_dict,
    sample_snapshot,
    server_factory,  # noqa: F401  (fixtures: pytest finds them by name)
    socket_inodes,
    start_server_process,
    tcp_connections,
)
from tests.integration.test_grpc_tls import _stub as tls_stub
from tests.integration.test_grpc_tls import pki  # noqa: F401  (a fixture)

SERVICE = "credit_policy.v1.CreditPolicyService"
BROKEN_YAML = "rules:\n  - id: [unclosed\n    when: {\n"


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """`serve --processes 2` for the module: the shipped rules, metrics on, rules dir not watched."""
    tmp = tmp_path_factory.mktemp("grpc-processes")
    server = start_server_process(copy_rules(tmp / "rules"), tmp / "server.log", "--watch-interval", "0",
                                  processes=2)
    yield server
    assert server.stop() == 0, server.log_path.read_text()


def pids_of(server: ServerProcess) -> list[int]:
    """The server processes' pids, from the `serving` event."""
    return [int(pid) for pid in server.wait_for_event("serving")["pids"]]


def new_connection(server: ServerProcess) -> grpc.Channel:
    """A channel on a TCP connection of its own (channels otherwise share one), closed at teardown."""
    channel = grpc.insecure_channel(server.address, options=[("grpc.use_local_subchannel_pool", 1)])
    server._channels.append(channel)
    return channel


def connections_by_process(server: ServerProcess, pids: list[int]) -> dict[int, int]:
    """How many established connections on the server port each server process holds."""
    accepted = {c["inode"] for c in tcp_connections(server.port) if c["local_port"] == server.port}
    return {pid: len(socket_inodes(pid) & accepted) for pid in pids}


def metrics_text(server: ServerProcess) -> str:
    """The supervisor's /metrics page."""
    return urllib.request.urlopen(f"http://127.0.0.1:{server.metrics_port}/metrics", timeout=5).read().decode()


def metric(text: str, series: str) -> float:
    """The value of one series (0 when absent)."""
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def reloads_by_process(text: str, result: str) -> dict[str, float]:
    """credit_policy_reloads_total for one result, by the `process` label (the supervisor's slot)."""
    out = {}
    for labels, value in re.findall(r"^credit_policy_reloads_total\{([^}]*)\} (\S+)$", text, re.MULTILINE):
        pairs = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        if pairs.get("result") == result:
            out[pairs["process"]] = float(value)
    return out


def events_named(server: ServerProcess, name: str, **fields: Any) -> list[dict[str, Any]]:
    """Log events called `name` whose fields match."""
    return [e for e in server.events() if e.get("event") == name and all(e.get(k) == v for k, v in fields.items())]


def wait_until(predicate: Any, timeout: float = 30.0) -> None:
    """Poll until predicate() is true."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def versions_over_connections(server: ServerProcess, connections: int = 8) -> set[str]:
    """GetPolicy's version over several fresh connections (so from both processes, most likely)."""
    return {pb_grpc.CreditPolicyServiceStub(new_connection(server)).GetPolicy(pb.GetPolicyRequest(),
                                                                               timeout=TIMEOUT).version
            for _ in range(connections)}


def a_rule_file(rules_dir: Path) -> Path:
    """Some rule file of the served set."""
    return sorted(p for p in rules_dir.rglob("*.y*ml") if "tests" not in p.parts)[0]


def serve_command(*args: str) -> subprocess.CompletedProcess[str]:
    """`credit-policy serve …` run to its end."""
    command = [sys.executable, "-c", "from policy_engine.cli import main; main()", "serve", "--db", "memory", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))


# ---- serving ----


def test_one_serving_event_once_both_processes_serve_on_the_port_it_names(two_processes: ServerProcess) -> None:
    events = two_processes.events()
    serving = [e for e in events if e.get("event") == "serving"]
    process_serving = [e for e in events if e.get("event") == "process serving"]

    assert len(serving) == 1 and serving[0]["processes"] == 2 and serving[0]["port"] > 0
    assert sorted(e["pid"] for e in process_serving) == sorted(pids_of(two_processes))
    assert {e["port"] for e in process_serving} == {two_processes.port}
    assert events.index(serving[0]) > max(events.index(e) for e in process_serving)
    assert serving[0]["version"] == two_processes.version()
    assert {e["event_loop"] for e in process_serving} == {"uvloop"}  # the default where uvloop is installed
    assert all(e["python"].startswith("CPython 3.1") for e in process_serving)
    assert {e["build"] for e in [*serving, *process_serving]} == {build_id()}


def test_connections_are_spread_over_both_processes_and_every_call_succeeds(two_processes: ServerProcess) -> None:
    pids = pids_of(two_processes)
    before = metric(metrics_text(two_processes), 'credit_policy_grpc_requests_total{code="OK",method="CheckOrder"}')
    calls = 0
    for k in range(64):  # the kernel hashes each connection to a process: open until both have some
        stub = pb_grpc.CreditPolicyServiceStub(new_connection(two_processes))
        reply = stub.CheckOrder(order_request(sample_snapshot(k + 1)), timeout=TIMEOUT)
        assert reply.outcome and reply.policy_version
        calls += 1
        if k >= 3 and all(connections_by_process(two_processes, pids).values()):
            break

    assert all(connections_by_process(two_processes, pids).values()), connections_by_process(two_processes, pids)
    text = metrics_text(two_processes)  # one endpoint, both processes' counts
    after = metric(text, 'credit_policy_grpc_requests_total{code="OK",method="CheckOrder"}')
    assert after - before == calls
    assert metric(text, f'credit_policy_policy_info{{version="{two_processes.version()}"}}') == 1.0
    assert text.count("credit_policy_policy_info{") == 1
    assert "credit_policy_grpc_request_seconds_bucket" in text and "credit_policy_decisions_total{" in text


def test_health_is_serving_on_every_process(two_processes: ServerProcess) -> None:
    for _ in range(6):
        health = health_pb2_grpc.HealthStub(new_connection(two_processes))
        for name in ("", SERVICE):
            reply = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=TIMEOUT)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_a_second_server_on_the_same_port_is_refused(two_processes: ServerProcess) -> None:
    result = serve_command("--processes", "2", "--host", "127.0.0.1", "--port", str(two_processes.port))

    assert result.returncode == 1
    assert "already in use" in result.stderr


# ---- flags and a broken start ----


@pytest.mark.parametrize("flags, message", [
    (["--processes", "2", "--workers", "2"], "--processes"),
    (["--processes", "0"], "at least 1"),
    (["--event-loop", "tokio"], "unknown event loop 'tokio'"),
    # out of range: each used to be taken (a port past 65535 even bound some other port) or to crash
    (["--port", "99999"], "--port"),
    (["--metrics-port", "70000"], "--metrics-port"),
    (["--workers", "500"], "at most"),
    (["--processes", "500"], "at most"),
    (["--watch-interval", "-1"], "--watch-interval: -1 is not between 0 and 86400 seconds"),
    (["--watch-interval", "nan"], "--watch-interval: not a number of seconds: nan"),
    (["--grace", "-5"], "--grace: -5 is not between 0 and 86400 seconds"),
    (["--grace", "nan"], "--grace: not a number of seconds: nan"),
    (["--grace", "inf"], "--grace: inf is not between 0 and 86400 seconds"),
    (["--keepalive", "0.5"], "--keepalive: 0.5 is less than 1 second (or 0: gRPC's own two hours)"),
    (["--keepalive", "nan"], "--keepalive: not a number of seconds: nan"),
    (["--keepalive-timeout", "0"], "--keepalive-timeout: 0 is less than 1 second"),
    (["--keepalive-timeout", "1e9"], "--keepalive-timeout: 1e+09 is not between 0 and 86400 seconds"),
    (["--log-level", "LOUD"], "--log-level"),
    # TLS files are checked before anything starts (gRPC would only fail to add the port)
    (["--tls-cert", "missing.pem", "--tls-key", "missing.key"], "missing.pem: no such file"),
    # a directory (a mounted secret's folder instead of its file) was said to be "no such file"
    (["--tls-cert", "rules", "--tls-key", "rules"], "--tls-cert: rules: a directory, not a file"),
    (["--tls-cert", "README.md", "--tls-key", "README.md"], "not a PEM certificate and its private key"),
    # a device was said to be "no such file" too
    (["--tls-cert", "/dev/zero", "--tls-key", "README.md"], "--tls-cert: /dev/zero: not a regular file"),
])
def test_bad_flag_combinations_are_refused(flags: list[str], message: str) -> None:
    result = serve_command("--port", "0", *flags)

    assert result.returncode == 2
    assert message in " ".join(result.stderr.replace("│", " ").split())  # the error box wraps long lines


@pytest.mark.parametrize("model", [[], ["--workers", "0"], ["--processes", "2"]])
def test_a_port_in_use_is_refused_with_its_address_and_the_command_ends(model: list[str]) -> None:
    """It used to print gRPC's RuntimeError (or the metrics server's OSError) as a traceback, with
    the engine workers already spawned, and then hang instead of exiting."""
    import socket

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        taken = str(held.getsockname()[1])

        grpc_port = serve_command("--host", "127.0.0.1", "--port", taken, *model)
        assert grpc_port.returncode == 1, grpc_port.stderr
        assert f"cannot listen on 127.0.0.1:{taken}: Address already in use" in grpc_port.stderr
        assert "Traceback" not in grpc_port.stderr
        assert "add_port.cc" not in grpc_port.stderr  # gRPC core's own line, which first read as a crash

        metrics = serve_command("--host", "127.0.0.1", "--port", "0", "--metrics-port", taken, *model)
        assert metrics.returncode == 1, metrics.stderr
        assert f"cannot serve metrics on 127.0.0.1:{taken}" in metrics.stderr  # the host given, not 0.0.0.0
        assert "Traceback" not in metrics.stderr


def test_a_broken_rules_directory_stops_the_start_naming_file_and_line_once(tmp_path: Path) -> None:
    rules = copy_rules(tmp_path / "rules")
    (rules / "zz_broken.yaml").write_text(BROKEN_YAML)

    result = serve_command("--rules", str(rules), "--port", "0", "--processes", "2")

    assert result.returncode == 1
    problems = [line for line in result.stderr.splitlines() if "zz_broken.yaml:" in line]
    assert problems and len(problems) == len(set(problems))  # reported by the supervisor, once
    assert '"event": "serving"' not in result.stderr


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_mutual_tls_reaches_every_process(server_factory: Any, pki: Path) -> None:
    server: ServerProcess = server_factory("--tls-cert", str(pki / "server.pem"), "--tls-key", str(pki / "server.key"),
                                           "--tls-client-ca", str(pki / "ca.pem"), processes=2)
    serving = server.wait_for_event("serving")

    for _ in range(6):  # fresh channels: fresh connections, to either process
        assert tls_stub(server.port, pki, client_cert=True).CheckOrder(order_request(), timeout=TIMEOUT).outcome
        with pytest.raises(grpc.RpcError) as refused:
            tls_stub(server.port, pki, client_cert=False).CheckOrder(order_request(), timeout=3)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    assert serving["tls"] is True and serving["mutual_tls"] is True


def test_a_sql_store_is_migrated_by_the_supervisor_and_used_by_every_process(
    server_factory: Any, tmp_path: Path
) -> None:
    store_module = pytest.importorskip("adapters.store")
    url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"  # no schema yet
    server: ServerProcess = server_factory("--db", url, "--create-store", "--watch-interval", "0", processes=2)
    store = store_module.open_store(url, upgrade=False)
    store.save_snapshot(CustomerSnapshot.model_validate(sample_dict(1)))
    store.close()
    pids = pids_of(server)

    versions = set()
    for _ in range(32):
        stub = pb_grpc.CreditPolicyServiceStub(new_connection(server))
        versions.add(stub.CheckOrder(order_request(customer_id="C00001"), timeout=TIMEOUT).policy_version)
        if all(connections_by_process(server, pids).values()):
            break
    calls = len(server._channels)
    assert all(connections_by_process(server, pids).values())
    assert server.stop() == 0  # each process flushes its audit log

    store = store_module.open_store(url)
    logged = store.history("C00001")
    assert len(logged) == calls and {(d.source, d.policy_version) for d in logged} == {("service", *versions)}
    assert store.policy_files(versions.pop())
    store.close()


# ---- reload ----


def test_sighup_reaches_every_process_and_a_broken_rule_set_is_refused_by_each(server_factory: Any) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0", processes=2)
    pids = pids_of(server)
    first = server.version()
    rule_file = a_rule_file(server.rules_dir)

    rule_file.write_text(rule_file.read_text() + "\n# reviewed by risk staff\n")
    server.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: {e["pid"] for e in events_named(server, "policy reloaded", previous=first)} == set(pids))
    second = events_named(server, "policy reloaded")[0]["version"]
    assert second != first and versions_over_connections(server) == {second}

    (server.rules_dir / "zz_broken.yaml").write_text(BROKEN_YAML)
    server.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: {e["pid"] for e in events_named(server, "policy reload refused")} == set(pids))

    assert versions_over_connections(server) == {second}
    for _ in range(4):
        stub = pb_grpc.CreditPolicyServiceStub(new_connection(server))
        info = stub.GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT)
        assert any(p.path.endswith("zz_broken.yaml") and p.line > 0 for p in info.last_refused.problems)
        assert [r.id for r in info.rules] == list(info.rule_ids) and all(r.file and r.line for r in info.rules)
        assert stub.CheckOrder(order_request(), timeout=TIMEOUT).policy_version == second
    text = metrics_text(server)
    # one reload and one refusal per process, each in its own series: none summed over the processes
    assert reloads_by_process(text, "success") == {"0": 1.0, "1": 1.0}
    assert reloads_by_process(text, "failure") == {"0": 1.0, "1": 1.0}
    # no reload under way in either process: a series each, at 0 once each has copied its gauges (every 0.5 s
    # under --processes: the copy taken while a reload ran may still be the one scraped just after it)
    idle = r'^credit_policy_reload_in_progress_seconds\{process="(\d)"\} 0\.0$'
    wait_until(lambda: sorted(re.findall(idle, metrics_text(server), re.MULTILINE)) == ["0", "1"])
    assert metric(text, f'credit_policy_policy_info{{version="{second}"}}') == 1.0
    assert f'version="{first}"' not in text


def test_every_process_watches_the_rules_directory(server_factory: Any) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0.2", processes=2)
    pids = pids_of(server)
    first = server.version()
    rule_file = a_rule_file(server.rules_dir)

    rule_file.write_text(rule_file.read_text() + "\n# changed on disk\n")

    wait_until(lambda: {e["pid"] for e in events_named(server, "policy reloaded", trigger="watch")} == set(pids))
    assert first not in versions_over_connections(server)


def test_a_rule_set_bigger_than_the_pipe_holds_reaches_the_supervisor_whole(tmp_path: Path) -> None:
    """Each process sends the rule files it loaded to the supervisor over its pipe. uvloop (the
    default loop) made that pipe non-blocking, and a rule set bigger than the socket's buffer failed
    half-way with BlockingIOError: the service did not start. ~0.9 MB of rules: starts, reloads on
    SIGHUP, and a replacement process gets the same files."""
    rules = copy_rules(tmp_path / "rules")
    rule_file = a_rule_file(rules)
    padding = "".join(f"# note {i:05d}: {'reviewed by risk staff ' * 3}\n" for i in range(12_000))
    rule_file.write_text(rule_file.read_text() + padding)
    server = start_server_process(rules, tmp_path / "server.log", "--watch-interval", "0", processes=2)
    try:
        pids = pids_of(server)
        first = server.version()
        rule_file.write_text(rule_file.read_text() + "# and once more\n")
        server.proc.send_signal(signal.SIGHUP)
        # each process reads and compiles the ~0.9 MB again: 27 s here alone, over 30 s with both cores busy
        wait_until(lambda: {e["pid"] for e in events_named(server, "policy reloaded", previous=first)} == set(pids),
                   timeout=120)
        second = events_named(server, "policy reloaded")[0]["version"]
        os.kill(pids[0], signal.SIGKILL)
        replaced = server.wait_for_event("server process replaced", timeout=60)
        assert replaced["version"] == second
        assert versions_over_connections(server) == {second}
        assert not events_named(server, "process failed")
        assert not events_named(server, "server process message unreadable")
    finally:
        assert server.stop() == 0, server.log_path.read_text()


def test_processes_start_on_a_port_that_a_server_just_left(tmp_path: Path) -> None:
    """A stopped server leaves its side of the connections in TIME_WAIT for about a minute; gRPC's
    listeners bind over that (SO_REUSEADDR), and so must the supervisor's own hold on the port."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    first = start_server_process(copy_rules(tmp_path / "rules"), tmp_path / "first.log", "--port", str(port))
    assert first.stub().CheckOrder(order_request(), timeout=TIMEOUT).outcome
    # A client that does not speak HTTP/2: the server closes that connection first, so its side of it
    # waits in TIME_WAIT.
    with socket.create_connection(("127.0.0.1", port), timeout=5) as talker:
        talker.sendall(b"GET / HTTP/1.1\r\n\r\n")
        while talker.recv(4096):
            pass
    assert first.stop() == 0
    waiting = [c for c in tcp_connections(port, "06") if c["local_port"] == port]  # 06: TIME_WAIT
    assert waiting, "the premise: the stopped server's connections wait in TIME_WAIT"
    second = start_server_process(tmp_path / "rules", tmp_path / "second.log", "--port", str(port), processes=2)
    try:
        assert second.port == port
        assert second.stub().CheckOrder(order_request(), timeout=TIMEOUT).outcome
    finally:
        assert second.stop() == 0, second.log_path.read_text()


# ---- a process dies ----


def test_a_killed_process_is_replaced_and_the_service_carries_on(server_factory: Any) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0", processes=2)
    pids = pids_of(server)
    stub = pb_grpc.CreditPolicyServiceStub(new_connection(server))
    stub.CheckOrder(order_request(), timeout=TIMEOUT)
    counted = metric(metrics_text(server), 'credit_policy_grpc_requests_total{code="OK",method="CheckOrder"}')

    os.kill(pids[0], signal.SIGKILL)

    died = server.wait_for_event("server process died", timeout=30)
    replaced = server.wait_for_event("server process replaced", timeout=60)
    assert died["level"] == "error" and died["pid"] == pids[0] and died["exitcode"] == -signal.SIGKILL
    assert died["cause"] == "killed by SIGKILL"
    assert replaced["previous_pid"] == pids[0] and replaced["pid"] not in pids
    live = [replaced["pid"], pids[1]]
    for k in range(8):
        reply = pb_grpc.CreditPolicyServiceStub(new_connection(server)).CheckOrder(
            order_request(sample_snapshot(k + 1)), timeout=TIMEOUT)
        assert reply.policy_version
    assert connections_by_process(server, live)  # the new process takes connections on the same port
    text = metrics_text(server)
    assert metric(text, 'credit_policy_grpc_requests_total{code="OK",method="CheckOrder"}') >= counted + 8
    assert text.count("credit_policy_policy_info{") == 1
    assert server.proc.poll() is None


def test_without_a_watcher_a_replacement_reads_the_directory_once_so_a_refusal_stays_shown(
    server_factory: Any,
) -> None:
    """With --watch-interval 0 a replacement started from its siblings' files used to stay NOT_READ,
    with no last_refused, until the next SIGHUP: killing both processes put the refused gauge to 0
    while the directory was still broken."""
    server: ServerProcess = server_factory("--watch-interval", "0", processes=2)
    pids = pids_of(server)
    (server.rules_dir / "zz_broken.yaml").write_text(BROKEN_YAML)
    os.kill(server.proc.pid, signal.SIGHUP)
    wait_until(lambda: {e["pid"] for e in events_named(server, "policy reload refused")} == set(pids))
    assert "credit_policy_rules_dir_refused 1.0" in metrics_text(server)

    for pid in pids:
        os.kill(pid, signal.SIGKILL)

    wait_until(lambda: len(events_named(server, "server process replaced")) == 2)
    fresh = {e["pid"] for e in events_named(server, "server process replaced")}
    wait_until(lambda: {e["pid"] for e in events_named(server, "policy reload refused")} >= fresh)
    for _ in range(6):
        info = pb_grpc.CreditPolicyServiceStub(new_connection(server)).GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT)
        assert info.rules_dir_state == "REFUSED" and info.HasField("last_refused")
        assert [r.id for r in info.rules] == list(info.rule_ids)  # a replacement, started from its siblings' files
    assert "credit_policy_rules_dir_refused 1.0" in metrics_text(server)


def test_a_process_killed_while_the_rules_directory_is_broken_comes_back_on_the_good_version(
    server_factory: Any,
) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0.2", processes=2)
    pids = pids_of(server)
    good = server.version()
    (server.rules_dir / "zz_broken.yaml").write_text(BROKEN_YAML)
    wait_until(lambda: {e["pid"] for e in events_named(server, "policy reload refused")} == set(pids))

    os.kill(pids[0], signal.SIGKILL)

    replaced = server.wait_for_event("server process replaced", timeout=60)
    fresh = replaced["pid"]
    assert replaced["previous_pid"] == pids[0] and fresh not in pids and replaced["version"] == good
    assert events_named(server, "policy loaded", pid=fresh)[0]["source"] == "given files"
    # its watcher then reads the directory as its siblings' did: the broken set is refused there too
    wait_until(lambda: events_named(server, "policy reload refused", pid=fresh))
    assert any("zz_broken.yaml:" in p for p in events_named(server, "policy reload refused", pid=fresh)[0]["problems"])
    assert len(events_named(server, "server process died")) == 1  # the replacement did not fail to start
    live = [fresh, pids[1]]
    for k in range(64):  # fresh connections until both live processes hold some
        stub = pb_grpc.CreditPolicyServiceStub(new_connection(server))
        info = stub.GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT)
        assert info.version == good
        assert any(p.path.endswith("zz_broken.yaml") and p.line > 0 for p in info.last_refused.problems)
        assert stub.CheckOrder(order_request(sample_snapshot(k + 1)), timeout=TIMEOUT).policy_version == good
        if k >= 3 and all(connections_by_process(server, live).values()):
            break
    assert all(connections_by_process(server, live).values()), connections_by_process(server, live)
    # slot 0 refused twice (the killed process, then its replacement), slot 1 once
    assert reloads_by_process(metrics_text(server), "failure") == {"0": 2.0, "1": 1.0}

    (server.rules_dir / "zz_broken.yaml").unlink()  # fixed: a good change reaches the replacement too
    rule_file = a_rule_file(server.rules_dir)
    rule_file.write_text(rule_file.read_text() + "\n# fixed\n")
    wait_until(lambda: {e["pid"] for e in events_named(server, "policy reloaded", previous=good)} == set(live))
    assert good not in versions_over_connections(server)


# ---- the good rule files a replacement starts from (in this process) ----


def test_a_host_started_from_given_files_serves_them_then_watches_the_directory_as_usual(tmp_path: Path) -> None:
    from adapters.grpc.host import PolicyHost
    from policy_engine.rules.emit import policy_version
    from policy_engine.rules.loader import read_rule_files

    rules = copy_rules(tmp_path / "rules")
    good = read_rule_files(rules)
    (rules / "zz_broken.yaml").write_text(BROKEN_YAML)
    loaded: list[tuple[str, dict[str, str]]] = []

    async def scenario() -> None:
        host = PolicyHost(rules, initial_files=good, on_loaded=lambda v, f: loaded.append((v, f)))
        await host.start()  # the broken file in the directory does not matter here
        assert host.engine.version == policy_version(good) and loaded == [(policy_version(good), good)]
        assert host.rules_dir_state == "NOT_READ"
        watcher = asyncio.create_task(host.watch(interval=0.05, settle=0.05))
        try:
            await until(lambda: host.last_refused is not None)  # the first tick reads the directory
            assert host.last_refused is not None
            assert any(p.path.endswith("zz_broken.yaml") and p.line > 0 for p in host.last_refused.problems)
            assert host.engine.version == policy_version(good) and len(loaded) == 1
            assert host.rules_dir_state == "REFUSED"

            (rules / "zz_broken.yaml").unlink()
            rule_file = a_rule_file(rules)
            rule_file.write_text(rule_file.read_text() + "\n# fixed\n")
            await until(lambda: len(loaded) == 2)
            assert loaded[1] == (host.engine.version, read_rule_files(rules)) and loaded[1][0] != loaded[0][0]
            assert host.rules_dir_state == "SERVED"
        finally:
            watcher.cancel()
            await host.aclose()

    asyncio.run(scenario())


async def until(predicate: Any, timeout: float = 30.0) -> None:
    """Poll (yielding to the event loop) until predicate() is true."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def test_the_supervisor_keeps_the_latest_files_loaded_from_the_directory_and_starts_replacements_from_them(
    tmp_path: Path,
) -> None:
    from adapters.grpc import supervisor as sup

    spawned: list[tuple[Any, ...]] = []

    class Refused:  # a process that cannot be started: _spawn raises before the service is announced
        def start(self) -> None:
            raise OSError("no more processes")

    class Context:
        def Pipe(self, duplex: bool) -> Any:  # noqa: N802  (multiprocessing's name)
            return multiprocessing.Pipe(duplex)

        def RawValue(self, typecode: str, value: int) -> Any:  # noqa: N802
            return multiprocessing.RawValue(typecode, value)

        def Process(self, target: Any, args: tuple[Any, ...], **_: Any) -> Refused:  # noqa: N802
            spawned.append(args[1:4])  # config, slot index, files (then the backlog counter)
            return Refused()

    supervisor = sup.Supervisor(sup.ProcessConfig(rules_dir=tmp_path, host="127.0.0.1", port=1), 2)
    supervisor._ctx = Context()
    first, second = supervisor._slots
    first.pid, second.pid = 101, 102
    v1, v2 = {"a.yaml": "one"}, {"a.yaml": "two"}

    def spawn_args(slot: Any) -> tuple[Any, ...]:
        async def attempt() -> None:
            with pytest.raises(OSError):
                supervisor._spawn(slot)

        asyncio.run(attempt())
        return spawned.pop()

    assert spawn_args(first)[2] is None  # nothing served yet: the first start compiles the directory
    supervisor._handle(first, ("serving", 101, 1, "v1", v1))
    supervisor._handle(second, ("serving", 102, 1, "v1", v1))
    assert supervisor._good == ("v1", v1)
    supervisor._handle(second, ("loaded", 102, "v2", v2))
    assert supervisor._good == ("v2", v2) and second.version == "v2"
    supervisor._handle(first, ("loaded", 999, "v3", {"a.yaml": "stale"}))  # not this slot's process
    supervisor._handle(first, ("serving", 101, 1, "v1", None))  # started from the supervisor's files
    assert supervisor._good == ("v2", v2)
    config, index, files = spawn_args(second)
    assert (config, index, files) == (supervisor.config, 1, v2)



def slow_sender(conn: Any, *_: Any) -> None:
    """A server process (stand-in) that stalls for 3 s halfway through sending a big `serving` message."""
    import pickle
    import struct

    data = pickle.dumps(("serving", os.getpid(), 1, "v1", {"big.yaml": "x" * 300_000}))
    fd = conn.fileno()
    os.write(fd, struct.pack("!i", len(data)) + data[:1_000])  # multiprocessing's framing: length, then bytes
    time.sleep(3)
    view = memoryview(data)[1_000:]
    while view:
        view = view[os.write(fd, view):]


def test_a_process_stalled_halfway_through_a_message_does_not_hold_up_the_supervisor(tmp_path: Path) -> None:
    from adapters.grpc import supervisor as sup

    spawn = multiprocessing.get_context("spawn")

    class Context:
        def Pipe(self, duplex: bool) -> Any:  # noqa: N802  (multiprocessing's name)
            return spawn.Pipe(duplex)

        def RawValue(self, typecode: str, value: int) -> Any:  # noqa: N802
            return spawn.RawValue(typecode, value)

        def Process(self, target: Any, args: tuple[Any, ...], **kwargs: Any) -> Any:  # noqa: N802
            return spawn.Process(target=slow_sender, args=args, **kwargs)

    supervisor = sup.Supervisor(sup.ProcessConfig(rules_dir=tmp_path, host="127.0.0.1", port=1), 1)
    supervisor._ctx = Context()
    slot = supervisor._slots[0]

    async def scenario() -> float:
        supervisor._spawn(slot)
        longest, last = 0.0, time.monotonic()
        deadline = last + 30
        while slot.serving_since is None:  # the event loop keeps turning while the message trickles in
            await asyncio.sleep(0.01)
            now = time.monotonic()
            longest, last = max(longest, now - last), now
            assert now < deadline, "the message never arrived"
        await until(slot.exited.is_set)
        return longest

    longest = asyncio.run(scenario())
    assert longest < 1.0, f"the event loop stood still for {longest:.1f} s"
    assert supervisor._good is not None and len(supervisor._good[1]["big.yaml"]) == 300_000
    assert slot.reader is None and slot.conn is None


def test_a_process_that_dies_after_all_served_but_before_the_announcement_is_replaced(tmp_path: Path) -> None:
    from adapters.grpc import supervisor as sup

    supervisor = sup.Supervisor(sup.ProcessConfig(rules_dir=tmp_path, host="127.0.0.1", port=1), 1)
    slot = supervisor._slots[0]
    slot.pid, slot.serving_since = 101, time.monotonic()
    reader_end, writer_end = multiprocessing.Pipe(duplex=True)
    writer_end.close()

    class Exited:  # the slot's process, killed right after it reported serving
        pid, exitcode = 101, -9

        def join(self, timeout: float) -> None:
            pass

    async def scenario() -> None:
        started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        started.set_result(None)  # every process has served; run() has not announced `serving` yet
        supervisor._started = started

        await supervisor._reap(slot, Exited(), reader_end)

        assert slot.restart is not None, "the slot was left empty: no replacement was scheduled"
        slot.restart.cancel()

    asyncio.run(scenario())


# ---- stopping ----


def test_sigterm_ends_the_open_stream_saying_where_it_stopped_then_every_process_and_the_supervisor_exit_zero(
    server_factory: Any,
) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0", processes=2)
    pids = pids_of(server)
    outbox: queue.Queue[pb.EvaluateCustomerRequest | None] = queue.Queue()
    responses = server.stub().EvaluateCustomers(iter(outbox.get, None), timeout=60)
    outbox.put(pb.EvaluateCustomerRequest(snapshot=sample_snapshot(1), request_id="before"))
    assert next(responses).request_id == "before"

    server.proc.send_signal(signal.SIGTERM)
    server.wait_for_event("stopping")
    wait_until(lambda: len(events_named(server, "process stopping")) == 2)
    outbox.put(pb.EvaluateCustomerRequest(snapshot=sample_snapshot(2), request_id="during"))
    with pytest.raises(grpc.RpcError) as ended:
        next(responses)  # not taken: before, the stream was served through the grace
    outbox.put(None)

    assert ended.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "before index 1 are answered" in ended.value.details()
    assert server.proc.wait(timeout=30) == 0
    assert {e["pid"] for e in events_named(server, "server process stopped", exitcode=0)} == set(pids)
    server.wait_for_event("stopped")


def test_ctrl_c_to_the_whole_process_group_stops_once_and_cleanly(server_factory: Any) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0", processes=2, new_session=True)
    pids = pids_of(server)
    pb_grpc.CreditPolicyServiceStub(new_connection(server)).CheckOrder(order_request(), timeout=TIMEOUT)

    os.killpg(server.proc.pid, signal.SIGINT)  # what a terminal does on Ctrl-C

    assert server.proc.wait(timeout=30) == 0
    log = server.log_path.read_text()
    assert "Traceback" not in log and "KeyboardInterrupt" not in log
    assert {e["pid"] for e in events_named(server, "server process stopped", exitcode=0)} == set(pids)
    assert len(events_named(server, "stopped")) == 1
