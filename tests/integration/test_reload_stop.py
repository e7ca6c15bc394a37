"""A stop that comes while a reload compiles: the stop kills the compile process, and the reload it cuts short
is neither a failure (no `policy reload failed`, no failure counted, nothing PENDING) nor tried again."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from adapters.grpc.host import PolicyHost
from policy_engine.api import load_policy
from tests.integration.conftest_grpc import copy_rules
from tests.integration.test_reload_failure import logged, sample
from tests.integration.test_rules_watch import a_rule_file, edit

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the zygote is Linux-only (PR_SET_PDEATHSIG)")


def slow_once_marked(marker: Path, rules_dir: Path) -> Any:
    """The shipped loader; once `marker` exists, a compile that writes its pid there and sleeps instead."""
    if marker.exists():
        marker.write_text(str(os.getpid()))
        time.sleep(120)
    return load_policy(rules_dir)


async def _pid_in(marker: Path, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while not marker.read_text():
        assert time.monotonic() < deadline, "the compile child never started"
        await asyncio.sleep(0.02)
    return int(marker.read_text())


def test_a_stop_during_a_reload_abandons_it_without_a_failure(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rules, marker = copy_rules(tmp_path / "rules"), tmp_path / "compiling"

    async def main() -> None:
        host = PolicyHost(rules, workers=0, load_policy=functools.partial(slow_once_marked, marker))
        await host.start()
        marker.write_text("")
        edit(a_rule_file(rules), "3.5", "3.2")
        reload = asyncio.create_task(host.reload("SIGHUP"))
        await _pid_in(marker)

        began = time.monotonic()
        await host.aclose()
        swapped = await asyncio.wait_for(reload, 10)

        assert swapped is False and time.monotonic() - began < 5
        assert host.rules_dir_state == "SERVED" and host.last_failed is None
        assert sample(host, "credit_policy_reloads_total", result="failure") in (None, 0.0)

    with caplog.at_level(logging.INFO, logger="credit_policy.service"):
        asyncio.run(main())
    assert logged(caplog, "policy reload failed") == []
    assert logged(caplog, "rules compiler ended") == []
    assert [a["reason"] for a in logged(caplog, "policy reload abandoned")] == ["the service is stopping"]
