"""Ctrl-C during the batch stops it and quarantines nobody, even when a library wraps the interrupt."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from adapters.batch import worker as batch_worker
from adapters.batch.runner import BatchOptions, run_batch
from policy_engine.cli import build_app
from tests.integration.test_batch_support import AS_OF, RULES, break_customer, digest, make_portfolio, scalar

INTERRUPTED_AT = "C0000120"


def _ctrl_c_inside_a_library(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C lands while customer INTERRUPTED_AT is decided, inside code that turns it into an ordinary
    exception, as pydantic does in a serializer (`PydanticSerializationError: … KeyboardInterrupt`)."""
    decide = batch_worker.ChunkEvaluator._decide

    def interrupted(self: Any, snapshot: Any) -> Any:
        if snapshot.customer_id == INTERRUPTED_AT:
            try:
                signal.raise_signal(signal.SIGINT)  # the process's SIGINT handler runs here
            except KeyboardInterrupt as exc:
                raise RuntimeError(f"Error calling function `_decimal_str`: {exc!r}") from None
        return decide(self, snapshot)

    monkeypatch.setattr(batch_worker.ChunkEvaluator, "_decide", interrupted)


def test_a_ctrl_c_a_library_wraps_stops_the_run_and_quarantines_nobody(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = make_portfolio(tmp_path)
    _ctrl_c_inside_a_library(monkeypatch)

    result = CliRunner().invoke(build_app(), ["batch", "--db", url, "--as-of", AS_OF.isoformat(),
                                              "--chunk-size", "50", "--quiet"])  # fmt: skip

    assert result.exit_code == 130, result.output
    assert "interrupted: run the same command again to resume" in result.output
    assert scalar(url, "SELECT COUNT(*) FROM batch_results WHERE status = 'quarantined'") == 0
    assert scalar(url, "SELECT COUNT(*) FROM batch_results") < 300  # it stopped
    assert scalar(url, "SELECT status FROM batch_runs") == "failed"


def test_the_run_resumed_after_a_wrapped_ctrl_c_equals_an_uninterrupted_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url, clean = make_portfolio(tmp_path), make_portfolio(tmp_path, name="clean.sqlite")
    run_batch(BatchOptions(db_url=clean, as_of=AS_OF, rules_dir=RULES, chunk_size=50))
    _ctrl_c_inside_a_library(monkeypatch)
    CliRunner().invoke(build_app(), ["batch", "--db", url, "--as-of", AS_OF.isoformat(), "--chunk-size", "50",
                                     "--quiet"])  # fmt: skip
    monkeypatch.undo()

    resumed = run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES, chunk_size=50))

    assert (resumed["exit_code"], resumed["ok"], resumed["quarantined"]) == (0, 300, 0)
    assert digest(url) == digest(clean)


def test_a_worker_process_leaves_ctrl_c_to_the_main_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = make_portfolio(tmp_path)
    monkeypatch.setattr(batch_worker, "_evaluator", None)
    previous = signal.getsignal(signal.SIGINT)
    try:
        batch_worker.init_worker(batch_worker.RunContext("test-run", AS_OF, url, str(RULES)))  # as in each worker

        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # it finishes its chunk; the main process stops
    finally:
        signal.signal(signal.SIGINT, previous)
        if batch_worker._evaluator is not None:
            batch_worker._evaluator.policy.close()
            batch_worker._evaluator.engine.dispose()


def test_a_resumed_run_lists_the_customers_quarantined_before_the_interruption(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before, the resumed attempt's `quarantine_sample` was `[]` (it listed only its own) while it said
    `quarantined: 1` and exit 1: the report of a complete run must name the run's quarantined customers."""
    url = make_portfolio(tmp_path)
    break_customer(url, "C0000042")  # in the first chunk of 50, settled before the Ctrl-C at C0000120
    break_customer(url, "C0000250")  # left for the resumed attempt
    _ctrl_c_inside_a_library(monkeypatch)
    CliRunner().invoke(build_app(), ["batch", "--db", url, "--as-of", AS_OF.isoformat(), "--chunk-size", "50",
                                     "--quiet"])  # fmt: skip
    monkeypatch.undo()
    assert scalar(url, "SELECT status FROM batch_results WHERE customer_id = 'C0000042'") == "quarantined"

    resumed = run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES, chunk_size=50))

    assert (resumed["attempt"], resumed["status"], resumed["exit_code"]) == (2, "complete", 1)
    assert [q["customer_id"] for q in resumed["quarantine_sample"]] == ["C0000042", "C0000250"]
    assert all(".due_on: due_on 2001-01-01 is before issued_on " in q["error"]
               for q in resumed["quarantine_sample"])
    # the whole run's count, and this attempt's share of it, labelled as evaluated_now is
    assert (resumed["quarantined"], resumed["evaluated_now"], resumed["quarantined_now"]) == (2, 200, 1)


def _blocked_signals(out: Any) -> None:
    out.put(sorted(int(sig) for sig in signal.pthread_sigmask(signal.SIG_BLOCK, [])))


def test_a_worker_starting_up_is_deaf_to_ctrl_c_from_its_first_instruction() -> None:
    """A Ctrl-C while the workers were still importing their libraries (1-2 s into a run) printed a
    40-line KeyboardInterrupt traceback from each worker above the batch's own `interrupted` line.
    A worker is spawned with SIGINT and SIGHUP blocked (the mask crosses exec), so it never sees them
    before init_worker ignores them; SIGTERM still ends it, and the main process's mask is as before."""
    import multiprocessing

    from adapters.batch import interrupt

    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    with interrupt.deaf_children():
        child = context.Process(target=_blocked_signals, args=(out,))
        child.start()
    blocked = out.get(timeout=60)
    child.join(timeout=60)

    assert signal.SIGINT in blocked and signal.SIGHUP in blocked and signal.SIGTERM not in blocked
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before
