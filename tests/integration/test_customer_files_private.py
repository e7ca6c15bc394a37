"""Every file a command writes holds customers' data — queue --csv, simulate --csv, snapshot --out, import's
rejects — so a new one is its owner's only (0600), and a folder made for it 0700, whatever the umask, as the
report and the store are. Under the usual umask 022 they were 0644, readable by every local user."""

from __future__ import annotations

from pathlib import Path

from adapters.batch.runner import BatchOptions, run_batch
from adapters.importers import run_import
from tests.integration.test_batch_support import AS_OF, RULES, cli, make_portfolio
from tests.integration.test_store_file_mode import _mode as mode
from tests.integration.test_store_file_mode import _usual_umask as _usual_umask  # autouse here too: umask 022
from tests.integration.test_store_import import INVOICES_CSV, _with_customers


def test_queue_simulate_and_snapshot_files_are_the_owners_only_under_the_usual_umask(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path, customers=20)
    run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES))
    day = AS_OF.isoformat()

    queue = cli("queue", "--db", url, "--date", day, "--csv", str(tmp_path / "shared" / "queue" / "q.csv"))
    simulate = cli("simulate", "--rules", str(RULES), "--db", url, "--as-of", day, "--csv", str(tmp_path / "s.csv"))
    snapshot = cli("snapshot", "C0000001", "--db", url, "--out", str(tmp_path / "c1.json"))

    assert [r.returncode for r in (queue, simulate, snapshot)] == [0, 0, 0], (queue.stderr, simulate.stderr,
                                                                              snapshot.stderr)
    files = {name: oct(mode(tmp_path / name)) for name in ("shared/queue/q.csv", "s.csv", "c1.json")}
    assert files == dict.fromkeys(files, "0o600")
    assert oct(mode(tmp_path / "shared" / "queue")) == "0o700"  # the folder made for it
    assert oct(mode(tmp_path / "shared")) == "0o755"  # a parent made on the way: the umask's, as the report's


def test_a_new_rejects_file_is_the_owners_only_even_from_an_input_others_may_read(db_url: str, tmp_path: Path) -> None:
    store = _with_customers(db_url, tmp_path)
    path = tmp_path / "invoices.csv"
    path.write_text(INVOICES_CSV, encoding="utf-8")
    path.chmod(0o644)
    rejects = tmp_path / "rejected.csv"

    report = run_import(store.engine, "invoices", path, keep_going=True, rejects_path=rejects)

    assert report.rows_rejected > 0 and oct(mode(rejects)) == "0o600"
