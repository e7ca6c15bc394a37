"""Where a reloaded rule set is compiled: with engine workers, in a child process, never on a thread of
the front process while it serves (there it held the GIL and every call in flight waited:
bench/bench_reload_under_load.py). A child that dies compiling is a failed reload (tried again: the rules
may be fine), not a refusal and not a dead service."""

from __future__ import annotations

import asyncio
import functools
import os
import pickle
from pathlib import Path
from typing import Any

from adapters.grpc.host import PolicyHost, PolicySummary
from policy_engine.api import load_policy
from policy_engine.rules.problems import PolicyLoadError, Problem
from tests.integration.conftest_grpc import copy_rules


def new_version(rules: Path, note: str = "reviewed") -> None:
    """Make the directory a new version: a comment changes the content hash."""
    limits = rules / "limits.yaml"
    limits.write_text(limits.read_text() + f"\n# {note}\n")


def load_noting_the_process(marker: Path, crash_flag: Path, rules_dir: Path) -> Any:
    """load_policy that first notes which process runs it (and dies at once while `crash_flag` exists)."""
    with marker.open("a") as f:
        f.write(f"{os.getpid()} {os.nice(0)}\n")
    if crash_flag.exists():
        os._exit(9)  # as a segfault in the engine's C core would end it
    return load_policy(rules_dir)


def test_with_engine_workers_rule_sets_are_compiled_in_a_child_and_a_child_crash_is_a_failed_reload(
        tmp_path: Path) -> None:
    rules = copy_rules(tmp_path / "rules")
    marker, crash = tmp_path / "pids", tmp_path / "crash"
    loader = functools.partial(load_noting_the_process, marker, crash)

    async def scenario() -> None:
        host = PolicyHost(rules, workers=1, load_policy=loader)
        await host.start()
        try:
            first = host.served.policy.version  # compiled here: nothing is served yet to wait behind it

            new_version(rules)
            assert await host.reload("test") is True
            summary = host.served.policy
            assert isinstance(summary, PolicySummary) and summary.rule_ids and summary.files
            second = summary.version
            assert second != first

            crash.touch()
            new_version(rules, "again")
            assert await host.reload("test") is False
            assert host.served.policy.version == second and host.rules_dir_state == "PENDING"
            assert host.last_refused is None  # not the rules' fault: `policy reload failed`, tried again
            reply, _ = await host.engine.run("check_order", _order())
            assert reply  # the served version still decides
        finally:
            await host.aclose()

    asyncio.run(scenario())
    start, *reloads = [tuple(map(int, line.split())) for line in marker.read_text().splitlines()]
    assert start == (os.getpid(), os.nice(0)) and len(reloads) == 2
    assert all(pid != os.getpid() and nice == min(os.nice(0) + 10, 19) for pid, nice in reloads)


def test_a_reload_with_engine_workers_swaps_into_the_same_workers(tmp_path: Path) -> None:
    """The child compiles; the running workers only build the engine from its program, so no process
    starts (the start-up cost made a reload under load slow: bench/bench_reload_under_load.py)."""
    rules = copy_rules(tmp_path / "rules")

    async def scenario() -> None:
        host = PolicyHost(rules, workers=2)
        await host.start()
        try:
            pool = host.engine
            pids = [w.process.pid for w in pool._workers]  # type: ignore[attr-defined]
            first = host.served.policy.version
            new_version(rules)
            assert await host.reload("test") is True
            assert host.engine is pool and [w.process.pid for w in pool._workers] == pids  # type: ignore[attr-defined]
            second = host.served.policy.version
            assert second != first and pool.version == second
            _reply, outcome = await host.engine.run("check_order", _order())
            assert outcome.version == second
            assert not host._retired  # nothing to drain
        finally:
            await host.aclose()

    asyncio.run(scenario())


def test_with_the_engine_in_process_a_reload_is_compiled_in_a_child_too(tmp_path: Path) -> None:
    """--workers 0 and --processes: the child reads and lints; this process only builds the engine from
    the program (~2 ms of its time instead of the ~130 ms compile that stalled every call)."""
    rules = copy_rules(tmp_path / "rules")
    marker, crash = tmp_path / "pids", tmp_path / "crash"
    loader = functools.partial(load_noting_the_process, marker, crash)

    async def scenario() -> None:
        host = PolicyHost(rules, workers=0, load_policy=loader)
        await host.start()
        try:
            new_version(rules)
            assert await host.reload("test") is True
            policy = host.served.policy
            assert policy.version == load_policy(rules).version and policy.files == load_policy(rules).files
            reply, outcome = await host.engine.run("check_order", _order())
            assert outcome.version == policy.version
            from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb

            decided = pb.OrderDecision.FromString(reply.SerializeToString())
            assert decided.outcome and decided.customer.grade
        finally:
            await host.aclose()

    asyncio.run(scenario())
    start, *reloads = [tuple(map(int, line.split())) for line in marker.read_text().splitlines()]
    assert start == (os.getpid(), os.nice(0)) and len(reloads) == 1 and reloads[0][0] != os.getpid()


def _order() -> bytes:
    from tests.integration.conftest_grpc import order_request

    return order_request().SerializeToString()


def test_a_refused_rule_set_crosses_from_the_child_with_every_problem() -> None:
    error = PolicyLoadError([Problem("rules/b.yaml", 3, 5, "unknown_field", "no such key"),
                             Problem("rules/a.yaml", 1, 1, "yaml_error", "bad")])

    copy = pickle.loads(pickle.dumps(error))

    assert copy.problems == error.problems and str(copy) == str(error)


def load_printing(rules_dir: Path) -> Any:
    """A loader that prints to stdout, as a chatty library might."""
    print("hello from the loader", flush=True)
    return load_policy(rules_dir)


def test_what_a_loader_prints_does_not_corrupt_the_child_s_answer(tmp_path: Path) -> None:
    rules = copy_rules(tmp_path / "rules")

    async def scenario() -> None:
        host = PolicyHost(rules, workers=0, load_policy=load_printing)
        await host.start()
        try:
            new_version(rules)
            assert await host.reload("test") is True, host.last_refused
        finally:
            await host.aclose()

    asyncio.run(scenario())
