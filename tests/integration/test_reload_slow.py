"""A reload that runs long is visible while it runs: one `policy reload slow` warning, the gauge
credit_policy_reload_in_progress_seconds, and GetPolicy's `reloading` (adapters/grpc/reload_progress.py), on a
PolicyHost in this process whose compile child sleeps."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from adapters.grpc.host import PolicyHost
from adapters.grpc.policy_info import policy_info
from policy_engine.api import load_policy
from tests.integration.conftest_grpc import copy_rules
from tests.integration.test_reload_failure import logged, sample
from tests.integration.test_rules_watch import a_rule_file, edit, until

GAUGE = "credit_policy_reload_in_progress_seconds"


def load_after_a_pause(pause_file: Path, rules_dir: Path) -> Any:
    """The shipped loader, in the compile child, after sleeping the seconds `pause_file` holds (if it exists)."""
    if pause_file.exists():
        time.sleep(float(pause_file.read_text()))
    return load_policy(rules_dir)


def test_a_reload_past_its_slow_mark_is_logged_once_gauged_and_shown_by_get_policy_until_it_ends(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rules, pause = copy_rules(tmp_path / "rules"), tmp_path / "pause"
    seen: dict[str, Any] = {}

    async def main() -> None:
        host = PolicyHost(rules, workers=0, load_policy=functools.partial(load_after_a_pause, pause))
        host.progress.slow_after = 0.3
        await host.start()
        try:
            assert sample(host, GAUGE) == 0 and not policy_info(host, False).HasField("reloading")
            first = host.served.policy.version
            pause.write_text("2")
            edit(a_rule_file(rules), "3.5", "3.2")
            reload = asyncio.create_task(host.reload("SIGHUP"))
            await until(lambda: bool(logged(caplog, "policy reload slow")))
            seen.update(gauge=sample(host, GAUGE), reloading=policy_info(host, False).reloading, first=first)
            assert await reload is True
            seen.update(after=sample(host, GAUGE), shown_after=policy_info(host, False).HasField("reloading"))
        finally:
            await host.aclose()

    with caplog.at_level(logging.INFO, logger="credit_policy.service"):
        asyncio.run(main())

    [slow] = logged(caplog, "policy reload slow")
    assert (slow["trigger"], slow["stage"], slow["serving"]) == ("SIGHUP", "compile", seen["first"])
    assert 0.3 <= slow["seconds"] < 2 and "version" not in slow and "600 s" in slow["action"]
    assert seen["gauge"] >= 0.3
    reloading = seen["reloading"]
    assert (reloading.trigger, reloading.stage, reloading.version) == ("SIGHUP", "compile", "")
    assert reloading.seconds >= 0.3 and reloading.started_at == slow["started_at"]
    assert (seen["after"], seen["shown_after"]) == (0, False)


def test_a_reload_that_ends_before_its_slow_mark_logs_nothing_of_it(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rules = copy_rules(tmp_path / "rules")

    async def main() -> None:
        host = PolicyHost(rules, workers=0)
        host.progress.slow_after = 30
        await host.start()
        try:
            edit(a_rule_file(rules), "3.5", "3.2")
            assert await host.reload("SIGHUP") is True
            await asyncio.sleep(0.1)
        finally:
            await host.aclose()

    with caplog.at_level(logging.INFO, logger="credit_policy.service"):
        asyncio.run(main())

    assert logged(caplog, "policy reloaded") and not logged(caplog, "policy reload slow")
