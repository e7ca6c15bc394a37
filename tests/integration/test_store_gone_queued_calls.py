"""With `--workers 0`, decision calls still waiting for the store thread when the SQLite store file leaves its
path: those handed to the thread before the swap run before the old store closes; those handed to it after
are refused STORE_UNAVAILABLE, and none reconnects through the closed old store to whatever is at the path
(it created an empty file there, read the old file's -wal over it and logged decisions into it)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.grpc.engines import STORE_THREAD_DEPTH
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.grpc.host import PolicyHost
from adapters.grpc.store_watch import INTERVAL_ENV_VAR
from adapters.store import open_store
from policy_engine.domain.errors import StoreUnavailable
from tests.integration.conftest_grpc import copy_rules
from tests.integration.test_grpc_store_replaced import _store_with

LATE = 2
"""Calls beyond STORE_THREAD_DEPTH: waiting in the fair line when the file goes."""


async def _until(predicate: Callable[[], bool]) -> None:
    for _ in range(3000):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


async def _calls_across_the_swap(host: PolicyHost, path: Path) -> list[Any]:
    """STORE_THREAD_DEPTH calls handed to the (held) store thread and LATE waiting for it, the file removed,
    store_gone begun (the old store's close queued on the thread), then the thread let go."""
    engine, old, release = host.engine, host.store, threading.Event()
    held = asyncio.get_running_loop().run_in_executor(host._store_thread, release.wait)
    try:
        request = pb.EvaluateCustomerRequest(customer_id="C00001").SerializeToString()
        calls = [asyncio.create_task(engine.run("evaluate", request)) for _ in range(STORE_THREAD_DEPTH + LATE)]
        await _until(lambda: engine._line.waiting == LATE)  # type: ignore[attr-defined]
        path.unlink()
        gone = asyncio.create_task(host.store_gone())
        await _until(lambda: host.store is not old)  # the old store's close is on the thread's queue now
    finally:
        release.set()
    results = await asyncio.gather(*calls, return_exceptions=True)
    await asyncio.gather(held, gone)
    return results


def test_calls_queued_for_the_store_thread_when_the_file_goes_do_not_reopen_the_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(INTERVAL_ENV_VAR, "0")  # this test says when the file is gone
    path = _store_with(tmp_path / "store.sqlite", 1)
    store = open_store(f"sqlite:///{path}", background_audit=True)

    async def scenario() -> list[Any]:
        host = PolicyHost(copy_rules(tmp_path / "rules"), workers=0, store=store, store_url=f"sqlite:///{path}")
        await host.start()
        try:
            return await _calls_across_the_swap(host, path)
        finally:
            await host.aclose()

    results = asyncio.run(scenario())

    assert not path.exists()
    assert [type(r).__name__ for r in results[:STORE_THREAD_DEPTH]] == ["tuple"] * STORE_THREAD_DEPTH
    assert [type(r) for r in results[STORE_THREAD_DEPTH:]] == [StoreUnavailable] * LATE
