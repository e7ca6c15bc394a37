# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""Sixty-four concurrent clients for a sustained run: zero errors, no crash."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import grpc
import pytest

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2_grpc as pb_grpc
from tests.integration.conftest_grpc import (
    AS_OF,
    ServerProcess,
    grpc_server,  # noqa: F401  (fixtures: pytest finds them by name)
    order_request,
    sample_snapshot,
    server_factory,  # noqa: F401
)

CLIENTS = 64
SECONDS = 8.0


async def _stress(address: str) -> tuple[int, Counter[str]]:
    requests = [order_request(sample_snapshot(i)) for i in range(32)]
    evaluations = [pb.EvaluateCustomerRequest(snapshot=sample_snapshot(i), as_of=AS_OF.isoformat()) for i in range(32)]
    errors: Counter[str] = Counter()
    calls = 0
    stop_at = time.monotonic() + SECONDS

    async def client(k: int) -> None:
        nonlocal calls
        async with grpc.aio.insecure_channel(address) as channel:  # one connection per client
            stub = pb_grpc.CreditPolicyServiceStub(channel)
            i = k
            while time.monotonic() < stop_at:
                try:
                    if i % 4 == 0:
                        reply = await stub.EvaluateCustomer(evaluations[i % 32], timeout=10)
                    else:
                        reply = await stub.CheckOrder(requests[i % 32], timeout=10)
                    assert reply.policy_version
                    calls += 1
                except grpc.aio.AioRpcError as exc:
                    errors[exc.code().name] += 1
                i += 1

    await asyncio.gather(*(client(k) for k in range(CLIENTS)))
    return calls, errors


def test_sixty_four_concurrent_clients_get_no_error(grpc_server: ServerProcess) -> None:
    calls, errors = asyncio.run(_stress(grpc_server.address))

    assert errors == Counter()
    assert calls > 500
    assert grpc_server.proc.poll() is None
    assert grpc_server.version()


def _worker_pids(server_pid: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == server_pid and b"spawn_main" in cmdline:
            pids.append(int(stat.parent.name))
    return pids


@pytest.mark.skipif(not Path("/proc").exists(), reason="finds the worker processes through /proc")
def test_a_killed_worker_process_is_replaced_and_calls_go_on(server_factory: Any) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0", workers=2, name="crash")
    stub = server.stub()
    victim = _worker_pids(server.proc.pid)[0]

    os.kill(victim, signal.SIGKILL)
    time.sleep(0.2)
    replies = [stub.CheckOrder(order_request(sample_snapshot(i)), timeout=10) for i in range(20)]

    assert all(r.policy_version for r in replies)
    assert server.wait_for_event("worker process replaced")["cause"] == "killed by SIGKILL"
    assert len(_worker_pids(server.proc.pid)) == 2
