"""The nightly batch: idempotence, quarantine, partitions, exit codes, workers."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from adapters.batch.runner import BatchInputError, BatchOptions, run_batch
from adapters.batch.runs import Partition
from tests.integration.test_batch_support import (
    AS_OF,
    CLI,
    RULES,
    break_customer,
    cli,
    digest,
    make_portfolio,
    scalar,
    summary_of,
)


def _run(url: str, **kwargs: object) -> dict[str, object]:
    return run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES, chunk_size=50, **kwargs))  # type: ignore[arg-type]


def test_a_batch_evaluates_every_customer_once_and_logs_each_decision(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)

    summary = _run(url)

    assert summary["status"] == "complete" and summary["exit_code"] == 0
    assert summary["customers"] == summary["ok"] == 300
    assert scalar(url, "SELECT COUNT(*) FROM decision_log WHERE source = 'batch'") == 300
    assert scalar(url, "SELECT COUNT(*) FROM credit_profiles WHERE as_of = '2026-11-22'") == 300
    assert scalar(url, "SELECT COUNT(DISTINCT value_class) FROM credit_profiles") == 3


def test_running_the_same_batch_again_changes_nothing(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)
    first = _run(url)
    before = digest(url)

    again = cli("batch", "--db", url, "--as-of", AS_OF.isoformat(), "--quiet")

    assert again.returncode == 0, again.stderr
    summary = summary_of(again)
    assert summary["run_id"] == first["run_id"]
    assert summary["evaluated_now"] == 0 and summary["already_done"] == 300
    assert digest(url) == before


def _run_row(url: str) -> tuple[object, ...]:
    engine = create_engine(url)
    with engine.connect() as conn:
        row = tuple(conn.execute(text("SELECT status, attempts, finished_at, seconds, customers, ok "
                                      "FROM batch_runs")).one())
    engine.dispose()
    return row


def test_a_complete_run_asked_again_says_so_and_counts_no_attempt(tmp_path: Path) -> None:
    """Before, each rerun counted an attempt and overwrote the run's finish time and seconds with its own."""
    url = make_portfolio(tmp_path)
    _run(url)
    before = _run_row(url)

    again = cli("batch", "--db", url, "--as-of", AS_OF.isoformat(), "--quiet")

    assert again.returncode == 0, again.stderr
    summary = summary_of(again)
    assert _run_row(url) == before
    assert (summary["attempt"], summary["status"], summary["evaluated_now"]) == (1, "complete", 0)
    assert (summary["customers"], summary["ok"], summary["already_complete"]) == (300, 300, True)
    assert "is already complete (attempt 1)" in again.stderr


