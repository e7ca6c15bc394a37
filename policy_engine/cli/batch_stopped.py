"""A batch stopped by Ctrl-C or SIGTERM: how far it got, on stderr and as the JSON summary on stdout.

How far it got is counted in the store, not taken from the last progress report: chunks in flight
when the stop came are finished and committed by their workers while the batch waits for them to
stop, and never report progress. Only when the store cannot be read then is the last report's
figure given, as a lower bound (`settled_at_least`).
"""

from __future__ import annotations

from typing import Any, NoReturn

import typer

from policy_engine.cli.batch_cmds import _print_json, err
from policy_engine.words import plural


def remembering(hook: Any, last: list[Any]) -> Any:
    """The progress hook, keeping the latest progress in `last` as well."""
    def remember(progress: Any) -> None:
        last[:] = [progress]
        if hook is not None:
            hook(progress)

    return remember


def _count_in_store(db_url: str, run_id: str, part: Any) -> dict[str, int] | None:
    """The part's customers and how many of them are settled, by status, `complete_attempts` (the attempts of
    a part whose row says complete, else 0) and `attempts_begun` (0: no row); None if the store cannot be read."""
    from adapters.batch import runs
    from adapters.store import make_engine

    try:
        engine = make_engine(db_url)
        try:
            total, done = runs.count_customers(engine, run_id, part)
            with engine.connect() as conn:
                counts = runs.status_counts(conn, run_id, part)
            complete = runs.complete_attempts(engine, run_id, part)
            begun = runs.attempts_begun(engine, run_id, part)
        finally:
            engine.dispose()
    except Exception:  # noqa: BLE001 - the stop is what must be reported; the figure falls back to progress
        return None
    return {"customers": total, "settled": done, "ok": counts.get("ok", 0),
            "quarantined": counts.get("quarantined", 0), "skipped": counts.get("skipped", 0),
            "complete_attempts": complete[0] if complete else 0, "attempts_begun": begun}  # fmt: skip


def _how_far(summary: dict[str, Any], last: list[Any], counted: dict[str, int] | None) -> str:
    """Fill in the customers settled; the line saying so ("" when nothing is known)."""
    if counted is not None:
        counted = {k: v for k, v in counted.items() if k not in ("complete_attempts", "attempts_begun")}
    if last:
        p = last[0]
        summary.update(customers=p.total, settled=p.done, evaluated_now=p.now_done,
                       quarantined_now=p.now_quarantined)  # fmt: skip
    if counted is not None:
        if last:  # what settled after the last report was this invocation's workers finishing their chunks
            summary["evaluated_now"] += max(counted["settled"] - summary["settled"], 0)
        summary.update(counted)
    elif last:
        summary["settled_at_least"] = True
    return settled_line(summary)


def settled_line(summary: dict[str, Any]) -> str:
    """`100 of 300 customers settled` (`at least …` when the store could not be counted; "" if unknown)."""
    if "settled" not in summary:
        return ""
    bound = "at least " if summary.get("settled_at_least") else ""
    customers = summary["customers"]
    return f"{bound}{summary['settled']:,} of {customers:,} {plural(customers, 'customer')} settled"


def stopped(summary: dict[str, Any], last: list[Any], how: str, exit_code: int,
            store: tuple[str, Any] | None = None) -> NoReturn:  # fmt: skip
    """A run stopped by a signal: say so on stderr, print the summary as far as it got (its status as in
    batch_runs: `failed`, or `complete` for a part this command began no attempt at and found complete, and
    the customers settled, counted in the store (db URL, partition) once the workers have stopped) and exit
    with `exit_code`."""
    if "run_id" not in summary:
        _stopped_before_the_run(summary, f"{how} while the rules were loaded, before the run began: nothing was "
                                         "written; run the same command again", exit_code)
    counted = None
    if store is not None:
        counted = _count_in_store(store[0], summary["run_id"], store[1])
    if "attempt" not in summary and counted is not None and not counted["attempts_begun"]:
        # The run's id is known, but no attempt (this command's or an earlier one's) ever began: nothing to resume.
        part = f"run {summary['run_id']} part {summary['partition']}"
        _stopped_before_the_run(summary, f"{how} before the run's first attempt began: {part} has not started; run "
                                         "the same command again", exit_code)
    complete = _left_complete(summary, counted)
    status = "complete" if complete else "failed"
    message = (f"{how} before this command began an attempt: run {summary['run_id']} part {summary['partition']} "
               f"is complete (attempt {complete}) and left as it is" if complete
               else f"{how}: run the same command again to resume")  # fmt: skip
    err.print(message, markup=False)
    line = _how_far(summary, last, counted)
    if line:
        err.print(line, markup=False)
    if complete:
        summary.update(attempt=complete, already_complete=True)
    _print_json({**summary, "status": status, "error": message, "exit_code": exit_code})
    raise typer.Exit(exit_code)


def _stopped_before_the_run(summary: dict[str, Any], message: str, exit_code: int) -> NoReturn:
    """A stop before any attempt at the run's part began (while the rules loaded; or on a first night, before the
    part had a row in batch_runs): `not_started`. Before, it said `failed` and `run the same command again to
    resume`: a run to resume that did not exist (or a complete one, which stays complete)."""
    err.print(message, markup=False)
    _print_json({**summary, "status": "not_started", "error": message, "exit_code": exit_code})
    raise typer.Exit(exit_code)


def _left_complete(summary: dict[str, Any], counted: dict[str, int] | None) -> int:
    """The attempts of a complete part this command stopped before beginning an attempt at (it found the part
    complete, or was stopped before it looked), else 0. Before, such a stop said `failed`: a finished night
    read as one to resume, while batch_runs still said complete."""
    if counted is None:  # the store cannot be read now: the runner's word that it found the part complete
        return int(summary["attempt"]) if summary.get("already_complete") else 0
    began_attempt = "attempt" in summary and not summary.get("already_complete")
    if began_attempt or counted["settled"] < counted["customers"]:
        return 0
    return counted["complete_attempts"]


def count_failed(summary: dict[str, Any], last: list[Any], store: tuple[str, Any]) -> None:
    """A run an error stopped (exit 3): fill in how far it got, counted in the store (db URL, partition)
    once its workers have stopped. Nothing when no attempt began (the store did not answer)."""
    if "attempt" in summary:
        _how_far(summary, last, _count_in_store(store[0], summary["run_id"], store[1]))
