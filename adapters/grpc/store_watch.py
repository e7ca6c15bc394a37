"""Notice a SQLite store file replaced or removed under the running service, and follow the file at the path.

The service's connections (its own and each engine worker's) hold the file they opened: a backup restored
with `mv` (a new inode) or a file removed left them reading the old, deleted file until a restart, and
writing the decision log where nobody would read it. Once a second (never on a call's path) the path's
identity (st_dev, st_ino) is compared with the one the service opened: replaced, the store is opened
again at the path (host.reopen_store: new connections, new engine workers); gone (or emptied), decision
calls are refused STORE_UNAVAILABLE and health says NOT_SERVING (host.store_gone) until a file is there again.

A file overwritten in place (`cp` onto it: the same inode) is not noticed: SQLite's own matter, see
docs/service.md. The file's identity and its -wal and -shm are read in store_file.py.
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from adapters.grpc.logs import event
from adapters.grpc.store_file import SIDE_FILES as SIDE_FILES
from adapters.grpc.store_file import Identity as Identity
from adapters.grpc.store_file import file_identity as file_identity
from adapters.grpc.store_file import identity as identity
from adapters.grpc.store_file import move_aside as move_aside
from adapters.grpc.store_file import pin
from adapters.grpc.store_file import shown as shown
from adapters.grpc.store_file import side_files as side_files
from adapters.grpc.store_file import store_path as store_path
from adapters.grpc.store_reopen import open_at_path, refusal
from policy_engine.domain.errors import StoreUnavailable
from policy_engine.domain.models import CustomerDecision, CustomerSnapshot
from policy_engine.ports import CustomerStore

INTERVAL_S = 1.0
"""Seconds between looks at the store's path."""
INTERVAL_ENV_VAR = "CREDIT_POLICY_STORE_WATCH_S"
"""Overrides INTERVAL_S; 0 turns the watch off (a store file swapped on purpose, a test making a worker's
start fail with a directory in the file's place)."""


def interval_from_env() -> float:
    """$CREDIT_POLICY_STORE_WATCH_S, else INTERVAL_S; a value that is not 0 to 3600 seconds is logged, and
    INTERVAL_S used."""
    raw = os.environ.get(INTERVAL_ENV_VAR, "").strip()
    try:
        seconds = float(raw) if raw else INTERVAL_S
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 3600:  # also NaN
        event("store watch interval ignored", logging.WARNING, value=raw, used=INTERVAL_S,
              why=f"${INTERVAL_ENV_VAR} takes seconds from 0 (off) to 3600")
        return INTERVAL_S
    return seconds

class ReopeningHost(Protocol):
    """What the watch needs of the policy host (adapters/grpc/host.py)."""

    async def reopen_store(self, store: Any) -> None:
        """Serve from `store` from the next call on (after store_gone)."""
        ...

    async def store_gone(self) -> None:
        """Refuse decision calls until reopen_store, and close every connection to the old file."""
        ...


AWAY = "the store file left its path (removed, or replaced and being reopened); nothing was evaluated"
"""Why a decision call is refused while the store file is away."""


class StoreAway(CustomerStore):
    """What an in-process engine (`--workers 0`) decides through while the store file is away: a call handed to
    the store thread after the swap runs after the old store closed, and through it would open a new connection
    to whatever is at the path (an empty file it creates, the old file's -wal read over it). Refused instead."""

    def get_snapshot(self, customer_id: str, as_of: date | None = None) -> CustomerSnapshot:
        """Refuse: no store to read."""
        raise StoreUnavailable(AWAY)

    def record_decision(self, snapshot: CustomerSnapshot, decision: CustomerDecision, **_: Any) -> None:
        """Refuse: its decision log would go nowhere (as StoreGoneEngine refuses a full snapshot)."""
        raise StoreUnavailable(AWAY)


