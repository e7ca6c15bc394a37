"""A report holds every customer's grade, limit and exposure: its files are created for their owner only (0600),
and a report folder the command makes too (0700), whatever the umask. Under the usual umask 022 they were
0644 and 0755, readable by every local user, while the store beside them is 0600."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine

from adapters.batch import report, runs
from adapters.batch.runner import BatchOptions, run_batch
from tests.integration.test_batch_support import AS_OF, RULES, make_portfolio
from tests.integration.test_store_file_mode import _mode as mode
from tests.integration.test_store_file_mode import _usual_umask as _usual_umask  # autouse here too: umask 022


def test_a_new_report_and_its_new_folder_are_the_owners_only_under_the_usual_umask(
        tmp_path: Path) -> None:
    url = make_portfolio(tmp_path, customers=20)
    run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES))
    engine = create_engine(url)
    with engine.connect() as conn:
        run_id = runs.latest_run(conn)
    assert run_id is not None

    paths = report.write_report(engine, run_id, tmp_path / "shared" / "reports")

    assert {kind: oct(mode(path)) for kind, path in paths.items()} == dict.fromkeys(("html", "csv", "json"), "0o600")
    assert oct(mode(tmp_path / "shared" / "reports")) == "0o700"
    assert oct(mode(tmp_path / "shared")) == "0o755"  # a parent made on the way: the umask's, as the store's folders

    paths["csv"].chmod(0o640)  # shared with the owner's group on purpose
    rewritten = report.write_report(engine, run_id, tmp_path / "shared" / "reports")
    engine.dispose()

    assert oct(mode(rewritten["csv"])) == "0o640" and oct(mode(rewritten["html"])) == "0o600"
