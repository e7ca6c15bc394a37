"""The batch's own short writes (its attempt begun, quarantine cleared, the part marked complete) kept
waiting for the SQLite write lock say so after 2 s, as its chunk commits do, instead of 30 s of silence."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from adapters.batch import runs
from adapters.batch.runner import BatchOptions, run_batch
from adapters.store import open_store
from tests.integration.sqlite_lock import WAITING, LockTakenMidRun, write_lock_held
from tests.integration.test_batch_support import AS_OF, RULES, make_portfolio, scalar

PART = runs.Partition()


def _while_held(url: str, write: Callable[[Callable[[str], None]], Any]) -> tuple[Any, list[str]]:
    """`write(on_wait)` while another writer holds the lock, given back as soon as the write says it waits."""
    said: list[str] = []
    with write_lock_held(url) as holder:

        def notice(line: str) -> None:
            said.append(line)
            holder.execute("ROLLBACK")

        return write(notice), said


def test_an_attempt_begun_while_another_writer_holds_the_lock_says_so_once_then_begins(
        tmp_path: Path, short_waits: None) -> None:
    url = make_portfolio(tmp_path, 5)
    store = open_store(url)

    attempt, said = _while_held(url, lambda on_wait: runs.start_run(store.engine, "run-1", PART, AS_OF, "v",
                                                                    on_wait=on_wait))  # fmt: skip

    store.close()
    assert attempt == 1
    assert len(said) == 1 and said[0].startswith(f"{WAITING} {url}: another process holds it"), said


def test_a_part_marked_done_and_its_quarantine_cleared_while_the_lock_is_held_say_so_once_each(
        tmp_path: Path, short_waits: None) -> None:
    url = make_portfolio(tmp_path, 5)
    store = open_store(url)
    runs.start_run(store.engine, "run-1", PART, AS_OF, "v")

    cleared, said_clearing = _while_held(url, lambda w: runs.clear_quarantine(store.engine, "run-1", PART, on_wait=w))
    seconds, said_finishing = _while_held(
        url, lambda w: runs.finish_run(store.engine, "run-1", PART, "complete", {"customers": 5}, 1.5, on_wait=w))

    store.close()
    assert cleared == 0 and seconds == 1.5
    assert len(said_clearing) == 1 and len(said_finishing) == 1
    assert scalar(url, "SELECT status FROM batch_runs") == "complete"


def test_a_run_whose_last_chunk_is_followed_by_another_writer_says_so_and_ends_complete(
        tmp_path: Path, short_waits: None) -> None:
    url = make_portfolio(tmp_path, 20)
    other = LockTakenMidRun(url, lambda progress: progress.done == progress.total)  # only the part's row is left

    summary = run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES, chunk_size=50),
                        other.on_progress, on_notice=other.notice)  # fmt: skip

    other.close()
    assert summary["exit_code"] == 0, summary.get("error")
    assert len(other.said) == 1 and other.said[0].startswith(f"{WAITING} {url}: another process holds it")
    assert scalar(url, "SELECT status FROM batch_runs") == "complete"
