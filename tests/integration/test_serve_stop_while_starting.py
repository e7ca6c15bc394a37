"""SIGTERM (or Ctrl-C) while `serve` is starting stops it cleanly: the start is abandoned, what started is stopped,
`stopping` (during start-up, with the signal) and `stopped` are logged, the exit code is 0, no process prints a
traceback and none is left behind (adapters/grpc/start_stop.py; docs/service.md, Operations).

Each test holds `serve` at one stage of its start with tests/fault_injection/sitecustomize.py
(CREDIT_POLICY_TEST_START_HOLD), so the signal lands there whatever the machine's load. Before, each ended by
SIGTERM's default action (exit -15, no log line), and engine workers outlived it or printed BrokenPipeError."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest_grpc import ROOT, RULES

FAULTS = ROOT / "tests" / "fault_injection"
STOP_WITHIN = 20.0
"""Seconds a stopped start may take to exit (it waits for no compile: the held ones never end)."""


@dataclass
class Starting:
    """A `credit-policy serve` in a session of its own, held at a stage of its start."""

    proc: subprocess.Popen[bytes]
    log: Path
    holds: Path

    def wait_until_held(self, stage: str, processes: int = 1, timeout: float = 120.0) -> None:
        """Until `processes` processes hold at `stage` (`compile.serve`, `boot.spawned`, …)."""
        deadline = time.monotonic() + timeout
        while len(list(self.holds.glob(f"at.{stage}.*"))) < processes:
            assert self.proc.poll() is None, f"serve exited ({self.proc.returncode}):\n{self.log.read_text()}"
            assert time.monotonic() < deadline, f"not held at {stage} within {timeout} s:\n{self.log.read_text()}"
            time.sleep(0.05)

    def exit_code(self) -> int:
        """Wait for the exit (within STOP_WITHIN seconds)."""
        return self.proc.wait(timeout=STOP_WITHIN)

    def events(self) -> list[dict[str, Any]]:
        """Its JSON log lines."""
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.startswith("{")]

    def named(self, name: str) -> list[dict[str, Any]]:
        """Its log lines of the event `name`."""
        return [e for e in self.events() if e["event"] == name]


@pytest.fixture
def start_serve(tmp_path: Path) -> Iterator[Any]:
    """Start `serve` held at `hold` (a stage, e.g. `compile.serve`); its whole session is killed at the end."""
    started: list[Starting] = []

    def start(hold: str, *options: str) -> Starting:
        holds = tmp_path / "holds"
        holds.mkdir()
        (holds / f"hold.{hold}").touch()
        log = tmp_path / "serve.log"
        command = [sys.executable, "-c", "from policy_engine.cli import main; main()", "serve", "--rules", str(RULES),
                   "--port", "0", "--host", "127.0.0.1", *options]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join((str(FAULTS), str(ROOT))),
                   CREDIT_POLICY_TEST_START_HOLD=str(holds))
        with log.open("wb") as out:
            proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
                                    start_new_session=True)
        started.append(Starting(proc, log, holds))
        return started[-1]

    yield start
    for each in started:
        for pid in _session(each.proc.pid):
            os.kill(pid, signal.SIGKILL)
        if each.proc.poll() is None:
            each.proc.kill()
            each.proc.wait()


def _session(sid: int) -> list[int]:
    """The live processes (zombies left out: they have ended) of session `sid`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def assert_nothing_left(serve: Starting, timeout: float = 10.0) -> None:
    """No process of serve's session still runs (engine workers, server processes, the resource tracker)."""
    deadline = time.monotonic() + timeout
    while (left := _session(serve.proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == [], f"still running after serve's exit: {left}"


def assert_stopped_while_starting(serve: Starting, sig: str) -> None:
    """Exit 0, `stopping` during start-up naming `sig`, then `stopped`, and no traceback from any process."""
    assert serve.exit_code() == 0, serve.log.read_text()
    text = serve.log.read_text()
    assert not any(word in text for word in ("Traceback", "Error", "KeyboardInterrupt")), text
    (stop,) = serve.named("stopping")
    assert (stop["during"], stop["signal"]) == ("start-up", sig)
    (stopped,) = serve.named("stopped")
    assert stopped["during"] == "start-up"
    assert serve.named("serving") == []
    assert_nothing_left(serve)


@pytest.mark.parametrize("workers", ["0", "2"])
def test_sigterm_while_serve_compiles_its_rules_stops_it_without_waiting_for_the_compile(
        start_serve: Any, workers: str) -> None:
    serve = start_serve("compile.serve", "--db", "memory", "--workers", workers)
    serve.wait_until_held("compile.serve")

    serve.proc.send_signal(signal.SIGTERM)

    assert_stopped_while_starting(serve, "SIGTERM")


def test_sigterm_while_the_engine_workers_compile_stops_and_reaps_them(start_serve: Any) -> None:
    serve = start_serve("compile.spawned", "--db", "memory", "--workers", "2")
    serve.wait_until_held("compile.spawned", processes=2)

    serve.proc.send_signal(signal.SIGTERM)

    assert_stopped_while_starting(serve, "SIGTERM")


def test_ctrl_c_to_the_whole_group_while_the_engine_workers_boot_stops_serve_once(start_serve: Any) -> None:
    # A terminal's Ctrl-C reaches every process of the group: workers still importing must not print a traceback.
    serve = start_serve("boot.spawned", "--db", "memory", "--workers", "2")
    serve.wait_until_held("boot.spawned", processes=2)

    os.killpg(serve.proc.pid, signal.SIGINT)

    assert_stopped_while_starting(serve, "SIGINT")


def test_sigterm_while_the_store_is_opened_lets_it_open_then_stops_and_closes_it(
        start_serve: Any, tmp_path: Path) -> None:
    store = tmp_path / "store.sqlite"
    serve = start_serve("store.serve", "--db", f"sqlite:///{store}", "--create-store", "--workers", "0")
    serve.wait_until_held("store.serve")

    serve.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    still_opening = serve.proc.poll() is None
    (serve.holds / "hold.store.serve").unlink()

    assert still_opening  # the migration is not cut half-way
    assert_stopped_while_starting(serve, "SIGTERM")
    assert serve.named("store created")
    assert not Path(f"{store}-wal").exists()  # closed: its last connection folded the log back into the file


def test_sigterm_to_the_supervisor_while_its_server_processes_compile_stops_each_cleanly(start_serve: Any) -> None:
    serve = start_serve("compile.spawned", "--db", "memory", "--processes", "2")
    serve.wait_until_held("compile.spawned", processes=2)

    serve.proc.send_signal(signal.SIGTERM)

    assert_stopped_while_starting(serve, "SIGTERM")
    assert [e["during"] for e in serve.named("process stopping")] == ["start-up"] * 2
    assert [e["exitcode"] for e in serve.named("server process stopped")] == [0, 0]
