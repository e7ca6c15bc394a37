"""`serve` started as deploy/systemd/credit-policy.service starts it stops within the unit's TimeoutStopSec;
`batch` started as credit-policy-batch.service starts it completes and writes its report where the unit lets it.

No systemd runs these tests (PID 1 is not systemd), so the unit is played by hand: its ExecStart expanded
from the shipped environment file, in its WorkingDirectory, with its UMask and its LimitNOFILE as the hard
limit under a soft one of 1,024 (systemd's default), an environment holding only what the file sets, and the
rules directory read-only as ProtectSystem=strict leaves /etc. Only the places change: /var/lib/credit-policy
and /etc/credit-policy/rules become temporary folders, and the ports 0 (other tests run beside this one).
The worst stop is timed: a caller holding an EvaluateCustomers stream open keeps the drain going for the
whole --grace, then the workers and the store close, and systemd would SIGKILL whatever is left at
TimeoutStopSec. ExecReload's signal is sent first: the service must take it and serve on.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import deploy_units as units
from tests.integration.conftest_grpc import ServerProcess, open_held_call

STATE = "/var/lib/credit-policy"
RULES = "/etc/credit-policy/rules"
PORT_FLAGS = ("--port", "--metrics-port")

pytestmark = pytest.mark.slow


def _as_the_unit_runs_it(tmp_path: Path, unit: Path = units.SERVICE) -> tuple[list[str], dict[str, str], Path]:
    """(argv, environment, working directory) of the unit's ExecStart, moved into tmp_path."""
    settings, _ = units.read_env_file()
    state, rules = tmp_path / "state", tmp_path / "rules"
    moved = {name: value.replace(STATE, str(state)).replace(RULES, str(rules)) for name, value in settings.items()}
    argv = units.expand_command(units.read_unit(unit).value("Service", "ExecStart"), moved)
    for flag in PORT_FLAGS:  # the value, never the flag: a fixed port could be taken by a test beside this one
        if flag in argv:
            argv[argv.index(flag) + 1] = "0"
    argv = [sys.executable, "-m", "policy_engine.cli", *argv[1:]]
    env = {**moved, "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(units.ROOT)}
    return argv, env, state


def _read_only_rules(target: Path) -> None:
    shutil.copytree(units.ROOT / "rules", target)
    for path in [target, *target.rglob("*")]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _state_with_a_store(tmp_path: Path, env: dict[str, str], state: Path) -> None:
    """The rules (read-only) and the state directory with a small store, as an operator leaves them."""
    _read_only_rules(tmp_path / "rules")
    state.mkdir(mode=0o700)
    subprocess.run([sys.executable, "-m", "policy_engine.cli", "demo-data", "--customers", "20"], env=env, cwd=state,
                   check=True, capture_output=True)  # fmt: skip


@pytest.fixture
def unit_server(tmp_path: Path) -> Iterator[tuple[ServerProcess, int]]:
    """serve as the unit starts it, serving; and the open-files hard limit it was given."""
    argv, env, state = _as_the_unit_runs_it(tmp_path)
    unit = units.read_unit(units.SERVICE)
    _state_with_a_store(tmp_path, env, state)
    hard = _files_hard_limit(int(unit.value("Service", "LimitNOFILE")))
    log_path = tmp_path / "journal.log"

    def as_systemd_would() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))

    with log_path.open("wb") as log:
        proc = subprocess.Popen(argv, env=env, cwd=state, stdout=log, stderr=subprocess.STDOUT,
                                preexec_fn=as_systemd_would, umask=int(unit.value("Service", "UMask"), 8),
                                start_new_session=True)  # fmt: skip
    server = ServerProcess(proc, log_path, tmp_path / "rules")
    try:
        server.port = int(server.wait_for_event("serving", timeout=120)["port"])
        yield server, hard
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # what systemd does at TimeoutStopSec
            proc.wait()


def _files_hard_limit(wanted: int) -> int:
    """LimitNOFILE's value where a process may raise its hard limit that far (CAP_SYS_RESOURCE), else the current
    hard limit: asked of a child, since a raise cannot be undone without that capability."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY or hard >= wanted:
        return wanted
    probe = f"import resource; resource.setrlimit(resource.RLIMIT_NOFILE, (1024, {wanted}))"
    return wanted if subprocess.run([sys.executable, "-c", probe], capture_output=True).returncode == 0 else hard


def test_serve_as_the_unit_runs_it_reloads_on_its_reload_signal_and_stops_within_timeout_stop_sec(
        unit_server: tuple[ServerProcess, int]) -> None:
    server, hard = unit_server
    unit = units.read_unit(units.SERVICE)
    grace_given = units.option_value([str(word) for word in server.proc.args], "--grace")
    assert grace_given is not None
    grace, stop_timeout = float(grace_given), units.seconds(unit.value("Service", "TimeoutStopSec"))
    serving = server.wait_for_event("serving")
    assert serving["open_files_limit"] == hard  # the soft limit raised to the unit's LimitNOFILE
    assert serving["store"].endswith("/state/credit-policy.sqlite")

    server.proc.send_signal(signal.SIGHUP)  # ExecReload (test_deploy_systemd checks it sends HUP)
    unchanged = server.wait_for_event("policy unchanged")
    assert server.version() == serving["version"] and server.proc.poll() is None
    release, _ = open_held_call(server)
    began = time.monotonic()
    server.proc.send_signal(getattr(signal, unit.values("Service", "KillSignal")[-1]))
    code = server.proc.wait(timeout=stop_timeout + 30)
    took = time.monotonic() - began
    release.set()

    log = server.log_path.read_text()
    assert code == 0, log
    assert unchanged["trigger"] == "SIGHUP", unchanged
    assert server.wait_for_event("stopped")["cut_off"] == 1, log  # the call held the drain for the whole grace
    assert grace <= took < stop_timeout, f"stop took {took:.1f} s"
    print(json.dumps({"grace_s": grace, "stop_s": round(took, 2), "timeout_stop_s": stop_timeout}))  # shown with -s


def test_the_batch_as_its_unit_runs_it_completes_and_writes_its_report_in_the_state_directory(tmp_path: Path) -> None:
    argv, env, state = _as_the_unit_runs_it(tmp_path, units.BATCH_SERVICE)
    _state_with_a_store(tmp_path, env, state)
    report_dir = Path(units.option_value(argv, "--report-dir") or "")

    done = subprocess.run(argv, env=env, cwd=state, capture_output=True, text=True, timeout=300,
                          umask=int(units.read_unit(units.BATCH_SERVICE).value("Service", "UMask"), 8))  # fmt: skip

    summary = json.loads(done.stdout)
    assert done.returncode == summary["exit_code"] == 0, done.stderr
    assert summary["status"] == "complete" and summary["customers"] == 20
    assert report_dir.is_relative_to(state)
    assert {Path(path).parent for path in summary["report"].values()} == {report_dir}
