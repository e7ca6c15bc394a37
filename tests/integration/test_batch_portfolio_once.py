"""The portfolio pass once per run: a part that waited while another computed it reads it, and keeps it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from adapters.batch import portfolio_once
from adapters.batch.config import portfolio_config
from adapters.batch.runs import make_run_id
from policy_engine.api import load_policy
from tests.integration.test_batch_support import AS_OF, RULES, make_portfolio, scalar


def test_a_part_that_looked_before_another_committed_the_pass_keeps_the_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two batches at once: the one that waited deleted the pass just committed, so its customers ran without
    this run's value classes (42 of 1,200 came out with none, against class C from one process)."""
    url = make_portfolio(tmp_path)
    policy = load_policy(RULES)
    config, run_id = portfolio_config(policy), make_run_id(AS_OF, policy.version)
    engine = create_engine(url)
    portfolio_once.ensure_portfolio(engine, run_id, AS_OF, config)  # the other process computed and committed it
    summary, looked = portfolio_once.portfolio_summary, []

    def _not_there_at_the_first_look(conn: Any, run: str) -> Any:  # this one looked before that commit
        looked.append(run)
        return None if len(looked) == 1 else summary(conn, run)

    monkeypatch.setattr(portfolio_once, "portfolio_summary", _not_there_at_the_first_look)
    read = portfolio_once.ensure_portfolio(engine, run_id, AS_OF, config)
    engine.dispose()
    policy.close()

    assert len(looked) == 2 and read["customers"] == 300
    assert scalar(url, "SELECT COUNT(*) FROM batch_portfolio") == 300
