"""The store commands: import, demo-data and history, as people run them."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from adapters.store import open_store
from policy_engine.domain.models import CustomerSnapshot


def _app() -> typer.Typer:
    from policy_engine.cli import build_app

    return build_app()


@pytest.fixture
def run(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., object]:
    """Run `credit-policy <args>` against the test database (passed through $CREDIT_POLICY_DB)."""
    app = _app()
    monkeypatch.setenv("CREDIT_POLICY_DB", db_url)
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str) -> object:
        return CliRunner().invoke(app, list(args))

    return invoke


def test_import_reports_each_bad_row_as_file_line_field_and_exits_1(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "c.csv").write_text("customer_id,size\nC1,large\nC2,huge\n")

    result = run("import", "customers", "c.csv")

    assert result.exit_code == 1
    assert "c.csv:3: size:" in result.stderr and "[literal_error]" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_a_rejects_file_that_cannot_be_written_stops_the_import_before_it_starts(  # type: ignore[no-untyped-def]
    run, tmp_path: Path
) -> None:
    (tmp_path / "c.csv").write_text("customer_id,size\nC1,large\nC2,huge\n")
    (tmp_path / "a-file").write_text("")

    refused = run("import", "customers", "c.csv", "--keep-going", "--rejects", "a-file/bad.csv")
    assert refused.exit_code == 2 and "--rejects a-file/bad.csv" in refused.stderr
    assert "nothing imported" in refused.stderr and "Traceback" not in refused.stderr

    loaded = run("import", "customers", "c.csv", "--keep-going", "--rejects", "bad.csv")
    assert loaded.exit_code == 1 and "(1 customer inserted or changed)" in loaded.stderr  # C1 was not in the store yet


def test_import_with_keep_going_loads_good_rows_and_writes_rejects(run, tmp_path: Path, db_url: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "c.csv").write_text("customer_id,size\nC1,large\nC2,huge\n")

    result = run("import", "customers", "c.csv", "--keep-going", "--rejects", "bad.csv")

    assert result.exit_code == 1
    assert "bad.csv" in result.stderr
    assert (tmp_path / "bad.csv").read_text().splitlines()[1].startswith("C2,huge,")
    assert open_store(db_url).get_snapshot("C1").size == "large"


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a link to another user needs root")
def test_rejects_and_snapshot_files_are_not_written_through_a_link_another_user_planted(  # type: ignore[no-untyped-def]
        run, tmp_path: Path) -> None:
    """In a shared directory anyone may plant `bad.csv -> ~/.bashrc`; the rejects and `snapshot --out`
    wrote through it (open("w")), so the planter chose which of the runner's files was overwritten."""
    (tmp_path / "c.csv").write_text("customer_id,size\nC1,large\nC2,huge\n")
    assert run("import", "customers", "c.csv", "--keep-going", "--rejects", "first.csv").exit_code == 1  # C1 in
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    for name in ("bad.csv", "c1.json"):
        (tmp_path / name).symlink_to(victim)
        os.lchown(tmp_path / name, 12345, 12345)

    imported = run("import", "customers", "c.csv", "--keep-going", "--rejects", "bad.csv")
    snapshot = run("snapshot", "C1", "--out", "c1.json")

    assert imported.exit_code == 2 and "--rejects bad.csv" in imported.stderr
    assert snapshot.exit_code == 2 and "c1.json" in snapshot.stderr and "another user" in snapshot.stderr
    assert victim.read_text() == "keep me"


def test_import_of_a_missing_file_is_a_usage_error(run) -> None:  # type: ignore[no-untyped-def]
    result = run("import", "orders", "nothing.csv")

    assert result.exit_code == 2 and "nothing.csv" in result.stderr


def test_import_refuses_a_device_by_what_it_is(run) -> None:  # type: ignore[no-untyped-def]
    # /dev/zero never ends; it used to be called "no such file", which it plainly is not
    result = run("import", "orders", "/dev/zero")

    assert result.exit_code == 2 and "/dev/zero: not a regular file" in result.stderr


