"""`credit-policy compact-log`: move the decision log's own snapshot copies (before migration 0003) into
decision_snapshots."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from policy_engine.cli.store_common import DbOption, err, exit_if_locked, say_waiting
from policy_engine.words import plural

COMPACT_BATCH = 1_000  # = adapters.store.compact.DEFAULT_BATCH and MAX_BATCH (not imported: keeps --help fast)
COMPACT_MAX_BATCH = 10_000
PROGRESS_LOG_SECONDS = 30.0


VACUUM_HELP = (
    "afterwards give the space back. SQLite: VACUUM, which shrinks the file but needs free disk up to "
    "twice the size of what remains (a copy, then the WAL) and locks the database against writes while it "
    "runs. PostgreSQL: VACUUM (ANALYZE) of decision_log and decision_snapshots, which makes the space "
    "reusable but does not shrink the files (VACUUM FULL is yours to schedule)"
)
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="count what would move and its bytes; change nothing")]
BatchOption = Annotated[
    int, typer.Option(min=1, max=COMPACT_MAX_BATCH, help="entries per transaction (each chunk commits on its own)")
]
UpgradeOption = Annotated[bool, typer.Option(help="migrate the database to the newest schema first (from 0002)")]


def compact_log_cmd(
    db: DbOption = None,
    dry_run: DryRunOption = False,
    batch: BatchOption = COMPACT_BATCH,
    vacuum: Annotated[bool, typer.Option(help=VACUUM_HELP)] = False,
    upgrade: UpgradeOption = False,
) -> None:
    """Move the snapshot copies of decisions logged before migration 0003 into decision_snapshots.

    Each copy is checked against its entry's sha256 first; an entry that does not match, or whose hash
    already holds a different text, is left as it is and listed (never destroy evidence).

    Resumable (a transaction per chunk), safe beside the running service, a no-op when run again.
    Prints a JSON summary. Exit status: 0 done, 1 done but some entries were refused, 2 bad URL or
    database not at 0003, 3 another process held a SQLite store's write lock for over 30 s (run it again).
    """
    if dry_run and (vacuum or upgrade):
        err.print("error: --dry-run changes nothing: not with --vacuum or --upgrade")
        raise typer.Exit(2)
    result, summary = _compact_or_exit(db, upgrade=upgrade, dry_run=dry_run, batch=batch, vacuum=vacuum)
    _print_refused(summary)
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    raise typer.Exit(1 if summary.refused_count else 0)


def _compact_or_exit(
    db: str | None, *, upgrade: bool, dry_run: bool, batch: int, vacuum: bool
) -> tuple[dict[str, Any], Any]:
    """_compact, or exit 2 when the store cannot be compacted, 3 when it stayed locked and 130 on Ctrl-C."""
    from sqlalchemy.exc import DBAPIError

    from adapters.store.compact import CompactError

    try:
        return _compact(db, upgrade=upgrade, dry_run=dry_run, batch=batch, vacuum=vacuum)
    except CompactError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None
    except DBAPIError as exc:  # each chunk is a transaction of its own: what committed stays
        exit_if_locked(exc, "the chunks done before it stay done", "run the same command again to finish")
        raise
    except KeyboardInterrupt:
        err.print("interrupted: nothing is lost (the upgrade and each chunk are transactions of their own); "
                  "run the command again to finish")  # fmt: skip
        raise typer.Exit(130) from None


def _print_refused(summary: Any) -> None:
    """On stderr: each refused entry listed in the summary, then how many more were refused."""
    for item in summary.refused:
        err.print(f"refused #{item.id}: {item.reason} (kept its own copy)", markup=False)
    if summary.refused_count > len(summary.refused):
        err.print(f"… and {summary.refused_count - len(summary.refused)} more refused")


def _compact(db: str | None, *, upgrade: bool, dry_run: bool, batch: int, vacuum: bool) -> tuple[dict[str, Any], Any]:
    """Open (and with `upgrade` migrate), compact, vacuum: the JSON summary and the CompactSummary."""
    from adapters.store.compact import compact_log, open_log_engine, storage_bytes
    from adapters.store.compact import vacuum as vacuum_db
    from adapters.store.engine import safe_url
    from adapters.store.lock_wait import wait_for_write_lock

    say = say_waiting("compact-log")
    engine = open_log_engine(db, upgrade=upgrade, on_wait=say)
    try:
        before = storage_bytes(engine)
        with _compact_progress(dry_run) as hook:
            summary = compact_log(engine, batch=batch, dry_run=dry_run, progress=hook, on_wait=say)
        result: dict[str, Any] = {"database": safe_url(engine.url.render_as_string(hide_password=False))}
        result.update(summary.as_json())
        result["vacuum"] = None
        if vacuum:
            err.print("vacuuming…")
            wait_for_write_lock(engine, say)  # VACUUM waits for the lock like any writer: said after 2 s
            result["vacuum"] = vacuum_db(engine)
        after = storage_bytes(engine)
        if before is not None and after is not None:
            result["size"] = {"measure": before[0], "bytes_before": before[1], "bytes_after": after[1]}
    finally:
        engine.dispose()
    return result, summary


@contextmanager
def _compact_progress(dry_run: bool) -> Iterator[Callable[[int, int], None]]:
    """A bar (entries examined of those holding a copy, elapsed) when stderr is a terminal, else a line every 30 s."""
    label = "counting (dry run)" if dry_run else "compacting"
    if err.is_terminal:
        columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn("entries"), TimeElapsedColumn())
        with Progress(*columns, console=err) as bar:
            task = bar.add_task(label, total=None)
            yield lambda done, total: bar.update(task, completed=done, total=total)
        return
    last = [time.monotonic()]

    def log(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_LOG_SECONDS:
            last[0] = now
            err.print(f"{label}: {done}/{total} {plural(total, 'entry', 'entries')}")

    yield log
