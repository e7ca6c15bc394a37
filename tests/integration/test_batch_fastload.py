"""The batch's snapshot loader gives exactly the store's snapshots."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from adapters.batch.fastload import load_raw, validate
from adapters.store import open_store
from tests.integration.test_batch_support import make_portfolio


@pytest.mark.parametrize("as_of", [None, date(2026, 10, 1)])  # the latest; as known before the data's own date
def test_the_batch_loader_returns_the_stores_snapshots(tmp_path: Path, as_of: date | None) -> None:
    store = open_store(make_portfolio(tmp_path))
    ids = [i for chunk in store.iter_customer_ids(1000) for i in chunk] + ["NO-SUCH-CUSTOMER"]

    with store.engine.connect() as conn:
        loaded = load_raw(conn, ids, "no-run", as_of)
    expected = {s.customer_id: s for s in store.get_snapshots(ids, as_of)}
    store.close()

    assert set(loaded.data) == set(expected)
    for customer_id, values in loaded.data.items():
        assert validate(values) == expected[customer_id], customer_id
