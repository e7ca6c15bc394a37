"""A SQLite store file the store creates is readable by its owner only; one that exists keeps its mode."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from adapters.store import make_engine, migrate


@pytest.fixture(autouse=True)
def _usual_umask() -> Iterator[None]:
    """The usual 022, under which SQLite alone creates 0644: the test must not pass because of a strict umask."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_store_file_we_create_and_its_wal_and_shm_files_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    engine = make_engine(f"sqlite:///{path}")

    migrate(engine)
    with engine.connect() as conn:  # an open WAL connection keeps -wal and -shm on disk
        conn.execute(text("SELECT count(*) FROM customers")).all()
        modes = {p.name: _mode(p) for p in tmp_path.iterdir()}
    engine.dispose()

    assert modes == {"store.sqlite": 0o600, "store.sqlite-wal": 0o600, "store.sqlite-shm": 0o600}


def test_a_rollback_journal_takes_the_store_files_mode(tmp_path: Path) -> None:
    """SQLite's unix VFS gives its -journal (as its -wal and -shm) the main file's permissions."""
    path = tmp_path / "store.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)

    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=DELETE")
        conn.exec_driver_sql("PRAGMA locking_mode=EXCLUSIVE")  # the journal stays after the commit
        conn.execute(text("INSERT INTO customers (customer_id, name) VALUES ('C1', 'One')"))
        conn.commit()
        journal = _mode(tmp_path / "store.sqlite-journal")
    engine.dispose()

    assert journal == 0o600


@pytest.mark.parametrize("mode", [0o644, 0o640])
def test_an_existing_store_file_keeps_the_mode_its_owner_chose(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "store.sqlite"
    migrate(make_engine(f"sqlite:///{path}"))
    path.chmod(mode)

    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    with engine.connect() as conn:
        conn.execute(text("SELECT count(*) FROM customers")).all()
    engine.dispose()

    assert _mode(path) == mode


def test_making_an_engine_creates_no_file_until_it_connects(tmp_path: Path) -> None:
    make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}").dispose()

    assert list(tmp_path.iterdir()) == []


def test_demo_data_creates_a_store_only_its_owner_can_read(tmp_path: Path) -> None:
    from policy_engine.cli import build_app

    path = tmp_path / "var" / "demo.sqlite"

    result = CliRunner().invoke(build_app(), ["demo-data", "--customers", "3", "--db", f"sqlite:///{path}"])

    assert result.exit_code == 0, result.output
    assert _mode(path) == 0o600


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_store_creates_no_file(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    engine = make_engine(url)

    migrate(engine)
    engine.dispose()

    assert list(tmp_path.iterdir()) == []
