"""The store watch's file checks: what counts as a store file at the path, which side files are the old
file's, and the interval from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.grpc import store_watch
from adapters.grpc.store_watch import file_identity, identity, interval_from_env, move_aside, side_files


def test_only_a_non_empty_file_is_a_store_at_the_path(tmp_path: Path) -> None:
    (tmp_path / "empty.sqlite").touch()
    (tmp_path / "dir.sqlite").mkdir()
    (tmp_path / "store.sqlite").write_bytes(b"SQLite format 3\0")

    found = [identity(tmp_path / name) for name in ("missing.sqlite", "empty.sqlite", "dir.sqlite")]

    assert found == [None, None, None]
    assert identity(tmp_path / "store.sqlite") == file_identity(tmp_path / "store.sqlite") is not None


def test_only_the_old_files_wal_and_shm_are_moved_aside(tmp_path: Path) -> None:
    store = tmp_path / "store.sqlite"
    Path(f"{store}-wal").write_bytes(b"old wal")
    Path(f"{store}-shm").write_bytes(b"old shm")
    known = side_files(store)
    (tmp_path / "new-shm").write_bytes(b"a new file's shm")
    (tmp_path / "new-shm").rename(f"{store}-shm")  # another inode (made while the old one lived): not the old file's

    moved = move_aside(store, known)

    assert [Path(name).name.split(".old-")[0] for name in moved] == ["store.sqlite-wal"]
    assert Path(moved[0]).read_bytes() == b"old wal"
    assert not Path(f"{store}-wal").exists() and Path(f"{store}-shm").read_bytes() == b"a new file's shm"


@pytest.mark.parametrize(("value", "seconds"), [("", 1.0), ("0", 0.0), ("2.5", 2.5), ("soon", 1.0), ("-1", 1.0),
                                                ("nan", 1.0), ("3601", 1.0)])
def test_the_interval_comes_from_the_environment_or_is_the_default(
        monkeypatch: pytest.MonkeyPatch, value: str, seconds: float) -> None:
    monkeypatch.setenv(store_watch.INTERVAL_ENV_VAR, value)
    logged: list[str] = []
    monkeypatch.setattr(store_watch, "event", lambda name, *args, **fields: logged.append(name))

    assert interval_from_env() == seconds
    assert logged == ([] if value in ("", "0", "2.5") else ["store watch interval ignored"])
