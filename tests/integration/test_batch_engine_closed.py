"""A batch whose rule engine closed after repeated failures goes on with a freshly compiled copy of
the same policy, a bounded number of times (each closing leaves its abandoned engine rulesets in
memory), instead of quarantining every customer left."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from adapters.batch import worker as batch_worker
from adapters.batch.runner import BatchOptions, run_batch
from policy_engine import engine
from tests.integration.test_batch_support import AS_OF, RULES, make_portfolio, scalar


class FailingCore:
    """The durable_rules core whose next `failures` assert calls fail, as a real failure inside it
    would, once armed (compiling a policy asserts facts too)."""

    def __init__(self, real: Any, failures: int):
        self._real = real
        self.left = failures
        self.armed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def assert_facts(self, handle: Any, payload: str) -> Any:
        if self.armed and self.left > 0:
            self.left -= 1
            raise RuntimeError("injected engine failure (test)")
        return self._real.assert_facts(handle, payload)


def fail_from_the_first_decision(monkeypatch: pytest.MonkeyPatch, failures: int) -> FailingCore:
    """Arm the failures once the batch's worker holds its policy."""
    core = FailingCore(engine._core, failures)
    monkeypatch.setattr(engine, "_core", core)
    init = batch_worker.ChunkEvaluator.__init__

    def armed_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        core.armed = True

    monkeypatch.setattr(batch_worker.ChunkEvaluator, "__init__", armed_init)
    return core


def _run(url: str) -> dict[str, Any]:
    # One worker: the chunks are decided in this process, where the engine's core is patched.
    return run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES, chunk_size=50))


def test_a_closed_engine_is_compiled_afresh_and_the_run_goes_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    url = make_portfolio(tmp_path)
    monkeypatch.setattr(engine, "MAX_REPLACEMENTS", 2)  # the third failed match closes the ruleset
    fail_from_the_first_decision(monkeypatch, 3)

    with caplog.at_level(logging.WARNING, logger="credit_policy.batch"):
        summary = _run(url)

    # The first two failures are ordinary ones (those customers are quarantined, for a retry); the third
    # closed the engine, and that customer was decided again on a fresh copy, like every one after it.
    assert (summary["ok"], summary["quarantined"]) == (298, 2)
    errors = scalar(url, "SELECT GROUP_CONCAT(error, '|') FROM batch_results WHERE status = 'quarantined'")
    assert errors.count("injected engine failure (test)") == 2
    assert "afresh (1 of at most 2)" in caplog.text and "closed after 2 failed matches" in caplog.text


def test_a_worker_compiles_afresh_at_most_max_recompiles_times(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    url = make_portfolio(tmp_path)
    monkeypatch.setattr(engine, "MAX_REPLACEMENTS", 0)  # every failed match closes the ruleset
    fail_from_the_first_decision(monkeypatch, 10**6)

    with caplog.at_level(logging.WARNING, logger="credit_policy.batch"):
        summary = _run(url)

    # The engine never works again: each attempt to compile afresh fails too (compiling matches facts),
    # and after MAX_RECOMPILES attempts the worker stops trying. Every customer is quarantined with the
    # reason, none is lost, the run completes.
    assert summary["status"] == "complete" and summary["quarantined"] == 300
    attempts = [r for r in caplog.records if "afresh" in r.getMessage()]
    assert [f"({k} of at most {batch_worker.MAX_RECOMPILES})" in r.getMessage()
            for k, r in enumerate(attempts, 1)] == [True] * batch_worker.MAX_RECOMPILES
    assert scalar(url, "SELECT COUNT(*) FROM batch_results WHERE error LIKE '%ruleset is closed after 0 failed%'") \
        == 300 - batch_worker.MAX_RECOMPILES  # the customers that met an attempt show that attempt's failure