def test_a_rerun_that_fails_leaves_the_complete_run_complete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before, the rerun's failure marked the complete run `failed`, though nothing of it was lost."""
    import adapters.batch.runner as runner

    url = make_portfolio(tmp_path)
    _run(url)
    before = _run_row(url)

    def _database_lost(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database lost")

    monkeypatch.setattr(runner, "ensure_portfolio", _database_lost)
    again = _run(url)

    assert (again["status"], again["exit_code"]) == ("failed", 3)
    assert _run_row(url) == before


def test_customers_added_after_a_complete_run_are_taken_by_a_new_attempt(tmp_path: Path) -> None:
    from adapters.store import schema as s

    url = make_portfolio(tmp_path)
    assert _run(url)["attempt"] == 1
    engine = create_engine(url)
    with engine.begin() as conn:
        row = dict(conn.execute(s.customers.select().where(s.customers.c.customer_id == "C0000001")).one()._mapping)
        conn.execute(s.customers.insert().values({**row, "customer_id": "C0009999"}))
    engine.dispose()

    again = _run(url)

    assert (again["attempt"], again["evaluated_now"], again["customers"], again["ok"]) == (2, 1, 301, 301)
    assert again["already_complete"] is False


def test_a_new_as_of_date_is_a_new_run(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)
    first = _run(url)

    second = run_batch(BatchOptions(db_url=url, as_of=AS_OF.replace(day=23), rules_dir=RULES))

    assert second["run_id"] != first["run_id"] and second["evaluated_now"] == 300
    assert scalar(url, "SELECT COUNT(*) FROM decision_log WHERE source = 'batch'") == 600


def test_a_customer_with_broken_data_is_quarantined_and_the_run_goes_on(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)
    break_customer(url, "C0000042")

    result = cli("batch", "--db", url, "--as-of", AS_OF.isoformat(), "--chunk-size", "50", "--quiet")

    assert result.returncode == 1, result.stderr
    summary = summary_of(result)
    assert (summary["ok"], summary["quarantined"]) == (299, 1)
    assert summary["quarantine_sample"][0]["customer_id"] == "C0000042"
    assert ".due_on: due_on 2001-01-01 is before issued_on " in summary["quarantine_sample"][0]["error"]
    assert summary["quarantined_now"] == 1
    assert "quarantined C0000042" in result.stderr
    assert scalar(url, "SELECT status FROM batch_results WHERE customer_id = 'C0000042'") == "quarantined"


def test_a_complete_run_asked_again_shows_its_quarantined_customers_from_the_store(tmp_path: Path) -> None:
    """Before, the rerun said `quarantined: 2` and exit 1 with `quarantine_sample: []`."""
    url = make_portfolio(tmp_path)
    for customer_id in ("C0000042", "C0000007"):
        break_customer(url, customer_id)
    first = _run(url)

    again = cli("batch", "--db", url, "--as-of", AS_OF.isoformat(), "--quiet")

    assert again.returncode == 1, again.stderr
    summary = summary_of(again)
    assert (summary["already_complete"], summary["quarantined"], summary["quarantined_now"]) == (True, 2, 0)
    assert summary["quarantine_sample"] == sorted(first["quarantine_sample"], key=lambda q: q["customer_id"])
    assert [q["customer_id"] for q in summary["quarantine_sample"]] == ["C0000007", "C0000042"]
    assert all(".due_on: due_on 2001-01-01 is before issued_on " in q["error"] for q in summary["quarantine_sample"])
    assert "quarantined C0000007: load:" in again.stderr and "quarantined C0000042: load:" in again.stderr
    assert scalar(url, "SELECT COUNT(*) FROM decision_log WHERE customer_id = 'C0000042'") == 0


def test_retry_quarantined_takes_the_fixed_customer_again(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)
    engine = create_engine(url)
    with engine.connect() as conn:
        due = conn.execute(text("SELECT invoice_id, due_on FROM invoices WHERE customer_id = 'C0000042' "
                                "ORDER BY invoice_id LIMIT 1")).one()
    break_customer(url, "C0000042")
    assert _run(url)["quarantined"] == 1
    with engine.begin() as conn:
        conn.execute(text("UPDATE invoices SET due_on = :d WHERE invoice_id = :i"), {"d": due[1], "i": due[0]})
    engine.dispose()

    again = _run(url, retry_quarantined=True)

    assert (again["evaluated_now"], again["ok"], again["quarantined"], again["exit_code"]) == (1, 300, 0, 0)


def test_partitions_cover_every_customer_exactly_once(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)
    parts = [Partition(i, 3) for i in range(3)]

    summaries = [_run(url, partition=p) for p in parts]

    sizes = [s["customers"] for s in summaries]
    assert sum(sizes) == 300 and all(40 < n < 160 for n in sizes)
    assert len({s["run_id"] for s in summaries}) == 1
    engine = create_engine(url)
    with engine.connect() as conn:
        logged = Counter(conn.execute(text("SELECT customer_id FROM decision_log WHERE source = 'batch'")).scalars())
        customers = set(conn.execute(text("SELECT customer_id FROM customers")).scalars())
        runs = conn.execute(text("SELECT part, status, customers FROM batch_runs ORDER BY part")).all()
    engine.dispose()
    assert set(logged) == customers and set(logged.values()) == {1}
    assert [(p, s) for p, s, _ in runs] == [("0/3", "complete"), ("1/3", "complete"), ("2/3", "complete")]
    for part, summary in zip(parts, summaries, strict=True):
        assert summary["customers"] == sum(1 for c in customers if part.holds(c))


def test_partitions_give_the_same_result_as_one_whole_run(tmp_path: Path) -> None:
    whole, split = make_portfolio(tmp_path, name="whole.sqlite"), make_portfolio(tmp_path, name="split.sqlite")

    _run(whole)
    for i in range(4):
        _run(split, partition=Partition(i, 4))

    a, b = digest(whole), digest(split)
    assert a["profiles"] == b["profiles"] and a["log"] == b["log"] and a["results"] == b["results"]


def test_two_workers_give_the_same_result_as_one(tmp_path: Path) -> None:
    one, two = make_portfolio(tmp_path, name="one.sqlite"), make_portfolio(tmp_path, name="two.sqlite")

    _run(one)
    result = cli("batch", "--db", two, "--as-of", AS_OF.isoformat(), "--workers", "2", "--chunk-size", "40", "--quiet")

    assert result.returncode == 0, result.stderr
    assert summary_of(result)["workers"] == 2
    assert digest(one) == digest(two)


def test_customers_another_process_settles_meanwhile_are_counted_as_already_done(tmp_path: Path) -> None:
    """Two batches on one store at once: the one that did less said `evaluated_now 50, already_done 0`
    of 300, and its progress never reached the total."""
    from sqlalchemy import create_engine

    from adapters.batch import runs
    from adapters.batch.worker import ChunkEvaluator, RunContext

    url = make_portfolio(tmp_path)
    seen: list[tuple[int, int]] = []

    def _other_process_takes_the_rest(progress: object) -> None:
        seen.append((progress.done, progress.total))  # type: ignore[attr-defined]
        if len(seen) == 2:  # after our first chunk (the first report comes before it): the other run settles the rest
            engine = create_engine(url)
            with engine.connect() as conn:
                run_id = runs.latest_run(conn)
            assert run_id is not None
            other = ChunkEvaluator(RunContext(run_id, AS_OF, url, str(RULES)), engine=engine)
            with engine.connect() as conn:
                rest = [c for (c,) in conn.execute(text("SELECT customer_id FROM customers WHERE customer_id NOT IN "
                                                        "(SELECT customer_id FROM batch_results)"))]
            other.run(rest)
            other.policy.close()
            engine.dispose()

    summary = run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES, chunk_size=50),
                        _other_process_takes_the_rest)

    assert summary["customers"] == 300 and summary["evaluated_now"] == 50
    assert summary["already_done"] == 250
    assert seen[-1] == (300, 300)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "22/11/2026"], "not an ISO date"),
        (["--partition", "3/3"], "--partition"),
        (["--partition", "x"], "--partition"),
        (["--rules", "/nonexistent/rules"], "do not load"),
    ],
)
def test_bad_input_exits_with_2_and_prints_the_bad_input_summary(tmp_path: Path, args: list[str], message: str) -> None:
    url = make_portfolio(tmp_path)

    result = cli("batch", "--db", url, "--quiet", *args)

    assert result.returncode == 2
    assert message in result.stderr
    summary = summary_of(result)  # a scheduler parsing stdout gets it however the batch ended (docs/batch.md)
    assert summary["status"] == "bad_input" and summary["exit_code"] == 2
    assert message in summary["error"]


