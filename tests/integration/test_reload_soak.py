"""A short soak of `serve --workers 2` (bench/soak_reloads.py's steps): 40 reloads, refusals and SIGHUPs with
nothing changed, under CheckOrder traffic. Each ends as expected, no call fails, and nothing grows per
reload: the serving process's fds and children, the compile process's fds, threads and children (one
process throughout), and no zombie anywhere."""

from __future__ import annotations

import shutil
import signal
import sys
from pathlib import Path

import pytest

from bench.soak_reloads import OUTCOMES, RULES, Log, Traffic, figures, roles, start, step

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc; the zygote is Linux-only")

STEPS = 40


def resources(front: int) -> dict[str, dict[str, int]]:
    """Each of serve's processes (front, workers, compiler) by role: its figures."""
    return {role: figures(pid) for role, pid in roles(front).items()}


def test_forty_reloads_under_traffic_grow_nothing_and_fail_no_call(tmp_path: Path) -> None:
    rules, tmp = tmp_path / "rules", tmp_path / "tmp"
    shutil.copytree(RULES, rules)
    tmp.mkdir()
    proc, address = start(rules, tmp, tmp_path / "serve.log", workers=2)
    log, traffic, served, ended = Log(tmp_path / "serve.log"), Traffic(address, 20.0), [1], []
    log.new_events()
    traffic.start()
    try:
        for n in range(STEPS):
            expected, _ = step(n, proc, rules / "collection.yaml", served)
            ended.append((log.wait_for(OUTCOMES, 60)[-1]["event"], expected))
            if n == 4:
                before = resources(proc.pid)
        after = resources(proc.pid)
    finally:
        traffic.stopping.set()
        traffic.join()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)

    assert [got for got, _ in ended] == [want for _, want in ended]
    assert traffic.errors == [] and traffic.calls > 0
    assert code == 0
    assert after["compiler"]["pid"] == before["compiler"]["pid"]
    for role, key in [("front", "fds"), ("front", "kids"), ("compiler", "fds"), ("compiler", "threads"),
                      ("compiler", "kids")]:
        assert after[role][key] == before[role][key], (role, key, before[role], after[role])
    assert after["compiler"]["kids"] == 0
    assert [role for role, f in after.items() if f["zombies"]] == []
    assert sorted(tmp.iterdir()) == []