class StoreGoneEngine:
    """The served engine while the store file is gone: every decision call is refused STORE_UNAVAILABLE, a
    snapshot call too (its decision log would go to the deleted file). `inner` waits, idle, for the file."""

    def __init__(self, inner: Any):
        self.inner = inner
        self.version: str = inner.version
        self.no_worker_running = True  # health NOT_SERVING (server.py follows it)
        self.live_workers = 0

    async def run(self, kind: str, request: bytes, flow: object | None = None) -> Any:
        """Refuse: nothing is evaluated."""
        raise StoreUnavailable(AWAY)

    async def aclose(self) -> None:
        """Close the waiting engine."""
        await self.inner.aclose()

    def log_backlog(self) -> int:
        """What the waiting engine has not written yet."""
        return int(self.inner.log_backlog())

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)  # live_workers, worker_pids: the metrics read them


class StoreWatch:
    """Compares the store file's identity with the opened one's every INTERVAL_S; tells the host what changed."""

    def __init__(self, host: ReopeningHost, store_url: str, path: Path):
        self.host, self.store_url, self.path = host, store_url, path
        self.opened = identity(path)
        """The identity of the file the service reads now; None while it reads none (gone, or not reopened)."""
        self.sides = side_files(path)
        """Its -wal and -shm as last seen while it was the file at the path."""
        self.served = self.opened
        """The identity of the file those -wal and -shm belong to."""
        self._pin = pin(path)
        self._open_again = False
        """Set while the file at the path was not opened only because another process held its write lock."""

    async def run(self, interval: float = INTERVAL_S) -> None:
        """Look every `interval` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval)
            await self.check()

    async def check(self) -> None:
        """Look once: a file gone is refused, a new one is opened."""
        now = await asyncio.to_thread(identity, self.path)  # a stat may block (a network file system)
        if now == self.opened:
            if now is not None and self._open_again:  # the lock is another writer's for a while, not for ever
                await self._reopen(now)
            elif now is not None:
                self.sides = await asyncio.to_thread(side_files, self.path)
            return
        was, self.opened = self.opened, now
        if now is None:
            event("store file gone", logging.ERROR, path=str(self.path), was=shown(was),
                  action="decision calls are refused (STORE_UNAVAILABLE) and health is NOT_SERVING until a "
                         "store file is there again")
        else:
            event("store file replaced", logging.ERROR, path=str(self.path), was=shown(was), now=shown(now),
                  action="the store is opened again at the path; decisions logged since the change went to the "
                         "old file")
        if was is not None:  # leaving the file it served: no connection to it may be left
            await self.host.store_gone()
        if now is not None:
            if now != self.served:  # not the same file come back (a `mv` away and back): its WAL is not theirs
                await self._move_aside()
            await self._reopen(now)

    async def _move_aside(self) -> None:
        moved = await asyncio.to_thread(move_aside, self.path, self.sides)
        if moved:
            event("store side files moved aside", logging.WARNING, path=str(self.path), files=moved,
                  why="the old file's WAL, left at the path, would be read over the new file's pages")

    async def _reopen(self, now: Identity) -> None:
        store = None
        try:
            store, was, head = await asyncio.to_thread(open_at_path, self.store_url, self.path)
            await self.host.reopen_store(store)
        except Exception as exc:  # noqa: BLE001 - not a store, a later release's, locked, workers that cannot start
            if store is not None:
                await asyncio.to_thread(store.close)
            self._not_reopened(now, exc)
            return  # tried again when another file is put there (its identity changes), or once unlocked
        self._open_again = False
        self.served, self.sides = now, await asyncio.to_thread(side_files, self.path)
        if self._pin is not None:  # every connection to the old file is closed by now (store_gone)
            os.close(self._pin)
        self._pin = pin(self.path)
        event("store reopened", path=str(self.path), now=shown(now), from_revision=was, to_revision=head,
              migrated=was != head)

    def _not_reopened(self, now: Identity, exc: Exception) -> None:
        reason = refusal(exc)
        self._open_again = reason == "locked"
        until = ("it is tried again in a second" if self._open_again
                 else "another file is put there, or the service is restarted")
        event("store not reopened", logging.ERROR, path=str(self.path), now=shown(now), reason=reason,
              error=f"{type(exc).__name__}: {exc}".splitlines()[0],
              action=f"decision calls are refused (STORE_UNAVAILABLE) until {until}")