def test_import_reads_a_named_pipe_as_process_substitution_gives_one(  # type: ignore[no-untyped-def]
        run, tmp_path: Path, db_url: str) -> None:
    import os
    import threading

    pipe = tmp_path / "c.csv"
    os.mkfifo(pipe)

    def feed() -> None:
        with open(pipe, "w") as writer:
            writer.write("customer_id,size\nC1,large\n")

    threading.Thread(target=feed, daemon=True).start()
    result = run("import", "customers", "c.csv")

    assert result.exit_code == 0, result.stderr
    assert open_store(db_url).get_snapshot("C1").size == "large"


def test_a_pipe_that_is_not_utf8_is_refused_without_waiting_to_read_it_again(  # type: ignore[no-untyped-def]
        run, tmp_path: Path) -> None:
    import os
    import threading

    pipe = tmp_path / "c.csv"
    os.mkfifo(pipe)

    def feed() -> None:
        with open(pipe, "wb") as writer:
            writer.write("customer_id,name\nC1,中文\n".encode("gbk"))

    threading.Thread(target=feed, daemon=True).start()
    result = run("import", "customers", "c.csv")

    assert result.exit_code == 1 and "[bad_encoding]" in result.stderr


def test_keep_going_on_a_pipe_asks_where_the_rejects_go(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import os

    os.mkfifo(tmp_path / "c.csv")

    result = run("import", "customers", "c.csv", "--keep-going")  # never opened: no writer needed

    assert result.exit_code == 2 and "--rejects" in result.stderr


def test_snapshot_prints_the_stored_snapshot_as_evaluate_reads_it(  # type: ignore[no-untyped-def]
        run, tmp_path: Path, db_url: str) -> None:
    from policy_engine.api import load_policy
    from policy_engine.cli.snapshot_file import read_snapshot

    assert run("demo-data", "--customers", "3", "--seed", "1", "--as-of", "2026-11-22").exit_code == 0

    printed = run("snapshot", "C0000002")
    written = run("snapshot", "C0000002", "--out", "c2.json")

    assert printed.exit_code == 0 and written.exit_code == 0, printed.stderr + written.stderr
    stored = open_store(db_url).get_snapshot("C0000002")
    assert CustomerSnapshot.model_validate_json(printed.stdout) == stored
    assert read_snapshot(tmp_path / "c2.json") == stored  # the file evaluate reads
    policy = load_policy()
    assert policy.evaluate(read_snapshot(tmp_path / "c2.json"), as_of=date(2026, 11, 22)) == policy.evaluate(
        stored, as_of=date(2026, 11, 22))


def test_snapshot_of_an_unknown_customer_says_so(run) -> None:  # type: ignore[no-untyped-def]
    assert run("demo-data", "--customers", "1").exit_code == 0

    result = run("snapshot", "NOBODY")

    assert result.exit_code == 1 and "no customer 'NOBODY'" in result.stderr


def test_demo_data_prints_what_it_wrote(run) -> None:  # type: ignore[no-untyped-def]
    result = run("demo-data", "--customers", "30", "--seed", "3", "--as-of", "2026-11-22")

    assert result.exit_code == 0, result.stderr
    assert "30 customers" in result.stdout and "invoices" in result.stdout


def _log_decisions(db_url: str, snapshot: CustomerSnapshot, *days: date) -> tuple[Any, Any, list[Any]]:
    """The shipped policy's decision on `snapshot` for each day, logged as the service logs them."""
    from policy_engine.api import load_policy

    policy = load_policy()
    store = open_store(db_url)
    store.save_snapshot(snapshot)
    store.record_policy(policy.version, policy.files)
    decisions = [policy.evaluate(snapshot, as_of=day) for day in days]
    for decision in decisions:
        store.record_decision(snapshot, decision, source="service")
    return policy, store, decisions


def test_history_shows_decisions_and_replays_them(
    run,
    db_url: str,
    make_snapshot: Callable[..., CustomerSnapshot],  # type: ignore[no-untyped-def]
) -> None:
    policy, _, _ = _log_decisions(db_url, make_snapshot("C1"), date(2026, 6, 1), date(2026, 11, 22))

    table = run("history", "C1", "--replay")
    as_json = run("history", "C1", "--json", "--replay", "--last", "1")

    assert table.exit_code == 0, table.stderr
    assert "service" in table.stdout and policy.version[:12] in table.stdout
    [entry] = json.loads(as_json.stdout)
    assert entry["replay"]["reproduces"] is True
    assert entry["decision"]["reasons"] and entry["fired_rules"]


def test_history_replay_reports_a_reworded_message_apart_and_still_exits_0(
    run,
    db_url: str,
    make_snapshot: Callable[..., CustomerSnapshot],  # type: ignore[no-untyped-def]
) -> None:
    from sqlalchemy import update

    from adapters.store import schema as s

    _, store, [decision] = _log_decisions(db_url, make_snapshot("C1"), date(2026, 11, 22))
    old = [a.model_copy(update={"message": "Credit review every 1 months"}) for a in decision.actions[:1]]
    logged = decision.model_copy(update={"actions": old + list(decision.actions[1:])})
    with store.engine.begin() as conn:
        conn.execute(update(s.decision_log).values(decision_json=logged.model_dump_json()))

    table = run("history", "C1", "--replay")
    as_json = run("history", "C1", "--json", "--replay")

    assert table.exit_code == 0, table.stdout + table.stderr
    assert "yes (wording)" in table.stdout
    assert "wording only: actions[0].message: 'Credit review every 1 months'" in " ".join(table.stdout.split())
    [entry] = json.loads(as_json.stdout)
    assert (entry["replay"]["reproduces"], entry["replay"]["diffs"]) == (True, [])
    assert [w.split(":")[0] for w in entry["replay"]["wording"]] == ["actions[0].message"]


def test_history_replay_says_when_the_code_changed_since_a_decision_that_does_not_reproduce(
    run,
    db_url: str,
    make_snapshot: Callable[..., CustomerSnapshot],  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """#1 reproduces on the other build: nothing to say. #2 (logged by this build, altered) and #3 (its
    build not recorded, as before migration 0004) do not: each says the code changed since, or may have."""
    from sqlalchemy import update

    from adapters.store import replay
    from adapters.store import schema as s
    from policy_engine.build import build_id

    logged_by = build_id()
    days = (date(2026, 6, 1), date(2026, 11, 22), date(2026, 11, 23))
    _, store, decisions = _log_decisions(db_url, make_snapshot("C1"), *days)
    first, second, third = (e.id for e in store.history("C1"))
    with store.engine.begin() as conn:
        for entry_id, decision, build in ((second, decisions[1], logged_by), (third, decisions[2], None)):
            forged = decision.model_copy(update={"credit_limit": decision.credit_limit + 1})
            values = {"decision_json": forged.model_dump_json(), "build": build}
            conn.execute(update(s.decision_log).where(s.decision_log.c.id == entry_id).values(**values))
    monkeypatch.setattr(replay, "build_id", lambda: "0.1.0+000000000000")

    table = run("history", "C1", "--replay")
    as_json = run("history", "C1", "--json", "--replay")

    assert table.exit_code == as_json.exit_code == 1, table.stdout + table.stderr
    rows = {line.split("│")[1].strip(): line.split("│")[-2].strip() for line in table.stdout.splitlines()
            if line.startswith("│")}  # fmt: skip
    assert rows == {str(first): "yes", str(second): "NO (code changed)", str(third): "NO (build not recorded)"}
    text = " ".join(table.stdout.split())
    assert (f"#{second}: logged by build {logged_by}, now 0.1.0+000000000000: the code changed since, not only "
            "possibly the rules") in text
    assert (f"#{third}: logged before builds were recorded, now 0.1.0+000000000000: the code may have changed "
            "since, not only possibly the rules") in text
    entries = json.loads(as_json.stdout)
    assert [e["build"] for e in entries] == [logged_by, logged_by, None]
    builds = [e["replay"]["build"] for e in entries]
    assert [(b["logged"], b["current"]) for b in builds] == [
        (logged_by, "0.1.0+000000000000"), (logged_by, "0.1.0+000000000000"), (None, "0.1.0+000000000000")]  # fmt: skip
    assert [bool(b["note"]) for b in builds] == [False, True, True]
    assert builds[1]["note"] in text


def test_history_of_a_customer_without_decisions_exits_1(run, db_url: str) -> None:  # type: ignore[no-untyped-def]
    from adapters.store import open_store

    open_store(db_url).close()  # a store, without that customer
    result = run("history", "nobody")

    assert result.exit_code == 1 and "nobody" in result.stderr


def test_commands_that_only_read_refuse_a_sqlite_file_that_is_not_there(tmp_path: Path) -> None:
    """A typo in --db must not leave a new empty store behind and answer "nothing found" about it."""
    from policy_engine.cli import build_app

    missing = tmp_path / "typo" / "credit-policy.sqlite"
    shipped_rules = str(Path(__file__).resolve().parents[2] / "rules")
    for args in (["history", "C1"], ["queue"], ["report"], ["simulate", "--rules", shipped_rules]):
        result = CliRunner().invoke(build_app(), [*args, "--db", f"sqlite:///{missing}"])
        assert result.exit_code == 2, (args, result.output)
        assert f"no store at {missing}" in result.output, args
    assert not missing.parent.exists()


def test_commands_that_only_read_refuse_an_empty_file_and_leave_it_empty(tmp_path: Path) -> None:
    """SQLite takes a zero-byte file for an empty database: history made it a store (180 KB) and said "no
    decisions logged" about the wrong file (say, a snapshot file not yet written)."""
    from policy_engine.cli import build_app

    empty = tmp_path / "snap.json"
    empty.touch()
    for args in (["history", "C1"], ["queue"]):
        result = CliRunner().invoke(build_app(), [*args, "--db", f"sqlite:///{empty}"])

        assert result.exit_code == 2, (args, result.output)
        assert f"no store at {empty}" in result.output and "empty file" in result.output, args
        assert empty.stat().st_size == 0, args


def test_a_file_that_is_not_a_database_is_one_line_saying_to_check_db(tmp_path: Path) -> None:
    from policy_engine.cli import build_app

    snapshot = tmp_path / "snap.json"
    snapshot.write_text('{"customer_id": "C1"}')

    result = CliRunner().invoke(build_app(), ["history", "C1", "--db", f"sqlite:///{snapshot}"])

    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, result.stderr
    assert f"{snapshot}" in lines[0] and "not a database" in lines[0] and "check --db" in lines[0]


@pytest.mark.parametrize("url", ["postgresql+psycopg://risk:s3cret-pw@127.0.0.1:1/credit", "not a url s3cret-pw",
                                 "postgresql+psycopg://risk@127.0.0.1:1/credit?password=s3cret-pw",
                                 "postgresql+psycopg://risk:s3cret@s3cret-pw@127.0.0.1:1/credit"])
def test_a_store_that_cannot_be_opened_is_named_without_its_password(url: str) -> None:
    app = _app()
    result = CliRunner().invoke(app, ["history", "C1", "--db", url])
    assert result.exit_code == 2
    assert "cannot open the store" in result.output
    assert "s3cret-pw" not in result.output


_PAST_DUE = str(Path(__file__).resolve().parents[2] / "examples" / "past-due.json")


def test_evaluate_and_check_order_record_only_with_an_explicit_db_never_from_the_environment(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A what-if run (candidate rules, say) by someone whose shell has $CREDIT_POLICY_DB set for the
    batch must not land in the customer's decision history."""
    from policy_engine.build import build_id
    from policy_engine.cli import build_app

    customer = json.loads(Path(_PAST_DUE).read_text())["customer_id"]
    monkeypatch.setenv("CREDIT_POLICY_DB", db_url)
    app = build_app()
    for command in (["evaluate", _PAST_DUE], ["check-order", _PAST_DUE, "--amount", "5"]):
        quiet = CliRunner().invoke(app, [*command, "--as-of", "2026-11-22"])
        assert quiet.exit_code == 0, quiet.output
        assert "recorded" not in quiet.stderr
    store = open_store(db_url)
    try:
        assert store.history(customer) == []
    finally:
        store.close()

    said = CliRunner().invoke(app, ["evaluate", _PAST_DUE, "--as-of", "2026-11-22", "--db", db_url])
    assert said.exit_code == 0, said.output
    assert "recorded in the audit log of" in said.stderr and "policy_version" in said.stderr
    store = open_store(db_url)
    try:
        assert [(e.source, e.build) for e in store.history(customer)] == [("cli", build_id())]
    finally:
        store.close()


@pytest.mark.parametrize("command", [["batch"], ["report"], ["simulate", "--rules", "rules"],
                                     ["serve", "--port", "0"], ["serve", "--port", "0", "--processes", "2"],
                                     ["evaluate", _PAST_DUE], ["check-order", _PAST_DUE, "--amount", "5"]])
def test_batch_and_serve_name_an_unreachable_store_without_its_password(command: list[str]) -> None:
    from policy_engine.cli import build_app

    url = "postgresql+psycopg://risk:s3cret-pw@127.0.0.1:1/credit"
    result = CliRunner().invoke(build_app(), [*command, "--db", url])
    # The nightly batch retries a server that does not answer (exit 3: docs/batch.md); the others: exit 2.
    assert result.exit_code == (3 if command == ["batch"] else 2), result.output
    assert "cannot open the store" in result.output
    assert "risk:***@127.0.0.1" in result.output
    assert "s3cret-pw" not in result.output


def test_a_postgresql_server_that_never_answers_is_an_error_in_bounded_time_not_a_hang(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import socket
    import time

    from adapters.store import engine as store_engine
    from policy_engine.cli import build_app

    monkeypatch.setattr(store_engine, "PG_CONNECT_TIMEOUT", 1)
    silent = socket.create_server(("127.0.0.1", 0))  # takes connections (the kernel does), never answers
    try:
        url = f"postgresql+psycopg://risk:s3cret-pw@127.0.0.1:{silent.getsockname()[1]}/credit"
        started = time.monotonic()
        result = CliRunner().invoke(build_app(), ["serve", "--port", "0", "--db", url])
        assert time.monotonic() - started < 30
    finally:
        silent.close()
    assert result.exit_code == 2, result.output
    assert "cannot open the store" in result.output and "s3cret-pw" not in result.output


@pytest.mark.parametrize("value", ["abc", "-1", "1001", "nan"])
@pytest.mark.parametrize("models", [[], ["--processes", "1"]])
def test_serve_refuses_a_bad_decision_log_linger_before_starting(value: str, models: list[str], tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from policy_engine.cli import build_app

    monkeypatch.setenv("CREDIT_POLICY_LOG_LINGER_MS", value)
    db = tmp_path / "store.sqlite"
    result = CliRunner().invoke(build_app(), ["serve", "--port", "0", *models, "--db", f"sqlite:///{db}"])
    assert result.exit_code == 2, result.output
    assert f"$CREDIT_POLICY_LOG_LINGER_MS: expected milliseconds from 0 to 1,000, got '{value}'" in result.output
    assert not db.exists()  # refused before anything was opened


def test_engine_workers_that_cannot_start_end_serve_with_one_line_not_a_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from adapters.grpc import server
    from policy_engine.cli import build_app
    from policy_engine.domain.errors import EngineFailure

    async def workers_fail(**_: object) -> None:
        raise EngineFailure("worker failed to load the policy: OperationalError: unable to open database file")

    monkeypatch.setattr(server, "run_service", workers_fail)
    result = CliRunner().invoke(build_app(), ["serve", "--port", "0", "--create-store",
                                              "--db", f"sqlite:///{tmp_path / 's.sqlite'}"])

    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines()[-1] == (
        "serve: the engine workers could not start: worker failed to load the policy: OperationalError: "
        "unable to open database file")
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(("name", "text", "first_line"), [
    ("c.csv", "", "names its columns"),
    ("c.csv", "\n \n", "names its columns"),
    ("c.csv", "\ufeff", "names its columns"),
    ("c.jsonl", "", "one JSON object"),
    ("c.jsonl", "\n\n", "one JSON object"),
])
def test_importing_an_empty_file_says_it_is_empty_and_what_its_first_line_holds_in_one_line(  # type: ignore[no-untyped-def]
    run, tmp_path: Path, name: str, text: str, first_line: str,
) -> None:
    """An empty CSV said `customer_id: required column is missing`; an empty JSON-lines file imported 0 rows, exit 0."""
    (tmp_path / name).write_text(text, encoding="utf-8")

    result = run("import", "customers", name)

    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"{name}:1: ") and line.endswith("[empty_file]")
    assert first_line in line and "missing" not in line


def test_a_csv_whose_first_line_is_blank_says_so_not_that_a_column_is_missing(  # type: ignore[no-untyped-def]
    run, tmp_path: Path,
) -> None:
    (tmp_path / "c.csv").write_text("\ncustomer_id,size\nC1,large\n")

    result = run("import", "customers", "c.csv")

    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("c.csv:1: ") and line.endswith("[blank_header]")
