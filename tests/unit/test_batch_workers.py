"""`credit-policy batch --workers` and `simulate --workers`: more workers than CPUs is allowed, and warned
about once."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from policy_engine.cli import batch_cmds, build_app

runner = CliRunner()


def _cpus(monkeypatch: pytest.MonkeyPatch, cpus: int) -> None:
    """This process may run on `cpus` CPUs of a 64-CPU machine (as under `taskset` or a cpuset)."""
    monkeypatch.delattr(os, "process_cpu_count", raising=False)  # Python 3.13+: follows the affinity
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cpus)), raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)


def _batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int, cpus: int) -> Any:
    """The batch command with `cpus` usable CPUs and the run itself faked: only what the command says counts."""
    import adapters.batch.runner as batch_runner
    from adapters.store import open_store

    store = tmp_path / "store.sqlite"
    open_store(f"sqlite:///{store}").close()  # an empty store: a zero-byte file is refused as no store
    _cpus(monkeypatch, cpus)
    monkeypatch.setattr(batch_runner, "run_batch", lambda opts, hook, summary=None, on_notice=None, on_warning=None: {
        "status": "complete", "exit_code": 0, "workers": opts.workers})  # fmt: skip
    return runner.invoke(build_app(), ["batch", "--db", f"sqlite:///{store}", "--workers", str(workers), "--quiet"])


def _simulate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int, cpus: int) -> Any:
    """The simulate command with `cpus` usable CPUs and the comparison itself faked."""
    import adapters.batch.simulate as batch_simulate

    _cpus(monkeypatch, cpus)
    monkeypatch.setattr(batch_simulate, "simulate", lambda db_url, live, rules, day, workers, order, on_wait=None,
                        order_options=None, on_progress=None: {"errors": [], "workers": workers})  # fmt: skip
    return runner.invoke(build_app(), ["simulate", "--rules", str(tmp_path), "--db", f"sqlite:///{tmp_path}/s.sqlite",
                                       "--workers", str(workers), "--json"])  # fmt: skip


COMMANDS = {"batch": _batch, "simulate": _simulate}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(("workers", "cpus"), [(3, 2), (8, 2), (2, 1)])
def test_more_workers_than_cpus_run_with_one_warning_and_the_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, workers: int, cpus: int
) -> None:
    result = COMMANDS[command](tmp_path, monkeypatch, workers, cpus)

    assert result.exit_code == 0, result.output
    assert result.stderr.count("warning:") == 1
    assert f"--workers {workers} is more than the {cpus} CPU(s)" in result.stderr
    assert f"use --workers {cpus}, one per CPU" in result.stderr
    assert '"workers": ' + str(workers) in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(("workers", "cpus"), [(1, 2), (2, 2), (1, 1), (4, 8)])
def test_workers_up_to_the_cpu_count_run_without_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, workers: int, cpus: int
) -> None:
    result = COMMANDS[command](tmp_path, monkeypatch, workers, cpus)

    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr


def test_the_cpus_counted_are_those_this_process_may_run_on(monkeypatch: pytest.MonkeyPatch) -> None:
    _cpus(monkeypatch, 3)

    assert batch_cmds.usable_cpus() == 3


def test_batch_help_gives_the_default_and_the_advice() -> None:
    result = runner.invoke(build_app(), ["batch", "--help"], env={"COLUMNS": "200"})

    text = " ".join(result.output.split())
    assert "[default: 1]" in text and "one per CPU" in text and "--workers $(nproc)" in text


def test_simulate_help_gives_the_default_and_the_advice() -> None:
    result = runner.invoke(build_app(), ["simulate", "--help"], env={"COLUMNS": "200"})

    text = " ".join(result.output.split())
    assert "[default: 1]" in text and "one per CPU" in text and "only compete for the cores" in text


def test_batch_help_gives_the_exit_status_of_a_hang_up_and_an_unwritable_report() -> None:
    """docs/batch.md's exit table: SIGHUP is 3 like SIGTERM, and a --report-dir that cannot be written is 2."""
    result = runner.invoke(build_app(), ["batch", "--help"], env={"COLUMNS": "200"})

    text = " ".join(result.output.split())
    assert "SIGTERM or SIGHUP" in text and "--report-dir that cannot be written" in text
