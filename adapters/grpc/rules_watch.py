"""Watching the rules directory: a fingerprint of the files a reload reads, polled until it changes
and holds still, then a reload (the policy host's, adapters/grpc/host.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from adapters.grpc.logs import event
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


async def watch_rules(rules_dir: Path, last_read: Callable[[], Fingerprint],
                      reload: Callable[[str], Awaitable[Any]], interval: float, settle: float) -> None:
    """Poll `rules_dir`; `reload("watch")` when its fingerprint differs from `last_read()` and holds still
    for `settle` seconds (runs until cancelled). The directory is read on a thread, not the event loop.
    Nothing stops the watching but cancellation: an error is logged (`rules watch failed`, once until it
    changes or clears) and the next tick tries again."""
    failing = ""
    while True:
        await asyncio.sleep(interval)
        try:
            current = await asyncio.to_thread(fingerprint, rules_dir)
            if current != last_read():
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