def test_a_sqlite_store_that_is_not_there_is_bad_input_and_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "store.sqlite"

    result = cli("batch", "--db", f"sqlite:///{missing}", "--as-of", AS_OF.isoformat(), "--quiet")

    assert result.returncode == 2, result.stdout  # was: an empty store created, "complete", 0 customers, exit 0
    assert f"no store at {missing}" in result.stderr
    assert summary_of(result)["status"] == "bad_input"
    assert not missing.parent.exists()


def test_a_database_server_that_does_not_answer_is_a_retry_not_bad_input() -> None:
    """A PostgreSQL server restarting at night refuses connections: exit 3 (retry: the next start
    resumes), not exit 2 (which tells a scheduler not to retry). Nothing listens on port 1."""
    result = cli("batch", "--db", "postgresql+psycopg://risk:s3cret@127.0.0.1:1/credit", "--as-of",
                 AS_OF.isoformat(), "--quiet")  # fmt: skip

    summary = summary_of(result)
    assert result.returncode == 3 and summary["exit_code"] == 3, result.stderr  # was 2, "bad_input"
    assert summary["status"] == "failed" and "Connection refused" in summary["error"]
    assert "run the same command again" in summary["error"] and "s3cret" not in result.stderr + result.stdout
    assert summary["run_id"].startswith(AS_OF.isoformat())


