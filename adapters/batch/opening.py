"""Opening a batch run: its options, its rules and its store, each refused in the words the operator needs
(bad input, exit 2; a store that is not answering, locked or out of room, exit 3)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from adapters.batch.fatal import fatal_text, no_room, no_room_left
from adapters.batch.progress import Progress
from adapters.batch.runs import Partition
from adapters.store import lock_wait


class BatchInputError(Exception):
    """Bad input or configuration: rules that do not load, an unreachable store."""


@dataclass
class BatchOptions:
    """How to run the batch."""

    db_url: str
    as_of: date
    rules_dir: Path
    workers: int = 1
    partition: Partition = field(default_factory=Partition)
    chunk_size: int = 500
    retry_quarantined: bool = False
    rule_tests: bool = False
    """take the rules only if their own test cases (RULES/tests) pass, as `serve --rule-tests` does"""
    report_dir: Path | None = None
    """where the caller writes the report once the run is complete: checked at the start, said if unwritable"""


ProgressHook = Callable[[Progress], None]
NoticeHook = Callable[[str], None]


def load_rules(opts: BatchOptions) -> Any:
    """The policy of `opts.rules_dir`, or BatchInputError naming the first problems."""
    from policy_engine.api import PolicyLoadError, load_policy
    from policy_engine.casetests import load_tested_policy

    try:
        return (load_tested_policy if opts.rule_tests else load_policy)(opts.rules_dir)
    except PolicyLoadError as exc:
        problems = "; ".join(str(p) for p in exc.problems[:5])
        more = f" (and {len(exc.problems) - 5} more)" if len(exc.problems) > 5 else ""
        why = ("; their own test cases fail, and --rule-tests takes only rules whose cases pass (as a service "
               "started with --rule-tests does)"
               if any(p.code == "rule_test_failed" for p in exc.problems) else "")
        # The version lint, test, simulate and the service's refused reload name (none when a file went unread).
        version = f" (policy_version {exc.version})" if exc.version else ""
        raise BatchInputError(f"rules {opts.rules_dir}{version} do not load: {problems}{more}{why}") from None


class StoreNotAnswering(Exception):
    """The store's server did not answer (down, restarting), its disk is full, or another process held its
    SQLite write lock all through the migration: the run did not start; a retry may work."""


def open_store(opts: BatchOptions, on_notice: NoticeHook) -> Any:
    """The open store, migrated (a wait for the SQLite write lock said through `on_notice`); StoreNotAnswering
    when its server did not answer, its disk is full or the lock stayed held, BatchInputError for any other
    failure."""
    from sqlalchemy.engine import make_url

    from adapters.store import make_engine, open_store
    from adapters.store.engine import cannot_open, server_not_answering

    try:
        return open_store(opts.db_url, on_wait=on_notice)
    except Exception as exc:
        if lock_wait.is_locked(exc):  # busy, not broken: exit 3 and the batch's words for it, not exit 2
            raise StoreNotAnswering(fatal_text(exc, make_engine(opts.db_url))) from None
        said = " ".join(cannot_open(opts.db_url, exc).split())  # libpq's hint is a second, indented line
        if no_room(exc):  # a full disk at night: exit 3 once there is room; not exit 2, "fix the command"
            raise StoreNotAnswering(said + no_room_left(make_url(opts.db_url))) from None
        if server_not_answering(exc):  # a restart at night: exit 3, retry; not exit 2, "fix the command"
            raise StoreNotAnswering(said) from None  # cannot_open says what to check and to run it again
        raise BatchInputError(cannot_open(opts.db_url, exc)) from None
