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

from adapters.grpc import rules_watch
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


def test_a_compile_child_failing_the_same_way_again_and_again_is_tried_every_five_minutes() -> None:
    a, b = (("a.yaml", 1),), (("b.yaml", 2),)
    killed, timed_out = "CompileChildFailed: … killed by SIGABRT …", "CompileChildFailed: … took more than 600 s"
    retry = None
    for _ in range(rules_watch.SAME_WAY_BEFORE_LONG_DELAY):
        retry = rules_watch.next_retry(retry, a, killed, now=1000.0, rules_suspect=True)

    other_way = rules_watch.next_retry(retry, a, timed_out, now=1000.0, rules_suspect=True)
    changed = rules_watch.next_retry(retry, b, killed, now=1000.0, rules_suspect=True)
    store_away = [rules_watch.next_retry(None, a, "OperationalError", now=0.0)]
    for _ in range(rules_watch.SAME_WAY_BEFORE_LONG_DELAY):
        store_away.append(rules_watch.next_retry(store_away[-1], a, "OperationalError", now=0.0))

    assert retry is not None
    assert (retry.same_way, retry.delay(), retry.due) == (
        rules_watch.SAME_WAY_BEFORE_LONG_DELAY, rules_watch.LONG_DELAY, 1000.0 + rules_watch.LONG_DELAY)
    assert rules_watch.LONG_DELAY == 300.0
    assert (other_way.failures, other_way.same_way, other_way.delay()) == (
        rules_watch.SAME_WAY_BEFORE_LONG_DELAY + 1, 1, restart_delay(30))
    assert (changed.failures, changed.same_way, changed.delay()) == (1, 1, restart_delay(1))
    assert store_away[-1].delay() == restart_delay(30)  # a store outage is no suspicion of the rules
    assert not rules_watch.reload_due(a, a, retry, now=1000.0 + rules_watch.LONG_DELAY - 1)
    assert rules_watch.reload_due(a, a, retry, now=1000.0 + rules_watch.LONG_DELAY)


class FakeClock:
    """The host's monotonic clock, moved on by the test instead of by sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_host_whose_compile_child_keeps_crashing_backs_off_further_and_says_how_often(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules_watch, "SAME_WAY_BEFORE_LONG_DELAY", 3)
    rules, runs, clock = copy_rules(tmp_path / "rules"), tmp_path / "runs", FakeClock()
    loader = functools.partial(crash_first, os.getpid(), runs, 10**6)

    def failed() -> list[dict[str, Any]]:
        return logged(caplog, "policy reload failed")

    async def scenario(host: PolicyHost) -> None:
        host._clock = clock
        edit(a_rule_file(rules), "3.5", "3.2")
        for n in (1, 2, 3, 4):
            await until(lambda: len(failed()) == n)  # noqa: B023  (awaited within the iteration)
            await asyncio.sleep(10 * TICK)
            assert len(failed()) == n  # not before the back-off has run out on the clock
            clock.now += failed()[-1]["retry_in_seconds"]
        await until(lambda: len(failed()) == 5)
        edit(a_rule_file(rules), "3.2", "3.3")  # a change is tried at once, and starts over
        await until(lambda: len(failed()) == 6)
        assert await host.reload("SIGHUP") is False  # so is a SIGHUP, counting on
        assert host.rules_dir_state == "PENDING"

    with caplog.at_level(logging.INFO, logger="credit_policy.service"):
        with_host(rules, scenario, load_policy=loader)
    assert [(f["attempt"], f["failed_same_way"], f["retry_in_seconds"]) for f in failed()] == [
        (1, 1, 0.5), (2, 2, 1.0), (3, 3, 300.0), (4, 4, 300.0), (5, 5, 300.0), (1, 1, 0.5), (2, 2, 1.0)]
    assert all("exited with code 9" in f["error"] for f in failed())


def test_files_rewritten_or_touched_with_the_same_bytes_are_not_read_or_logged_again(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rules = copy_rules(tmp_path / "rules")
    broken = rules / "zz_broken.yaml"

    async def seen(host: PolicyHost) -> None:
        """Until the watcher has taken in the directory as it is now."""
        await until(lambda: host._fingerprint == rules_watch.fingerprint(rules))
        await asyncio.sleep(10 * TICK)

    async def scenario(host: PolicyHost) -> None:
        os.utime(a_rule_file(rules), ns=(1, 1))  # a served set touched
        await seen(host)
        broken.write_text(BROKEN_YAML)
        await until(lambda: host.rules_dir_state == "REFUSED")
        await seen(host)
        (rules / "zz_broken.yaml.new").write_text(BROKEN_YAML)  # as git checkout writes the same content:
        os.replace(rules / "zz_broken.yaml.new", broken)  # a new inode, the same bytes
        os.utime(a_rule_file(rules), ns=(2, 2))
        await seen(host)

        assert sample(host, "credit_policy_reloads_total", result="failure") == 1
        assert await host.reload("SIGHUP") is False  # asked for: read, logged and counted again
        assert sample(host, "credit_policy_reloads_total", result="failure") == 2

    with caplog.at_level(logging.INFO, logger="credit_policy.service"):
        with_host(rules, scenario)
    assert [f["trigger"] for f in logged(caplog, "policy reload refused")] == ["watch", "SIGHUP"]
    assert logged(caplog, "policy unchanged") == []
