"""The batch on a bad night: runs resumed out of order, stopped ones, and what `queue` and `report` say then."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from adapters.batch.runner import BatchOptions, run_batch
from tests.integration.test_batch_support import AS_OF, RULES, make_portfolio, scalar

NEXT_DAY = AS_OF + timedelta(days=1)


def _run(url: str, **kwargs: object) -> dict[str, object]:
    options = {"db_url": url, "as_of": AS_OF, "rules_dir": RULES, "chunk_size": 50, **kwargs}
    return run_batch(BatchOptions(**options))  # type: ignore[arg-type]


def test_an_older_as_of_run_finished_late_leaves_the_newer_profiles_as_they_are(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path, customers=120)
    _run(url, as_of=NEXT_DAY)

    older = _run(url)

    assert older["status"] == "complete" and older["evaluated_now"] == 120
    assert scalar(url, f"SELECT COUNT(*) FROM credit_profiles WHERE as_of = '{NEXT_DAY}'") == 120
    assert older["profiles_newer_kept"] == 120
    ok = f"SELECT COUNT(*) FROM batch_results WHERE run_id = '{older['run_id']}' AND status = 'ok'"
    assert scalar(url, ok) == 120
    assert scalar(url, f"SELECT COUNT(*) FROM decision_log WHERE source = 'batch' AND as_of = '{AS_OF}'") == 120


def test_a_run_of_the_same_day_under_another_policy_replaces_the_profiles(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path, customers=120)
    first = _run(url)
    candidate = tmp_path / "rules"
    shutil.copytree(RULES, candidate)
    (candidate / "policy.yaml").write_text((candidate / "policy.yaml").read_text() + "\n# a new version\n")

    second = _run(url, rules_dir=candidate)

    assert second["policy_version"] != first["policy_version"] and second["profiles_newer_kept"] == 0
    replaced = f"SELECT COUNT(*) FROM credit_profiles WHERE policy_version = '{second['policy_version']}'"
    assert scalar(url, replaced) == 120
