"""Which failed reloads the watcher tries again (a PolicyHost in this process): a broken rule set lying
unchanged is refused, logged and counted once, never re-read on a timer; a reload whose compile child
crashed or timed out is not about the rules, so it is not a refusal and is tried again with the back-off,
each `policy reload failed` line saying in how many seconds."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from pathlib import Path
from typing import Any

import pytest

from adapters.grpc.compile_child import CompileChildFailed
from adapters.grpc.host import PolicyHost
from adapters.grpc.rules_source import not_about_the_rules
from adapters.grpc.runtime import restart_delay
from policy_engine.api import load_policy
from policy_engine.rules.problems import PolicyLoadError, Problem
from tests.integration.conftest_grpc import copy_rules
from tests.integration.test_grpc_reload import BROKEN_YAML
from tests.integration.test_reload_failure import logged, sample
from tests.integration.test_rules_watch import TICK, a_rule_file, edit, until, with_host


def test_a_broken_rule_set_left_as_it_is_is_refused_logged_and_counted_once(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rules = copy_rules(tmp_path / "rules")

    async def scenario(host: PolicyHost) -> None:
        (rules / "zz_broken.yaml").write_text(BROKEN_YAML)
        await until(lambda: host.rules_dir_state == "REFUSED")
        await asyncio.sleep(restart_delay(3) + 40 * TICK)  # long past any back-off, dozens of ticks

        assert sample(host, "credit_policy_reloads_total", result="failure") == 1

    with caplog.at_level(logging.INFO, logger="credit_policy.service"):
        with_host(rules, scenario)
    assert len(logged(caplog, "policy reload refused")) == 1
    assert logged(caplog, "policy reload failed") == []


def crash_first(test_pid: int, count_file: Path, crashes: int, rules_dir: Path) -> Any:
    """load_policy whose first `crashes` runs in a child (counted in `count_file`) end it at once, as a
    segfault in the engine's C core or the OOM killer would (the start, in this process, loads)."""
    if os.getpid() == test_pid:
        return load_policy(rules_dir)
    runs = len(count_file.read_text()) if count_file.exists() else 0
    count_file.write_text("x" * (runs + 1))
    if runs < crashes:
        os._exit(9)
    return load_policy(rules_dir)


def test_a_compile_child_that_dies_is_not_a_refusal_and_is_tried_again_with_a_back_off(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rules, runs = copy_rules(tmp_path / "rules"), tmp_path / "runs"
    loader = functools.partial(crash_first, os.getpid(), runs, 3)

    async def scenario(host: PolicyHost) -> None:
        first = host.served.policy.version
        edit(a_rule_file(rules), "3.5", "3.2")
        await until(lambda: bool(logged(caplog, "policy reload failed")))

        assert host.rules_dir_state == "PENDING" and host.last_refused is None
        assert sample(host, "credit_policy_rules_dir_refused") == 0
        await until(lambda: host.served.policy.version != first)  # the files were not touched again
        assert sample(host, "credit_policy_reloads_total", result="failure") == 3

    with caplog.at_level(logging.INFO, logger="credit_policy.service"):
        with_host(rules, scenario, load_policy=loader)
    assert logged(caplog, "policy reload refused") == []
    failed = logged(caplog, "policy reload failed")
    assert [(f["attempt"], f["retry_in_seconds"]) for f in failed] == [(n, restart_delay(n)) for n in (1, 2, 3)]
    assert all("exited with code 9" in f["error"] and "version" not in f for f in failed)


def test_only_a_child_that_ended_without_an_answer_or_the_system_is_a_failure_to_try_again() -> None:
    timed_out = CompileChildFailed("the child process compiling the rules took more than 600 s")

    assert not_about_the_rules(timed_out)
    assert not_about_the_rules(BlockingIOError(11, "Resource temporarily unavailable"))  # fork failed
    assert not not_about_the_rules(PolicyLoadError([Problem("limits.yaml", 3, 1, "yaml_error", "bad")]))
    assert not not_about_the_rules(RecursionError("a loader's bug meets these rules every time"))
