"""Watching the rules directory: a fingerprint of the files a reload reads, polled until it changes
and holds still, then a reload (the policy host's, adapters/grpc/host.py); and when a reload that
failed for a reason other than the rules (`Retry`) is tried again; and the reloads SIGHUP asks for
(`SighupReloads`)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from adapters.grpc.logs import event
from adapters.grpc.runtime import restart_delay
from policy_engine.rules.loader import scan_rules_dir

Fingerprint = tuple[tuple[Any, ...], ...]
NOT_READ: Fingerprint = (("not read",),)
"""The fingerprint of a directory not read yet: differs from every real one, so the watcher reloads."""


def fingerprint(rules_dir: Path) -> Fingerprint:
    """What the watcher compares: the files a reload reads (rule files and test cases, as
    `scan_rules_dir` lists them) with their inode, size, mode and change times, and what could not
    be read. The ctime moves on every change to a file, its permissions included, even when a tool
    puts its mtime back (`cp -p`, `rsync -t`, `tar`); the inode, when a file is replaced by a rename.
    Other files are not looked at: a log written next to the rules, or a `.git/` with thousands of
    objects, neither costs the scan time nor holds a reload back. Never raises for the file system."""
    tree = scan_rules_dir(rules_dir)
    entries: list[tuple[Any, ...]] = []
    for path in (*tree.rule_files, *tree.case_files):
        try:
            st = path.stat()
        except OSError as exc:  # gone since it was listed, or unreadable: part of what changed
            entries.append((str(path), "error", exc.errno))
            continue
        entries.append((str(path), st.st_ino, st.st_size, st.st_mode, st.st_mtime_ns, st.st_ctime_ns))
    entries.extend(("problem", str(p)) for p in (*tree.problems, *tree.case_problems))
    return tuple(entries)


SAME_WAY_BEFORE_LONG_DELAY = 10
"""Attempts in a row on the same directory whose compile child failed the same way, from which on the
watcher waits LONG_DELAY between attempts: these very files may crash the compiler every time."""
LONG_DELAY = 300.0


@dataclass(frozen=True)
class Retry:
    """A reload that failed for a reason other than the rules (the store or the engine workers could not
    take a good rule set, its compile child died or timed out: `rules_source.not_about_the_rules`): the
    directory it read, how many attempts on it failed in a row (`same_way`: the last of them how the
    latest did), and when the watcher tries again."""

    fingerprint: Fingerprint
    failures: int
    due: float
    """The host's clock (time.monotonic()) from which the watcher reloads again."""
    cause: str = ""
    same_way: int = 1
    rules_suspect: bool = False
    """The compile child ended without an answer: a crash that may pass, or one these files cause."""

    def delay(self) -> float:
        """Seconds from the last failure to the next attempt."""
        if self.rules_suspect and self.same_way >= SAME_WAY_BEFORE_LONG_DELAY:
            return LONG_DELAY
        return restart_delay(self.failures)


def next_retry(previous: Retry | None, read: Fingerprint, cause: str = "", now: float | None = None,
               rules_suspect: bool = False) -> Retry:
    """The retry after one more failed attempt (failing with `cause`) on the directory `read`: the back-off
    doubles while the directory stays the same (0.5 s to 30 s, runtime.restart_delay) and starts again
    when it changed; a compile child that failed the same way SAME_WAY_BEFORE_LONG_DELAY times in a row
    (`rules_suspect`) is tried every LONG_DELAY seconds."""
    same = previous is not None and previous.fingerprint == read
    failures = previous.failures + 1 if same and previous is not None else 1
    same_way = previous.same_way + 1 if same and previous is not None and previous.cause == cause else 1
    retry = Retry(read, failures, 0.0, cause, same_way, rules_suspect)
    return replace(retry, due=(time.monotonic() if now is None else now) + retry.delay())


def reload_due(current: Fingerprint, last_read: Fingerprint, retry: Retry | None, now: float | None = None) -> bool:
    """Whether the watcher reloads: the directory changed since it was last read, or a failed reload's
    back-off has run out (at `now` on the host's clock)."""
    if current != last_read:
        return True
    return retry is not None and (time.monotonic() if now is None else now) >= retry.due


async def watch_rules(rules_dir: Path, due: Callable[[Fingerprint], bool],
                      reload: Callable[[str], Awaitable[Any]], interval: float, settle: float) -> None:
    """Poll `rules_dir`; `reload("watch")` when `due(fingerprint)` (the host's: the directory changed, or
    a failed reload is to be tried again) and the fingerprint holds still for `settle` seconds (runs until
    cancelled). The directory is read on a thread, not the event loop.
    Nothing stops the watching but cancellation: an error is logged (`rules watch failed`, once until it
    changes or clears) and the next tick tries again."""
    failing = ""
    while True:
        await asyncio.sleep(interval)
        try:
            current = await asyncio.to_thread(fingerprint, rules_dir)
            if due(current):
                await asyncio.sleep(settle)  # let an editor or a copy finish writing
                if await asyncio.to_thread(fingerprint, rules_dir) == current:
                    await reload("watch")
            if failing:
                failing = ""
                event("rules watch recovered", rules_dir=str(rules_dir))
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            if error != failing:
                failing = error
                event("rules watch failed", logging.ERROR, rules_dir=str(rules_dir), error=error,
                      action="still watching: tried again every interval; SIGHUP reloads too")


class SighupReloads:
    """SIGHUP asks for a reload (`on_signal`, its handler). From the moment that is installed it never
    ends the process (its default): one that comes while the service starts is kept and served once it
    does (`serving`); a burst while a reload runs gives one more reload, of the directory as it is then,
    not one per signal."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self._loop = loop
        self._reload: Callable[[str], Awaitable[Any]] | None = None
        self._again = False
        self.task: asyncio.Task[None] | None = None
        """The reload SIGHUP (or `reload_now`) started last, if any."""

    def on_signal(self) -> None:
        """Reload now; while starting or while a reload runs, once more when it can."""
        if self._reload is None or (self.task is not None and not self.task.done()):
            self._again = True
            return
        self.task = self._loop.create_task(self._reloads(self._reload))

    def serving(self, reload: Callable[[str], Awaitable[Any]]) -> None:
        """The service serves: from now on a SIGHUP calls `reload`, and one that came while starting does now."""
        self._reload = reload
        if self._again:  # asked for while starting
            self.task = self._loop.create_task(self._reloads(reload))

    def reload_now(self, trigger: str) -> None:
        """Reload once (as `trigger`), as a SIGHUP does (call `serving` first)."""
        if self._reload is not None:
            self.task = self._loop.create_task(self._reloads(self._reload, trigger))

    async def _reloads(self, reload: Callable[[str], Awaitable[Any]], trigger: str = "SIGHUP") -> None:
        while True:
            self._again = False
            await reload(trigger)
            trigger = "SIGHUP"
            if not self._again:
                return
