"""A restored store of an older release, reopened by a running `serve` while another process holds its
SQLite write lock: the migration's wait is logged after 2 s (`store migration waiting`, as start-up prints
its line), and a store locked out for the whole wait is opened again at the watch's next look, not left
refused until another file is put there."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from adapters.grpc.store_reopen import open_at_path
from adapters.grpc.store_watch import StoreWatch
from adapters.store import lock_wait, open_store
from adapters.store.revisions import current_revision, downgrade, head_revision
from tests.integration.sqlite_lock import WAITING, write_lock_held


def _older_store(tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "store.sqlite"
    store = open_store(f"sqlite:///{path}")
    downgrade(store.engine, "0005")
    store.close()
    return f"sqlite:///{path}", path


def _logged(caplog: pytest.LogCaptureFixture, name: str) -> list[dict[str, Any]]:
    return [getattr(r, "fields", {}) for r in caplog.records if r.getMessage() == name]


def test_a_reopen_kept_waiting_to_migrate_logs_so_once_then_migrates(
        tmp_path: Path, short_waits: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    url, path = _older_store(tmp_path)
    caplog.set_level(logging.INFO)

    with write_lock_held(url) as holder:
        line = lock_wait.waiting_line

        def said_then_given_back(*args: Any, **kwargs: Any) -> str:
            holder.execute("ROLLBACK")
            return line(*args, **kwargs)

        monkeypatch.setattr(lock_wait, "waiting_line", said_then_given_back)
        store, was, now = open_at_path(url, path)
    migrated = current_revision(store.engine)
    store.close()

    waiting = _logged(caplog, "store migration waiting")
    assert [w["path"] for w in waiting] == [str(path)]
    assert f"{WAITING} {url} to upgrade its schema" in waiting[0]["waiting"]
    assert (was, now, migrated) == ("0005", head_revision(), head_revision())


class _Host:
    """The policy host as the watch sees it: what it was told."""

    def __init__(self) -> None:
        self.told: list[str] = []
        self.stores: list[Any] = []

    async def store_gone(self) -> None:
        self.told.append("gone")

    async def reopen_store(self, store: Any) -> None:
        self.told.append("reopen")
        self.stores.append(store)


def test_a_store_locked_out_of_its_migration_is_opened_again_at_the_next_look(
        tmp_path: Path, short_waits: None, caplog: pytest.LogCaptureFixture) -> None:
    url, path = _older_store(tmp_path)
    host = _Host()
    watch = StoreWatch(host, url, path)
    watch.opened = None  # as after the file was gone: the next look opens the file at the path
    caplog.set_level(logging.INFO)

    with write_lock_held(url):
        asyncio.run(watch.check())
    asyncio.run(watch.check())
    for store in host.stores:
        store.close()

    refused = _logged(caplog, "store not reopened")
    assert [r["reason"] for r in refused] == ["locked"]
    assert host.told == ["reopen"]
    assert [(r["from_revision"], r["to_revision"]) for r in _logged(caplog, "store reopened")] == [
        ("0005", head_revision())]

