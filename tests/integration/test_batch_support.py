"""Helpers shared by the batch tests (this module holds no tests): demo portfolios, CLI runs, DB digests."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from adapters.batch import runs
from adapters.batch.worker import ChunkEvaluator, RunContext
from adapters.demo_data import generate_demo_data
from adapters.store import open_store

AS_OF = date(2026, 11, 22)
RULES = Path(__file__).resolve().parents[2] / "rules"
CLI = str(Path(sys.executable).parent / "credit-policy")
_TEMPLATES: dict[tuple[int, int], Path] = {}


def make_portfolio(tmp_path: Path, customers: int = 300, seed: int = 7, name: str = "store.sqlite") -> str:
    """A fresh SQLite file holding a demo portfolio (generated once per size and seed, then copied)."""
    key = (customers, seed)
    template = _TEMPLATES.get(key)
    if template is None or not template.exists():
        template = tmp_path.parent / f"batch-template-{customers}-{seed}.sqlite"
        if not template.exists():
            store = open_store(f"sqlite:///{template}")
            generate_demo_data(store.engine, customers, seed=seed, as_of=AS_OF)
            with store.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            store.close()
        _TEMPLATES[key] = template
    target = tmp_path / name
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def break_customer(url: str, customer_id: str) -> None:
    """Stored data the model refuses: an invoice due before it was issued (written behind the importer's back)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE invoices SET due_on = '2001-01-01' WHERE invoice_id = "
                          "(SELECT MIN(invoice_id) FROM invoices WHERE customer_id = :c)"), {"c": customer_id})
    engine.dispose()


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `credit-policy ARGS` in this process (typer's CliRunner), as a finished process would be seen: its exit
    code, stdout and stderr. Starting the command as a process of its own cost ~0.6-1 s of CPU a call (Python, the
    imports, the rules parsed again) in tests about what the command does, not about its process; those about
    the process (signals, kills, two at once) start CLI themselves. An exception the command did not handle
    comes back as the process would show it: exit code 1 and its traceback on stderr (so a test that says
    "Traceback" is not in stderr still fails on one)."""
    from policy_engine.cli import build_app

    result = _RUNNER.invoke(build_app(), list(args))
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        assert result.exc_info is not None
        stderr += "".join(traceback.format_exception(*result.exc_info))
    return subprocess.CompletedProcess([CLI, *args], result.exit_code, result.stdout, stderr)


_RUNNER = CliRunner()


def summary_of(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The JSON summary a command printed on stdout."""
    return dict(json.loads(result.stdout))


def digest(url: str) -> dict[str, Any]:
    """What a run leaves behind, without timestamps: profiles, results, batch log entries, actions."""
    engine = create_engine(url)
    with engine.connect() as conn:
        profiles = conn.execute(text(
            "SELECT customer_id, grade, grade_class, value_class, credit_limit, limit_valid_until, next_review_on, "
            "score, policy_version, as_of FROM credit_profiles ORDER BY customer_id")).all()
        results = conn.execute(text(
            "SELECT run_id, customer_id, status, grade, value_class, credit_limit, exposure, prev_grade, prev_limit "
            "FROM batch_results ORDER BY run_id, customer_id")).all()
        log = conn.execute(text(
            "SELECT customer_id, as_of, policy_version, snapshot_hash, decision_json FROM decision_log "
            "WHERE source = 'batch' ORDER BY customer_id, as_of, policy_version")).all()
        actions = conn.execute(text(
            "SELECT run_id, customer_id, code, due_on, target_id, rule_id FROM batch_actions "
            "ORDER BY run_id, customer_id, code, target_id, rule_id")).all()
    engine.dispose()
    return {"profiles": profiles, "results": results, "log": log, "actions": actions}


def scalar(url: str, sql: str) -> Any:
    """One value from the database."""
    engine = create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar()
    engine.dispose()
    return value


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (its workers and multiprocessing's resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except (OSError, ValueError):
            continue
        if entry.name.isdigit() and int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Whether process `pid` runs (a zombie does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def workers_outliving(proc: subprocess.Popen[str], workers: list[int]) -> list[int]:
    """Kill `proc` alone (`kill -9 PID`, as the OOM killer does); those of `workers` still alive 15 s later,
    killed then so that they are not left to the next test."""
    proc.kill()  # the main process only, not its group
    proc.wait()  # not communicate(): a worker left alive holds the pipes open
    for pipe in (proc.stdout, proc.stderr):
        assert pipe is not None
        pipe.close()
    deadline = time.monotonic() + 15
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in workers if alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    return left


def run_id_of(url: str) -> str:
    """The newest batch run of the store at `url`."""
    engine = create_engine(url)
    with engine.connect() as conn:
        run_id = runs.latest_run(conn)
    engine.dispose()
    assert run_id is not None
    return run_id


def settle_as_another_process(url: str, customer_ids: list[str]) -> None:
    """What a second batch on the same part does: settle customers of the run in its own transaction."""
    engine = create_engine(url)
    other = ChunkEvaluator(RunContext(run_id_of(url), AS_OF, url, str(RULES)), engine=engine)
    other.run(customer_ids)
    other.policy.close()
    engine.dispose()
