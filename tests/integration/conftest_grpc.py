"""Fixtures of the gRPC tests: a real `credit-policy serve` process on port 0, an in-process server,
and realistic snapshots. Test modules load it with `pytest_plugins = ["tests.integration.conftest_grpc"]`
or import its helpers directly."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb  # noqa: E402
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2_grpc as pb_grpc  # noqa: E402
from bench.bench_grpc_load import (  # noqa: E402
    AS_OF,
    snapshot_dict,
    snapshot_message,
    socket_inodes,  # noqa: F401  (for the test modules)
    tcp_connections,  # noqa: F401
)

RULES = ROOT / "rules"
TIMEOUT = 10.0


def sample_dict(index: int = 1, invoices: int = 24) -> dict[str, Any]:
    """A realistic snapshot as a dict (deterministic per index)."""
    return snapshot_dict(random.Random(index), index, invoices)


def sample_snapshot(index: int = 1, invoices: int = 24) -> pb.CustomerSnapshot:
    """A realistic snapshot as a proto message."""
    return snapshot_message(sample_dict(index, invoices))


def copy_rules(target: Path) -> Path:
    """A private copy of the shipped rules, safe to edit."""
    shutil.copytree(RULES, target)
    return target


@dataclass
class ServerProcess:
    """A `credit-policy serve` subprocess and how to reach it."""

    proc: subprocess.Popen[bytes]
    log_path: Path
    rules_dir: Path
    port: int = 0
    metrics_port: int = 0
    _channels: list[grpc.Channel] = field(default_factory=list)

    @property
    def address(self) -> str:
        """host:port of the server."""
        return f"127.0.0.1:{self.port}"

    def channel(self, options: list[tuple[str, Any]] | None = None) -> grpc.Channel:
        """A fresh channel (with gRPC channel `options`), closed at teardown."""
        channel = grpc.insecure_channel(self.address, options=options)
        self._channels.append(channel)
        return channel

    def stub(self, options: list[tuple[str, Any]] | None = None) -> pb_grpc.CreditPolicyServiceStub:
        """A stub on a fresh channel."""
        return pb_grpc.CreditPolicyServiceStub(self.channel(options))

    def events(self) -> list[dict[str, Any]]:
        """Every structured log line so far."""
        out = []
        for line in self.log_path.read_text().splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return out

    def wait_for_event(self, name: str, timeout: float = 60.0, after: int = 0) -> dict[str, Any]:
        """The first log event called `name` (skipping the first `after` events)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for entry in self.events()[after:]:
                if entry.get("event") == name:
                    return entry
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited ({self.proc.returncode}):\n{self.log_path.read_text()}")
            time.sleep(0.05)
        raise AssertionError(f"no {name!r} event within {timeout}s:\n{self.log_path.read_text()}")

    def version(self) -> str:
        """The policy version served now."""
        return str(self.stub().GetPolicy(pb.GetPolicyRequest(), timeout=TIMEOUT).version)

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM, then wait for a clean exit; return the exit code."""
        for channel in self._channels:
            channel.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


def start_server_process(rules_dir: Path, log_path: Path, *extra: str, workers: int = 2,
                         processes: int | None = None, new_session: bool = False,
                         env: dict[str, str] | None = None) -> ServerProcess:
    """`credit-policy serve --port 0` with its JSON log in `log_path`; waits until it serves.
    With `processes`: `--processes N` (N server processes) instead of `--workers`; `new_session`:
    in a process group of its own (to signal the whole group, as a terminal's Ctrl-C does); `env`:
    more environment variables (a PYTHONPATH there goes in front of the repository's)."""
    model = ["--processes", str(processes)] if processes is not None else ["--workers", str(workers)]
    cmd = [sys.executable, "-c", "from policy_engine.cli import main; main()", "serve",
           "--rules", str(rules_dir), "--port", "0", "--host", "127.0.0.1", *model,
           "--metrics-port", "0", "--grace", "10", *extra]
    if "--db" not in extra:
        cmd += ["--db", "memory"]
    extra_env = dict(env or {})
    path = os.pathsep.join(p for p in (extra_env.pop("PYTHONPATH", ""), str(ROOT)) if p)
    full_env = dict(os.environ, **extra_env, PYTHONPATH=path)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=full_env, cwd=ROOT,
                                start_new_session=new_session)
    server = ServerProcess(proc, log_path, rules_dir)
    serving = server.wait_for_event("serving", timeout=120)
    server.port = int(serving["port"])
    server.metrics_port = int(serving["metrics_port"])
    return server


def open_held_call(server: ServerProcess) -> tuple[threading.Event, grpc.Future]:
    """A CheckOrder call whose (empty, so INVALID_ARGUMENT) request is sent only once the event is set: a call in
    flight that a SIGTERM's drain waits for until --grace runs out. (A stream no longer does: a stop ends it.)"""
    release = threading.Event()

    def held_back() -> Iterator[bytes]:
        release.wait()
        yield b""

    pending = server.channel().stream_unary("/credit_policy.v1.CreditPolicyService/CheckOrder").future(
        held_back(), timeout=60)
    time.sleep(0.5)  # the call has reached the server
    return release, pending


def open_held_stream(server: ServerProcess) -> tuple[queue.Queue[pb.EvaluateCustomerRequest | None], Any]:
    """An EvaluateCustomers stream that has had one answer and stays open until None is put (a SIGTERM ends it:
    SERVER_STOPPING with next_index 1)."""
    outbox: queue.Queue[pb.EvaluateCustomerRequest | None] = queue.Queue()
    responses = server.stub().EvaluateCustomers(iter(outbox.get, None), timeout=60)
    outbox.put(pb.EvaluateCustomerRequest(snapshot=sample_snapshot(1), request_id="before"))
    assert next(responses).request_id == "before"
    return outbox, responses


@pytest.fixture(scope="module")
def grpc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One served process for a whole test module: the shipped rules, 2 workers, metrics on."""
    tmp = tmp_path_factory.mktemp("grpc-server")
    server = start_server_process(copy_rules(tmp / "rules"), tmp / "server.log")
    yield server
    assert server.stop() == 0, server.log_path.read_text()


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Start private servers (own rules copy), stopped at teardown."""
    started: list[ServerProcess] = []

    def start(*extra: str, workers: int = 2, name: str = "server", processes: int | None = None,
              new_session: bool = False, env: dict[str, str] | None = None) -> ServerProcess:
        rules = tmp_path / f"{name}-rules"
        server = start_server_process(copy_rules(rules), tmp_path / f"{name}.log", *extra, workers=workers,
                                      processes=processes, new_session=new_session, env=env)
        started.append(server)
        return server

    yield start
    for server in started:
        if server.proc.poll() is None:
            server.stop()


@dataclass
class InProcessServer:
    """A server on a private event loop thread in this process (to reach its store directly)."""

    port: int
    store: Any
    host: Any
    run: Callable[[Any], Any]

    def stub(self) -> pb_grpc.CreditPolicyServiceStub:
        """A stub on a fresh channel."""
        return pb_grpc.CreditPolicyServiceStub(grpc.insecure_channel(f"127.0.0.1:{self.port}"))


@pytest.fixture(scope="module")
def inproc_server() -> Iterator[InProcessServer]:
    """create_server() on port 0 with an in-memory store holding customer C00001."""
    from adapters.grpc.host import PolicyHost
    from adapters.grpc.server import create_server
    from adapters.grpc.servicer import CreditPolicyServicer
    from policy_engine.domain.models import CustomerSnapshot
    from policy_engine.ports import InMemoryStore

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def run(coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=120)

    store = InMemoryStore([CustomerSnapshot.model_validate(sample_dict(1))])

    async def boot() -> tuple[Any, Any, int]:
        host = PolicyHost(RULES, workers=0, store=store)
        await host.start()
        server, port = create_server("127.0.0.1:0", CreditPolicyServicer(host))
        await server.start()
        return host, server, port

    host, server, port = run(boot())
    yield InProcessServer(port, store, host, run)
    run(server.stop(5))
    run(host.aclose())
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)


def order_request(snapshot: pb.CustomerSnapshot | None = None, **fields: Any) -> pb.CheckOrderRequest:
    """A CheckOrderRequest for the sample snapshot unless told otherwise."""
    fields.setdefault("amount", "80000.00")
    fields.setdefault("as_of", AS_OF.isoformat())
    if "customer_id" not in fields:
        fields["snapshot"] = snapshot if snapshot is not None else sample_snapshot()
    return pb.CheckOrderRequest(**fields)


class Gated:
    """A served engine (host.served.engine) whose every call is held at a gate until the test opens it."""

    def __init__(self, real: Any, loop: asyncio.AbstractEventLoop | None = None):
        self.real, self.version = real, real.version
        self.loop = loop
        """The server's event loop, where given: a test thread opens the gate with `loop.call_soon_threadsafe`."""
        self.gate = asyncio.Event()
        self.waiting = 0

    async def run(self, kind: str, request: bytes, flow: object | None = None) -> Any:
        """Count the call, wait for the gate, then decide it with the real engine."""
        self.waiting += 1
        await self.gate.wait()
        return await self.real.run(kind, request, flow=flow)


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0) -> None:
    """Poll `predicate` until it is true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)
