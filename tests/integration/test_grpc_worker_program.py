"""Engine workers build their policy from the program of the version served, compiled once (at start, or in a
reload's child): none reads, lints or compiles the rule files, a replacement included, and a replacement comes up
on exactly the version its siblings serve, whatever the rules directory holds by then. A program a worker cannot
build, or a worker on another version, is a failed start that says why."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.grpc import runtime
from adapters.grpc.engines import WorkerPoolEngine
from adapters.grpc.host import PolicyHost
from policy_engine.domain.errors import EngineFailure
from tests.integration.conftest_grpc import copy_rules, order_request
from tests.integration.test_grpc_worker_pool import FILES, of_this_build, version_of

REFUSING_LOADER = f"{__name__}:refuse_to_compile"


def refuse_to_compile(files: dict[str, str]) -> Any:
    """A files loader (run in a worker) that fails: a worker that compiles the rule files cannot start."""
    raise RuntimeError("a worker compiled the rule files")


async def until(condition: Callable[[], bool]) -> None:
    """Wait until `condition` holds (bound it with asyncio.wait_for)."""
    while not condition():
        await asyncio.sleep(0.01)


async def replaced(pool: WorkerPoolEngine, index: int) -> None:
    """Kill worker `index` and wait until its replacement serves."""
    victim = pool._workers[index].process.pid
    assert victim is not None
    os.kill(victim, signal.SIGKILL)
    for _ in range(3000):
        fresh = pool._workers[index]
        if fresh.process.pid != victim and fresh.serving:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("no replacement served within 30 s")


def serving_with_workers(rules: Path, scenario: Callable[[PolicyHost, WorkerPoolEngine], Awaitable[None]],
                         **options: Any) -> None:
    """Run `scenario` against a started PolicyHost on `rules` with engine workers (closed afterwards)."""

    async def main() -> None:
        host = PolicyHost(rules, **options)
        await host.start()
        try:
            assert isinstance(host.engine, WorkerPoolEngine)
            await asyncio.wait_for(scenario(host, host.engine), 90)
        finally:
            await host.aclose()

    runtime.run(main(), "asyncio")


async def served_versions(pool: WorkerPoolEngine, calls: int) -> list[str]:
    """The versions that decide `calls` concurrent calls."""
    return list(await asyncio.gather(*(version_of(pool, order_request().SerializeToString()) for _ in range(calls))))


def test_workers_and_their_replacements_build_the_served_version_without_compiling_the_rule_files(
        tmp_path: Path) -> None:
    async def scenario(host: PolicyHost, pool: WorkerPoolEngine) -> None:
        served = host.served.policy.version
        assert pool.version == served
        await replaced(pool, 0)
        assert await served_versions(pool, 6) == [served] * 6

    # Before, each worker compiled the files with this loader, and the start failed.
    serving_with_workers(copy_rules(tmp_path / "rules"), scenario, workers=2, files_loader=REFUSING_LOADER)


def test_a_replacement_comes_up_on_the_served_version_while_the_directory_holds_another_or_a_broken_one(
        tmp_path: Path) -> None:
    """Both held before this change too (a replacement compiled the served version's files, kept in memory, not
    the directory's); now it cannot differ by construction, and the pool checks the version it came up on."""
    rules = copy_rules(tmp_path / "rules")

    async def scenario(host: PolicyHost, pool: WorkerPoolEngine) -> None:
        served = host.served.policy.version
        limits = rules / "limits.yaml"
        limits.write_text(limits.read_text() + "\n# another version, not loaded\n")
        await replaced(pool, 0)
        assert await served_versions(pool, 2) == [served] * 2
        (rules / "zz_broken.yaml").write_text("rules: [\n")
        await replaced(pool, 0)
        assert await served_versions(pool, 2) == [served] * 2

    serving_with_workers(rules, scenario, workers=1)


def test_a_program_the_workers_cannot_build_fails_the_start_saying_why() -> None:
    """Of this build, so the workers unpickle it (one of another build they do not: test_grpc_worker_upgrade.py)."""
    pool = WorkerPoolEngine({}, 2, program=of_this_build(b"\x80\x05not a program"), version="0123456789abcdef")

    with pytest.raises(EngineFailure, match=r"worker failed to start: UnpicklingError"):
        runtime.run(pool.start(), "asyncio")

    assert all(not w.process.is_alive() for w in pool._workers)


def test_workers_that_come_up_on_another_version_than_the_one_asked_for_fail_the_start() -> None:
    pool = WorkerPoolEngine(FILES, 1, version="0123456789abcdef")

    with pytest.raises(EngineFailure, match=r"workers came up on \['[0-9a-f]+'\], not the one version "
                                            r"\['0123456789abcdef'\]"):
        runtime.run(pool.start(), "asyncio")


def test_a_replacement_on_another_version_than_its_siblings_is_a_failed_start_and_tried_again() -> None:
    restarts: list[str] = []

    async def scenario() -> None:
        pool = await WorkerPoolEngine(FILES, 1, on_restart=restarts.append).start()
        try:
            served = pool.version
            pool.version = "0123456789abcdef"  # as if the pool served another version than the one it replaces with
            victim = pool._workers[0].process.pid
            assert victim is not None
            os.kill(victim, signal.SIGKILL)
            await asyncio.wait_for(until(lambda: "failed" in restarts), 30)
            assert pool._start_failure == f"the replacement came up on version {served}, not 0123456789abcdef"
            pool.version = served
            await asyncio.wait_for(until(lambda: pool._workers[0].serving), 30)  # the next try, 0.5 s later
            assert await served_versions(pool, 1) == [served]
        finally:
            await pool.aclose(grace=5)

    runtime.run(scenario(), "asyncio")
    assert restarts == ["failed", "started"]