def test_a_database_that_refuses_the_login_is_still_bad_input(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong password or database name does not pass by itself: exit 2, fix the command."""
    from sqlalchemy.exc import OperationalError

    def refuse(url: str, on_wait: object = None) -> None:
        raise OperationalError("connect", {}, Exception('password authentication failed for user "risk"'))

    monkeypatch.setattr("adapters.store.open_store", refuse)
    with pytest.raises(BatchInputError, match="password authentication failed"):
        _run("postgresql+psycopg://risk:wrong@db.example/credit")


def test_with_rule_tests_rules_that_fail_their_own_cases_are_bad_input(tmp_path: Path) -> None:
    """A service started with --rule-tests refuses such a rule set and keeps serving the old one; a
    batch run with --rule-tests must not re-evaluate the book with it either (exit 2). Without the
    flag (the default) the batch takes the rules as they are."""
    url = make_portfolio(tmp_path)
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    limits = rules / "limits.yaml"
    limits.write_text(limits.read_text().replace("months_of_purchases: 3.5,", "months_of_purchases: 3.2,", 1))
    before = digest(url)

    refused = cli("batch", "--db", url, "--rules", str(rules), "--as-of", AS_OF.isoformat(), "--quiet", "--rule-tests")

    assert refused.returncode == 2, refused.stderr
    assert "rule_test_failed: case " in refused.stderr and "(and 5 more)" in refused.stderr
    assert "their own test cases fail, and --rule-tests takes only rules whose cases pass" in refused.stderr
    assert summary_of(refused)["status"] == "bad_input"
    assert digest(url) == before

    taken = cli("batch", "--db", url, "--rules", str(rules), "--as-of", AS_OF.isoformat(), "--quiet")
    assert taken.returncode in (0, 1), taken.stderr
    assert summary_of(taken)["status"] == "complete" and summary_of(taken)["ok"] == 300


def test_broken_abc_cutoffs_are_bad_input_naming_file_and_line(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules, ignore=shutil.ignore_patterns("tests"))
    path = rules / "portfolio.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("b_share: 0.20", "b_share: 0.30"), encoding="utf-8")

    result = cli("batch", "--db", url, "--rules", str(rules), "--quiet")

    assert result.returncode == 2
    assert "portfolio.yaml:" in result.stderr and "a_share + b_share must stay below 1" in result.stderr
    assert summary_of(result)["status"] == "bad_input"


def test_parts_started_at_once_share_the_portfolio_pass_and_cover_every_customer_once(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)
    args = [CLI, "batch", "--db", url, "--as-of", AS_OF.isoformat(), "--quiet", "--chunk-size", "20"]

    procs = [subprocess.Popen([*args, "--partition", f"{i}/3"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for i in range(3)]  # fmt: skip
    outputs = [p.communicate(timeout=120) for p in procs]

    assert [p.returncode for p in procs] == [0, 0, 0], [err for _, err in outputs]
    assert sum(json.loads(out)["customers"] for out, _ in outputs) == 300
    assert scalar(url, "SELECT COUNT(*) FROM batch_portfolio_runs") == 1
    assert scalar(url, "SELECT COUNT(DISTINCT customer_id) FROM decision_log WHERE source = 'batch'") == 300
    assert scalar(url, "SELECT COUNT(*) FROM decision_log WHERE source = 'batch'") == 300
