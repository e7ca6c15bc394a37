"""Another writer of a SQLite store, for the lock-wait tests: it holds the write lock (`BEGIN IMMEDIATE`)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import make_url
from typer.testing import CliRunner

from adapters.store import lock_wait

WAITING = "waiting for the write lock of the store"


@contextmanager
def write_lock_held(url: str) -> Iterator[sqlite3.Connection]:
    """Another writer holding the store's write lock (an import or a batch in its commit) until the block ends."""
    holder = sqlite3.connect(make_url(url).database or "", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield holder
    finally:
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()


class LockTakenMidRun:
    """Another writer that takes the lock once the batch's progress meets `when` (its `on_progress`), and
    gives it back as soon as the batch says it waits (its `notice`): unsaid, the batch's write fails."""

    def __init__(self, url: str, when: Callable[[Any], bool]):
        self.url, self.when = url, when
        self.said: list[str] = []
        self._held: Any = None
        self._holder: sqlite3.Connection | None = None

    def on_progress(self, progress: Any) -> None:
        """The batch's progress hook: take the lock the first time `when(progress)`."""
        if self._holder is None and self.when(progress):
            self._held = write_lock_held(self.url)
            self._holder = self._held.__enter__()

    def notice(self, line: str) -> None:
        """The batch's notice hook: keep the line, give the lock back."""
        self.said.append(line)
        if self._holder is not None and self._holder.in_transaction:
            self._holder.execute("ROLLBACK")

    def close(self) -> None:
        """Let go of the holder's connection."""
        if self._held is not None:
            self._held.__exit__(None, None, None)


def release_after(holder: sqlite3.Connection, seconds: float) -> threading.Timer:
    """Give the lock back `seconds` from now, from another thread."""
    timer = threading.Timer(seconds, lambda: holder.execute("ROLLBACK"))
    timer.start()
    return timer


def run_while_held(args: list[str], url: str, monkeypatch: pytest.MonkeyPatch,
                   give_back: bool) -> tuple[int, str, str]:  # fmt: skip
    """Run `credit-policy ARGS` while another writer holds the lock: given back as soon as the command has
    its waiting line (however long it took to get there), or never."""
    from policy_engine.cli import build_app

    with write_lock_held(url) as holder:
        line = lock_wait.waiting_line

        def said_then_given_back(*args: Any, **kwargs: Any) -> str:
            if give_back and holder.in_transaction:
                holder.execute("ROLLBACK")
            return line(*args, **kwargs)

        monkeypatch.setattr(lock_wait, "waiting_line", said_then_given_back)
        result = CliRunner().invoke(build_app(), args)
    return result.exit_code, result.stdout, result.stderr
