# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""`serve`'s compile process: started by the first reload, reused by the next, and gone with serve, whether
serve stops or is killed (SIGKILL: nothing runs its stop)."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest_grpc import (
    ServerProcess,
    server_factory,  # noqa: F401  (a fixture: pytest finds it by name)
)
from tests.integration.test_compile_zygote import live_processes, until
from tests.integration.test_rules_watch import a_rule_file

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the zygote is Linux-only (PR_SET_PDEATHSIG)")


def compile_processes(pid: int) -> list[int]:
    """The compile processes (zygotes) among `pid`'s children."""
    return [child for child in live_processes(parent=pid)
            if b"compile_fork" in Path(f"/proc/{child}/cmdline").read_bytes()]


def reload_by_sighup(server: ServerProcess, note: str) -> None:
    reloads = len([e for e in server.events() if e.get("event") == "policy reloaded"])
    rule_file = a_rule_file(server.rules_dir)
    rule_file.write_text(rule_file.read_text() + f"\n# {note}\n")
    server.proc.send_signal(signal.SIGHUP)
    until(lambda: len([e for e in server.events() if e.get("event") == "policy reloaded"]) > reloads, 120)


def test_reloads_share_one_compile_process_which_dies_with_a_killed_serve(server_factory: Any) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0", workers=0, new_session=True)
    assert compile_processes(server.proc.pid) == []  # none before the first reload

    reload_by_sighup(server, "first")
    zygotes = compile_processes(server.proc.pid)
    reload_by_sighup(server, "second")

    assert len(zygotes) == 1 and compile_processes(server.proc.pid) == zygotes
    server.proc.kill()  # serve alone, as the OOM killer would
    server.proc.wait()
    deadline = time.monotonic() + 15
    while (left := live_processes(session=server.proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == [], f"still running after serve was killed: {left}"


def test_serve_with_engine_workers_stops_without_waiting_for_its_compile_process(server_factory: Any) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0", workers=2, new_session=True)
    reload_by_sighup(server, "first")
    assert len(compile_processes(server.proc.pid)) == 1

    assert server.stop() == 0, server.log_path.read_text()

    until(lambda: live_processes(session=server.proc.pid) == [])
    assert "rules compiler ended" not in server.log_path.read_text()


def test_a_compile_process_killed_between_reloads_is_logged_and_reaped_at_once_by_serve(server_factory: Any) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0", workers=0, new_session=True)
    reload_by_sighup(server, "first")
    [zygote] = compile_processes(server.proc.pid)

    signal_sent = len(server.events())
    os.kill(zygote, signal.SIGKILL)
    ended = server.wait_for_event("rules compiler ended", timeout=10, after=signal_sent)

    assert (ended["pid"], ended["cause"], ended["level"]) == (zygote, "killed by SIGKILL", "warning")
    until(lambda: live_processes(parent=server.proc.pid, zombies=True) == [], 5)
    reload_by_sighup(server, "second")  # the next reload starts a fresh compile process
    assert compile_processes(server.proc.pid) not in ([], [zygote])
