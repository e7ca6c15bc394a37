"""bench/bench_grpc_cpu_split.py runs (short cells) and prints one row per cell, the CPU of every
process it names accounted for."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.integration.conftest_grpc import ROOT

BENCH = ROOT / "bench" / "bench_grpc_cpu_split.py"


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(BENCH), *args], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), cwd=ROOT)


def test_it_prints_a_row_per_cell_with_each_processs_cpu_per_call() -> None:
    run = bench("--rates", "closed,100", "--seconds", "1", "--repeat", "1")

    assert run.returncode == 0, run.stderr
    table = [[c.strip() for c in line.strip("|").split("|")] for line in run.stdout.splitlines()
             if line.startswith("| 1 |")]
    assert [r[1] for r in table] == ["closed loop", "100/s offered"], run.stdout
    for row in table:
        front, split = row[4].split(" (")
        loop_us, io_us = (float(x) for x in split.rstrip(")").split(" / "))
        assert float(front) == round(loop_us + io_us) or abs(float(front) - loop_us - io_us) <= 1, row
        each = [float(x) for x in row[7].split(" / ")]
        assert len(each) == 2 and abs(sum(each) - float(row[6])) <= 1, row  # the two workers, summed
        assert float(row[6]) > 100 and float(row[9]) > 100, row  # a decision costs the workers something


def test_a_rate_that_is_not_a_number_is_refused_by_name() -> None:
    run = bench("--rates", "closed,fast")

    assert run.returncode == 2 and "--rates: 'fast' is neither `closed` nor a number of calls/s" in run.stderr
