"""The policy host's store: the one it keeps each version's rule files in (and, in-process, serves decisions
from), and its file leaving its path and coming back: follow the SQLite file (store_watch.py), refuse decisions
while it is away, serve from the file reopened at the path. `PolicyHost` (adapters/grpc/host.py) is built on
this class."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from adapters.grpc.engines import Engine, InProcessEngine
from adapters.grpc.memory_store import BoundedMemoryStore
from adapters.grpc.store_file import store_path
from adapters.grpc.store_watch import StoreAway, StoreGoneEngine, StoreWatch, interval_from_env
from adapters.grpc.versions import Served
from policy_engine.ports import CustomerStore, InMemoryStore


class HostStore:
    """The host's store, what it records there, and what it does when the store file goes (store_gone) and is
    back (reopen_store)."""

    workers: int
    store: CustomerStore
    store_url: str | None
    _store_thread: ThreadPoolExecutor | None
    _served: Served | None
    _reload_lock: asyncio.Lock
    _retired: dict[asyncio.Task[None], Engine]
    _store_watch: asyncio.Task[None] | None = None

    if TYPE_CHECKING:  # the host's (host.py)

        @property
        def served(self) -> Served: ...

        async def _engine_for(self, policy: Any, serving: Engine | None = None) -> Engine: ...

    def _hold_store(self, store: CustomerStore | None, store_url: str | None) -> None:
        """Keep `store` (an in-memory one if None) and, for a store that blocks, the thread it is used on."""
        # `store` keeps each version's rule files; with workers=0 it also serves the decisions
        # (a SQL one on a thread of its own: it blocks). With workers>0 each worker opens
        # `store_url` itself (none: an in-memory store of its own) for customers and the audit log.
        self.store = store if store is not None else BoundedMemoryStore()
        self.store_url = store_url
        self._store_thread = (None if isinstance(self.store, InMemoryStore)
                              else ThreadPoolExecutor(1, thread_name_prefix="store"))

    async def _record_policy(self, policy: Any) -> None:
        """Keep the version's rule files in the store, so its decisions can be replayed."""
        await self._record_policy_in(self.store, policy)

    async def _record_policy_in(self, store: CustomerStore, policy: Any) -> None:
        record = getattr(store, "record_policy", None)
        if record is not None:
            await self._on_store_thread(lambda: record(policy))

    async def _on_store_thread(self, fn: Callable[[], Any]) -> None:
        if self._store_thread is None:
            fn()
        else:
            await asyncio.get_running_loop().run_in_executor(self._store_thread, fn)

    def _watch_store(self) -> None:
        """Follow the SQLite file at the store's path (store_watch.py); other stores: nothing to follow."""
        path = store_path(self.store_url) if self.store is not None and hasattr(self.store, "engine") else None
        interval = interval_from_env() if path is not None else 0
        if path is not None and interval > 0:
            self._store_watch = asyncio.create_task(StoreWatch(self, str(self.store_url), path).run(interval))

    async def store_gone(self) -> None:
        """The store file left its path (or was replaced): decision calls are refused STORE_UNAVAILABLE and
        health is NOT_SERVING until reopen_store, and every connection to the old file is closed now.

        Closed before any is opened to a new file, engines a reload retired included: a connection opened at
        the path meanwhile would take the old file's -wal, still there, for the new file's (store_watch.py
        moves it aside next). The decision-log backlog of the old connections is written to the old file."""
        async with self._reload_lock:
            served = self.served
            if isinstance(served.engine, StoreGoneEngine):
                return
            self._served = Served(served.policy, StoreGoneEngine(served.engine))
            if self.workers > 0:
                await served.engine.aclose()  # drained; each worker closes its store on the way out
            await asyncio.gather(*self._retired, return_exceptions=True)
            for engine in (served.engine, *self._retired.values()):  # in-process ones (a retired one past its grace)
                if isinstance(engine, InProcessEngine):  # a call handed to the thread now runs after the close below
                    engine.store = StoreAway()
            old, self.store = self.store, BoundedMemoryStore()  # a reload meanwhile records its files here
            await self._on_store_thread(getattr(old, "close", lambda: None))  # after the calls handed to it

    async def reopen_store(self, store: CustomerStore) -> None:
        """Serve from `store`, opened at the store's path after store_gone, from the next call on: in this
        process, or in new engine workers that open the path themselves."""
        async with self._reload_lock:
            served = self.served
            if not isinstance(served.engine, StoreGoneEngine):
                raise RuntimeError("reopen_store without store_gone: the old file's connections are open")
            await self._record_policy_in(store, served.policy)  # the restored file may not know the version
            if self.workers > 0:
                engine = await self._engine_for(served.policy)
            else:
                engine = served.engine.inner
                engine.store = store  # read per call
            self.store = store
            self._served = Served(served.policy, engine)
