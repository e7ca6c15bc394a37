"""Nights of the batch on unchanged data store each distinct input snapshot once, and every entry replays."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from adapters.batch.runner import BatchOptions, run_batch
from adapters.store import open_store
from adapters.store.replay import Replayer
from policy_engine.build import build_id
from tests.integration.test_batch_support import AS_OF, RULES, make_portfolio, scalar


def test_three_nights_on_unchanged_data_store_each_snapshot_once_and_replay(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path, customers=120)
    stored_after = []
    for night in range(3):
        day = AS_OF + timedelta(days=night)
        summary = run_batch(BatchOptions(db_url=url, as_of=day, rules_dir=RULES, chunk_size=25))
        assert summary["exit_code"] == 0
        stored_after.append(scalar(url, "SELECT COUNT(*) FROM decision_snapshots"))

    engine = create_engine(url)
    counts = text(
        "SELECT COUNT(*), COUNT(l.snapshot_json), COUNT(DISTINCT l.snapshot_hash), "
        "SUM(CASE WHEN s.snapshot_hash IS NULL THEN 1 ELSE 0 END) "
        "FROM decision_log l LEFT JOIN decision_snapshots s ON s.snapshot_hash = l.snapshot_hash"
    )
    with engine.connect() as conn:
        entries, own_copies, distinct, dangling = conn.execute(counts).one()
    engine.dispose()
    assert (entries, own_copies, dangling) == (360, 0, 0)
    assert stored_after[-1] == distinct  # one row per distinct snapshot, never two
    # Night 2 sees the profiles night 1 wrote (current grade and limit are part of the input);
    # night 3 sees what night 2 wrote, mostly the same: few new snapshots.
    assert stored_after[2] - stored_after[1] < 120 // 4

    store = open_store(url)
    replayer = Replayer(store.policy_files)
    for customer_id in ("C0000001", "C0000050", "C0000120"):
        history = store.history(customer_id)
        assert [e.as_of for e in history] == [AS_OF + timedelta(days=n) for n in range(3)]
        assert all(e.snapshot_intact() for e in history)
        assert {e.build for e in history} == {build_id()}  # the batch's workers name the code that decided
        assert [replayer.replay(e).reproduces for e in history] == [True, True, True]
    store.close()
