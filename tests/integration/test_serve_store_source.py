# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""`serve` refusing a store says where its location came from: --db, $CREDIT_POLICY_DB, or the default; the
`serving` line names the store it serves from."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from policy_engine.cli import build_app
from tests.integration.conftest_grpc import (
    ROOT,
    server_factory,  # noqa: F401  (a fixture: pytest finds it by name)
)

UNREACHABLE = "postgresql+psycopg://risk:s3cret-pw@127.0.0.1:1/credit"


@pytest.mark.parametrize("model", [[], ["--processes", "1"]])
def test_a_store_from_the_environment_that_cannot_be_opened_is_named_as_coming_from_it(
        model: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDIT_POLICY_DB", UNREACHABLE)

    result = CliRunner().invoke(build_app(), ["serve", "--port", "0", *model])

    assert result.exit_code == 2, result.output
    assert "cannot open the store" in result.output
    assert "$CREDIT_POLICY_DB" in result.output and "s3cret-pw" not in result.output


def test_a_store_given_with_db_is_not_said_to_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDIT_POLICY_DB", "sqlite:///never-used.sqlite")

    result = CliRunner().invoke(build_app(), ["serve", "--port", "0", "--db", UNREACHABLE])

    assert result.exit_code == 2, result.output
    assert "cannot open the store" in result.output and "$CREDIT_POLICY_DB" not in result.output


@pytest.mark.parametrize("model", [{"workers": 0}, {"workers": 1}, {"processes": 1}])
def test_the_serving_line_names_the_store_it_serves_from(server_factory: Any, tmp_path: Path,
                                                         model: dict[str, int]) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"

    with_store = server_factory("--db", url, "--create-store", "--watch-interval", "0", name="sql", **model)
    in_memory = server_factory("--watch-interval", "0", name="mem", **model)

    assert with_store.wait_for_event("serving")["store"] == url
    assert in_memory.wait_for_event("serving")["store"] == "memory"


def test_a_start_logs_the_store_migrations_it_runs_and_not_alembic_s_set_up_chatter(
        server_factory: Any, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"

    fresh = server_factory("--db", url, "--create-store", "--watch-interval", "0", name="fresh", workers=0)
    fresh.stop()
    again = server_factory("--db", url, "--watch-interval", "0", name="again", workers=0)

    said = [[e["event"] for e in s.events() if e.get("logger", "").startswith("alembic")] for s in (fresh, again)]
    assert any(line.startswith("Running upgrade") for line in said[0])
    assert said[1] == []


MODELS = [[], ["--workers", "0"], ["--processes", "1"]]


@pytest.mark.parametrize("model", MODELS)
def test_a_sqlite_store_that_is_not_there_is_refused_and_nothing_is_created(
        model: list[str], tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "dir" / "x.sqlite"

    result = CliRunner().invoke(build_app(), ["serve", "--port", "0", *model, "--db", f"sqlite:///{missing}"])

    assert result.exit_code == 2, result.output
    assert f"serve: no store at {missing} (sqlite:///{missing}); check --db" in result.stderr
    assert "--create-store" in result.stderr and "$CREDIT_POLICY_DB" not in result.stderr.split(";")[0]
    assert not (tmp_path / "typo").exists()  # neither the folders nor the file


@pytest.mark.parametrize("model", MODELS)
def test_a_missing_store_names_where_its_url_came_from(model: list[str], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CREDIT_POLICY_DB", raising=False)
    default = CliRunner().invoke(build_app(), ["serve", "--port", "0", *model])
    monkeypatch.setenv("CREDIT_POLICY_DB", f"sqlite:///{tmp_path / 'env.sqlite'}")
    from_env = CliRunner().invoke(build_app(), ["serve", "--port", "0", *model])

    assert (default.exit_code, from_env.exit_code) == (2, 2), default.output + from_env.output
    assert "no store at var/credit-policy.sqlite (sqlite:///var/credit-policy.sqlite) (the default: " in default.stderr
    assert f"no store at {tmp_path / 'env.sqlite'} " in from_env.stderr
    assert "(from $CREDIT_POLICY_DB: --db was not given)" in from_env.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_empty_file_is_refused_as_no_store(tmp_path: Path) -> None:
    (tmp_path / "empty.sqlite").touch()

    result = CliRunner().invoke(build_app(), ["serve", "--port", "0", "--db", f"sqlite:///{tmp_path / 'empty.sqlite'}"])

    assert result.exit_code == 2, result.output
    assert "serve: no store at " in result.stderr and ": an empty file; check --db" in result.stderr
    assert (tmp_path / "empty.sqlite").stat().st_size == 0


@pytest.mark.parametrize("model", [{"workers": 0}, {"workers": 1}, {"processes": 1}])
def test_create_store_starts_a_new_store_and_says_so_once(server_factory: Any, tmp_path: Path,
                                                          model: dict[str, int]) -> None:
    path = tmp_path / "new" / "store.sqlite"
    url = f"sqlite:///{path}"

    fresh = server_factory("--db", url, "--create-store", "--watch-interval", "0", name="fresh", **model)
    fresh.stop()
    again = server_factory("--db", url, "--create-store", "--watch-interval", "0", name="again", **model)

    created = fresh.wait_for_event("store created")
    assert created["store"] == url and created["path"] == str(path)
    assert [e for e in again.events() if e["event"] == "store created"] == []
    assert again.wait_for_event("serving")["store"] == url


@pytest.mark.parametrize("model", MODELS)
def test_create_store_with_the_memory_store_is_refused_saying_what_it_is_for(
        model: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    given = CliRunner().invoke(build_app(), ["serve", "--port", "0", *model, "--db", "memory", "--create-store"])
    monkeypatch.setenv("CREDIT_POLICY_DB", "memory")
    from_env = CliRunner().invoke(build_app(), ["serve", "--port", "0", *model, "--create-store"])

    assert (given.exit_code, from_env.exit_code) == (2, 2), given.output + from_env.output
    assert given.stderr.startswith("serve: --create-store starts a new SQLite store file")
    assert "`memory` keeps no store" in given.stderr and "$CREDIT_POLICY_DB" not in given.stderr
    assert "`memory` (from $CREDIT_POLICY_DB: --db was not given) keeps no store" in from_env.stderr


def test_create_store_with_postgresql_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its server refuses a database that is not there, with or without the flag; an empty one gets its tables."""
    result = CliRunner().invoke(build_app(), ["serve", "--port", "0", "--db", UNREACHABLE, "--create-store"])

    assert result.exit_code == 2, result.output
    assert "cannot open the store" in result.output and "--create-store" not in result.output


def started_importing(env: dict[str, str], *options: str, tmp_path: Path) -> str:
    """What `serve` (and its engine workers) imported until it served: `python -X importtime`'s lines."""
    log = tmp_path / "serve.log"
    command = [sys.executable, "-X", "importtime", "-c", "from policy_engine.cli import main; main()", "serve",
               "--port", "0", "--host", "127.0.0.1", "--watch-interval", "0", *options]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                                env=dict(os.environ, PYTHONPATH=str(ROOT), **env))
    try:
        deadline = time.monotonic() + 120
        while '"serving"' not in log.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    return log.read_text()


@pytest.mark.parametrize("where", ["--db", "$CREDIT_POLICY_DB"])
def test_serve_with_the_memory_store_imports_no_sqlalchemy(where: str, tmp_path: Path) -> None:
    """It used to, for URL helpers and a constant (~0.12 s of every such start): there is no SQL store to open."""
    env, options = ({}, ["--db", "memory"]) if where == "--db" else ({"CREDIT_POLICY_DB": "memory"}, [])

    imported = started_importing(env, *options, "--workers", "1", tmp_path=tmp_path)

    assert "policy_engine.evaluator" in imported  # the trace is there, from the engine worker too
    assert "sqlalchemy" not in imported


@pytest.mark.parametrize(("db", "said"), [
    ("memroy", "not a database URL (DIALECT[+DRIVER]://…); write sqlite:///PATH"),
    ("store.sqlite", "a file path, not a database URL; write sqlite:///store.sqlite"),
])
def test_a_store_location_that_is_neither_memory_nor_a_url_is_refused_saying_what_to_write(db: str, said: str) -> None:
    result = CliRunner().invoke(build_app(), ["serve", "--port", "0", "--db", db])

    assert result.exit_code == 2, result.output
    assert said in result.stderr
