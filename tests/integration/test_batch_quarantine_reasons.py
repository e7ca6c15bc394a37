"""Where a quarantined customer's reason goes: its `batch_results` row, the summary and the report —
not the chunk result a worker sends back, which carries counts only (it used to carry the reasons
too, which nothing read after the summary's sample moved to the store)."""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from adapters.batch import runner
from adapters.batch.report import write_csv
from adapters.batch.runner import MAX_ERRORS_SHOWN, BatchOptions, run_batch
from adapters.batch.worker import ChunkResult
from tests.integration.test_batch_support import AS_OF, RULES, break_customer, make_portfolio


def _break_25(url: str) -> list[str]:
    """25 customers with invoices, spread over the 6 chunks: more than the summary's sample shows."""
    engine = create_engine(url)
    with engine.connect() as conn:
        ids = [str(c) for c in conn.execute(text("SELECT DISTINCT customer_id FROM invoices ORDER BY 1")).scalars()]
    engine.dispose()
    broken = ids[3::11][:25]
    for customer_id in broken:
        break_customer(url, customer_id)
    return broken


def _reasons(url: str) -> dict[str, str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT customer_id, error FROM batch_results WHERE status = 'quarantined'")).all()
    engine.dispose()
    return {str(c): str(e) for c, e in rows}


@pytest.mark.parametrize("workers", [1, 2])
def test_each_quarantine_reason_reaches_the_store_and_report_and_chunk_results_carry_only_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    url = make_portfolio(tmp_path)
    broken = _break_25(url)
    results: list[ChunkResult] = []
    execute = runner._execute

    def recording(*args: Any) -> Iterator[ChunkResult]:
        for result in execute(*args):
            results.append(result)
            yield result

    monkeypatch.setattr(runner, "_execute", recording)

    summary = run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES, chunk_size=50, workers=workers))

    assert (summary["quarantined"], summary["quarantined_now"], summary["exit_code"]) == (25, 25, 1)
    reasons = _reasons(url)
    assert sorted(reasons) == broken
    assert all(r.startswith("load: invalid stored data: invoices")
               and ".due_on: due_on 2001-01-01 is before issued_on " in r
               for r in reasons.values())
    assert summary["quarantine_sample"] == [{"customer_id": c, "error": reasons[c]}
                                            for c in broken[:MAX_ERRORS_SHOWN]]
    out = tmp_path / "report.csv"
    write_csv(create_engine(url), str(summary["run_id"]), out)
    with out.open(encoding="utf-8") as f:
        in_report = {row["customer_id"]: row["error"] for row in csv.DictReader(f) if row["status"] == "quarantined"}
    assert in_report == reasons
    assert sum(r.quarantined for r in results) == 25
    assert all(isinstance(v, int) for r in results for v in dataclasses.asdict(r).values())
