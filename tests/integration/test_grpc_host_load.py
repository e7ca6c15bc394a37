"""Where a reloaded rule set is compiled: with engine workers, in a child process, never on a thread of
the front process while it serves (there it held the GIL and every call in flight waited:
bench/bench_reload_under_load.py). A child that dies compiling is a refused reload, not a dead service."""

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


def load_noting_the_process(marker: Path, crash_flag: Path, rules_dir: Path) -> Any:
    """load_policy that first notes which process runs it (and dies at once while `crash_flag` exists)."""
    with marker.open("a") as f:
        f.write(f"{os.getpid()}\n")
    if crash_flag.exists():
        os._exit(9)  # as a segfault in the engine's C core would end it
    return load_policy(rules_dir)


def test_with_engine_workers_rule_sets_are_compiled_in_a_child_and_a_child_crash_is_a_refused_reload(
        tmp_path: Path) -> None:
    rules = copy_rules(tmp_path / "rules")
    marker, crash = tmp_path / "pids", tmp_path / "crash"
    loader = functools.partial(load_noting_the_process, marker, crash)

    async def scenario() -> None:
        host = PolicyHost(rules, workers=1, load_policy=loader)
        await host.start()
        try:
            first = host.served.policy.version  # compiled here: nothing is served yet to wait behind it

            limits = rules / "limits.yaml"
            limits.write_text(limits.read_text() + "\n# reviewed\n")
            assert await host.reload("test") is True
            summary = host.served.policy
            assert isinstance(summary, PolicySummary) and summary.rule_ids and summary.files
            second = summary.version
            assert second != first

            crash.touch()
            limits.write_text(limits.read_text() + "# again\n")
            assert await host.reload("test") is False
            assert host.served.policy.version == second and host.rules_dir_state == "REFUSED"
            assert host.last_refused is not None and "BrokenProcessPool" in host.last_refused.error
            reply, _ = await host.engine.run("check_order", _order())
            assert reply  # the served version still decides
        finally:
            await host.aclose()

    asyncio.run(scenario())
    start, *reloads = [int(line) for line in marker.read_text().split()]
    assert start == os.getpid() and len(reloads) == 2 and os.getpid() not in reloads


def _order() -> bytes:
    from tests.integration.conftest_grpc import order_request

    return order_request().SerializeToString()


def test_a_refused_rule_set_crosses_from_the_child_with_every_problem() -> None:
    error = PolicyLoadError([Problem("rules/b.yaml", 3, 5, "unknown_field", "no such key"),
                             Problem("rules/a.yaml", 1, 1, "yaml_error", "bad")])

    copy = pickle.loads(pickle.dumps(error))

    assert copy.problems == error.problems and str(copy) == str(error)
