"""Ctrl-C during `import`: the import is one transaction, so the command says nothing was imported and the store
is as it was (it said only `credit-policy: interrupted`); a Ctrl-C during the commit waits for it, and the
import then stands rather than being called undone."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import RootTransaction
from typer.testing import CliRunner

from adapters.importers import ImportInterrupted, loader, run_import
from adapters.store import open_store
from adapters.store import schema as s
from policy_engine.cli import build_app

CUSTOMERS = "customer_id,name,size,segment\nC1,Acme Trading,large,distributor\nC2,Beta Pharmacy,small,pharmacy\n"
RENAMED = CUSTOMERS.replace("Acme Trading", "Acme Holding").replace("Beta Pharmacy", "Beta Drugstore")
BAD_ROW = "C3,Gamma Retail,huge,retailer\n"  # an unknown size: a rejected row with --keep-going


def names(db_url: str) -> list[tuple[str, str]]:
    """The customers the store holds, by id."""
    store = open_store(db_url)
    with store.engine.connect() as conn:
        rows = sorted((r.customer_id, r.name) for r in conn.execute(select(s.customers)))
    store.close()
    return rows


def interrupt_after_first_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C once the first row is written in the import's transaction, as the second is read."""
    monkeypatch.setattr(loader, "CHUNK_ROWS", 1)
    chunk = loader._Run.chunk
    calls: list[int] = []

    def chunk_then_interrupt(run: Any, rows: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        chunk(run, rows)

    monkeypatch.setattr(loader._Run, "chunk", chunk_then_interrupt)


def test_ctrl_c_in_import_says_nothing_was_imported_and_leaves_the_store_as_it_was(
        db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = tmp_path / "files"
    files.mkdir()
    (files / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    (files / "renamed.csv").write_text(RENAMED + BAD_ROW, encoding="utf-8")
    rejects = files / "renamed.rejects.csv"
    rejects.write_text("last night's rejects\n", encoding="utf-8")
    app = build_app()
    assert CliRunner().invoke(app, ["import", "customers", str(files / "customers.csv"), "--db", db_url]).exit_code == 0
    before = names(db_url)
    interrupt_after_first_chunk(monkeypatch)

    result = CliRunner().invoke(app, ["import", "customers", str(files / "renamed.csv"), "--db", db_url,
                                      "--keep-going"])  # fmt: skip

    assert result.exit_code == 130, result.output
    assert result.stderr.strip().splitlines()[-1] == (
        f"interrupted: nothing imported: the store is as it was, and {rejects} was not written")
    assert names(db_url) == before == [("C1", "Acme Trading"), ("C2", "Beta Pharmacy")]
    assert rejects.read_text(encoding="utf-8") == "last night's rejects\n"
    assert sorted(p.name for p in files.iterdir()) == ["customers.csv", "renamed.csv", "renamed.rejects.csv"]


def test_a_ctrl_c_during_the_commit_is_raised_once_it_is_done_and_the_import_stands(
        db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Raised inside the commit, it rolled the import back; "nothing imported" must never be said of one that is in.
    path = tmp_path / "customers.csv"
    path.write_text(CUSTOMERS, encoding="utf-8")
    store = open_store(db_url)
    commit = RootTransaction.commit

    def commit_with_ctrl_c(tx: RootTransaction) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        commit(tx)

    monkeypatch.setattr(RootTransaction, "commit", commit_with_ctrl_c)

    with pytest.raises(KeyboardInterrupt) as raised:
        run_import(store.engine, "customers", path)

    monkeypatch.undo()
    store.close()
    assert not isinstance(raised.value, ImportInterrupted)
    assert names(db_url) == [("C1", "Acme Trading"), ("C2", "Beta Pharmacy")]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
