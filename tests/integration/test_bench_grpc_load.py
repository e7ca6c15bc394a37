# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""bench/bench_grpc_load.py: the load benchmark runs (one short cell) and prints its table, against
a server it starts and against one already running (`--target`)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.integration.conftest_grpc import (  # noqa: F401  (fixtures: pytest finds them by name)
    ROOT,
    ServerProcess,
    grpc_server,
)

BENCH = ROOT / "bench" / "bench_grpc_load.py"
SHORT = ["--methods", "CheckOrder", "--concurrency", "4", "--open-rate", "50", "--seconds", "1", "--warmup",
         "0.5", "--customers", "10"]  # fmt: skip


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(BENCH), *args], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), cwd=ROOT)  # fmt: skip


def rows(output: str) -> list[list[str]]:
    """The table's data rows, split into cells."""
    return [[c.strip() for c in line.strip("|").split("|")] for line in output.splitlines()
            if line.startswith("| ") and not line.startswith(("| server |", "| --- |"))]  # fmt: skip


def test_against_a_server_it_starts_it_prints_a_row_per_cell_with_the_servers_cpu() -> None:
    run = bench("--workers", "1", *SHORT)
    assert run.returncode == 0, run.stderr
    table = rows(run.stdout)
    assert [r[2] for r in table] == ["4", "32, 50/s offered"], run.stdout
    for row in table:
        assert row[0].startswith("1 worker processes, "), row
        assert float(row[3].replace(",", "")) > 0 and row[7] == "0", row  # calls/s, errors
        assert float(row[9]) > 0, row  # server CPU ms/call


def test_target_drives_a_server_already_running_without_starting_one(grpc_server: ServerProcess) -> None:
    before = len(grpc_server.events())
    run = bench("--target", grpc_server.address, *SHORT)
    assert run.returncode == 0, run.stderr
    assert f"server: already running at {grpc_server.address}" in run.stdout
    table = rows(run.stdout)
    assert len(table) == 2, run.stdout
    for row in table:
        assert row[0] == f"target {grpc_server.address}", row
        assert float(row[3].replace(",", "")) > 0 and row[7] == "0", row
        assert row[9] == "–", row  # its CPU is not this machine's to measure
    assert grpc_server.proc.poll() is None and len(grpc_server.events()) >= before


def test_target_refuses_flags_about_servers_it_would_start() -> None:
    run = bench("--target", "127.0.0.1:1", "--workers", "2", "--db", "temp-sqlite")
    assert run.returncode == 2
    assert "--workers: about servers this benchmark starts" in run.stderr
    run = bench("--target", "nohost", *SHORT)
    assert run.returncode == 2 and "expected HOST:PORT" in run.stderr
    run = bench("--target-tls-ca", "ca.pem", *SHORT)
    assert run.returncode == 2 and "--target-tls-ca needs --target" in run.stderr
