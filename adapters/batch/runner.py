"""The nightly re-evaluation: portfolio pass, then every pending customer in chunks across worker processes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from adapters.batch import interrupt, runs, superseded, walk
from adapters.batch.another import AnotherProcess
from adapters.batch.config import portfolio_config
from adapters.batch.fatal import fatal_text, retry_may_help
from adapters.batch.opening import BatchInputError as BatchInputError  # where the CLI and tests import them
from adapters.batch.opening import BatchOptions as BatchOptions
from adapters.batch.opening import NoticeHook, ProgressHook, StoreNotAnswering, load_rules, open_store
from adapters.batch.pool import WINDOW_PER_WORKER, pooled
from adapters.batch.portfolio_once import ensure_portfolio
from adapters.batch.progress import Progress
from adapters.batch.report_dir import warn_if_unwritable
from adapters.batch.runs import Partition
from adapters.batch.worker import ChunkEvaluator, ChunkResult, RunContext, init_worker, run_chunk
from adapters.store import lock_wait
from adapters.store.audit import record_policy_files
from policy_engine.api import SAID_PROBLEMS, lint_warnings, said_warnings

EXIT_OK, EXIT_QUARANTINED, EXIT_BAD_INPUT, EXIT_FATAL = 0, 1, 2, 3
MAX_ERRORS_SHOWN = 20


def run_batch(opts: BatchOptions, on_progress: ProgressHook | None = None, summary: dict[str, Any] | None = None,
              on_notice: NoticeHook | None = None, on_warning: NoticeHook | None = None) -> dict[str, Any]:  # fmt: skip
    """Run (or resume) the batch for one part; return the summary (its `exit_code` tells how it ended).

    A `summary` passed in is filled as the run goes, so a caller stopped by Ctrl-C or SIGTERM (raised
    through) still knows which run and attempt it stopped. `on_notice` gets a line to show the operator
    now: a wait of over 2 s for the SQLite store's write lock, which another process holds. `on_warning`
    gets a problem the run goes on with: each of lint's warnings on the rules (also the summary's
    `policy_warnings`), a `report_dir` that cannot be written."""
    summary = {} if summary is None else summary
    policy = load_rules(opts)
    config = portfolio_config(policy)  # its cut-offs refused (exit 2) before the store is opened
    _say_policy_warnings(policy, opts.rules_dir, summary, on_warning or _say_nothing)
    if opts.report_dir is not None:
        warn_if_unwritable(opts.report_dir, summary, on_warning or _say_nothing)
    run_id = runs.make_run_id(opts.as_of, policy.version)
    summary.update(run_id=run_id, as_of=opts.as_of.isoformat(), policy_version=policy.version,
                   partition=str(opts.partition), workers=opts.workers)  # fmt: skip
    started = time.perf_counter()
    try:
        store = open_store(opts, on_notice or _say_nothing)
    except StoreNotAnswering as exc:
        policy.close()
        summary.update(status="failed", error=str(exc), exit_code=EXIT_FATAL)
        return summary
    return _run_opened(opts, (policy, config, store, run_id, started), summary, (on_progress, on_notice))


def _run_opened(opts: BatchOptions, opened: tuple[Any, Any, Any, str, float], summary: dict[str, Any],
                hooks: tuple[ProgressHook | None, NoticeHook | None]) -> dict[str, Any]:  # fmt: skip
    """run_batch once the rules are loaded and the store is open: the portfolio pass, then the evaluation."""
    policy, config, store, run_id, started = opened
    notice = hooks[1] or _say_nothing
    attempt_begun = False  # until then the part's row is as an earlier attempt left it (complete stays complete)
    try:
        # Each of the run's writes says so when another process keeps it waiting over 2 s (lock_wait.write).
        lock_wait.write(store.engine, lambda conn: record_policy_files(conn, policy.version, policy.files), notice)
        settled = _settled(opts, run_id, store.engine)
        attempt_begun = settled is None
        began = time.time() - (time.perf_counter() - started)  # the attempt's seconds count from `started`
        # An already complete part says so at once: a stop from here on leaves it complete (batch_stopped).
        summary.update(_begin_attempt(opts, (run_id, policy.version, began), store.engine, notice) if settled is None
                       else {"attempt": settled.pop("attempt"), "already_complete": True})  # fmt: skip
        portfolio = ensure_portfolio(store.engine, run_id, opts.as_of, config, on_wait=notice)
        summary["portfolio_seconds"] = round(time.perf_counter() - started, 2)
        other = None
        if attempt_begun:  # the same command started twice shares the customers: each says so (another.py)
            other = AnotherProcess(store.engine, (run_id, opts.partition, summary["attempt"]), notice, summary,
                                   in_flight=_unreported(opts))
            hooks = (other.watching(hooks[0]), hooks[1])
        figures, errors = _run_part(opts, (run_id, summary["attempt"]), policy, store.engine, hooks, settled, started)
        if other is not None:  # a process that met the other only where they crossed hears of it here
            other.reckon(figures["ok"] + figures["quarantined"] + figures["skipped"])
        summary.update(figures)
        summary.update(_portfolio_figures(portfolio, errors))
        summary["exit_code"] = EXIT_QUARANTINED if summary["quarantined"] else EXIT_OK
        return summary
    except BaseException as exc:
        if attempt_begun:
            summary.update(_mark_failed(store, run_id, opts.partition, time.perf_counter() - started, notice))
        if isinstance(exc, Exception):  # a store read-only or damaged: exit 2, a retry cannot help
            code = EXIT_FATAL if retry_may_help(exc, store.engine) else EXIT_BAD_INPUT
            summary.update(status="failed", error=fatal_text(exc, store.engine), exit_code=code)
            return summary
        raise
    finally:
        store.close()
        policy.close()


def _say_policy_warnings(policy: Any, rules_dir: Path, summary: dict[str, Any], warn: NoticeHook) -> None:
    """Lint's warnings on the rules the run decides with, once a run, as `lint` prints them (the service logs them
    as `policy warnings`): probable slips such as a ratio's threshold written as a percentage, which an operator
    reading the night's log should see; the run goes on. Absent from the summary when there are none. Stderr says the
    first SAID_PROBLEMS and counts the rest (said_warnings), and the summary on stdout keeps the same first ones as
    `policy_warnings` with their exact `policy_warning_count`, as the service's log line does: 200,000 warnings made a
    53-MB summary. `credit-policy lint` lists them all."""
    warnings = lint_warnings(policy)
    if warnings:
        summary.update(policy_warnings=warnings[:SAID_PROBLEMS], policy_warning_count=len(warnings))
    for line in said_warnings(warnings, rules_dir):
        warn(line)


def _unreported(opts: BatchOptions) -> int:
    """How many customers the workers may have committed before their chunks are reported (0 in-process)."""
    return 0 if opts.workers <= 1 else WINDOW_PER_WORKER * opts.workers * opts.chunk_size


def _say_nothing(_line: str) -> None:
    """A notice nobody asked to see."""


def _portfolio_figures(portfolio: dict[str, Any], errors: list[tuple[str, str]]) -> dict[str, Any]:
    """The portfolio step's figures (value classes, give-up, unreadable customers) and the quarantine sample."""
    return {
        "value_classes": portfolio["classes"], "value_classes_by_currency": portfolio.get("by_currency", []),
        "give_up": portfolio["give_up"],
        "portfolio_unreadable": portfolio.get("unreadable", {"customers": 0, "sample": []}),
        "quarantine_sample": [{"customer_id": c, "error": e} for c, e in errors],
    }  # fmt: skip


def _begin_attempt(opts: BatchOptions, run: tuple[str, str, float], engine: Any, notice: NoticeHook
                   ) -> dict[str, Any]:  # fmt: skip
    """Count a new attempt at the part; with --retry-quarantined forget its quarantined customers. Say which
    stopped runs of the same day under other rules it does not resume (a rerun after a rule change)."""
    run_id, policy_version, began = run
    attempt = runs.start_run(engine, run_id, opts.partition, opts.as_of, policy_version, on_wait=notice, began=began)
    begun: dict[str, Any] = {"attempt": attempt}
    if opts.retry_quarantined:
        begun["retried_quarantined"] = runs.clear_quarantine(engine, run_id, opts.partition, on_wait=notice)
    left = superseded.unfinished_under_other_rules(engine, run_id, opts.partition, opts.as_of)
    for other in left:
        notice(superseded.notice(other, run_id))
    if left:
        begun["unfinished_under_other_rules"] = left
    return begun


def _run_part(opts: BatchOptions, run: tuple[str, int], policy: Any, engine: Any,
              hooks: tuple[ProgressHook | None, NoticeHook | None],
              settled: dict[str, Any] | None, started: float
              ) -> tuple[dict[str, Any], list[tuple[str, str]]]:  # fmt: skip
    """The part's figures, after this attempt or as the complete part stands (nothing to do), and some of
    its quarantined customers with their errors: the whole run's, whichever attempt quarantined them (a
    resumed attempt's too), read back from batch_results by customer id, as many as a run shows."""
    run_id = run[0]
    if settled is not None:
        figures = {**settled, "seconds": round(time.perf_counter() - started, 2)}
    else:
        progress = _evaluate_pending(opts, run, policy, engine, hooks)
        figures = _finish(engine, run_id, opts.partition, progress, (time.perf_counter() - started, hooks[1]))
    with engine.connect() as conn:
        errors = runs.quarantined(conn, run_id, opts.partition, MAX_ERRORS_SHOWN) if figures["quarantined"] else []
        figures["profiles_newer_kept"] = runs.newer_profiles(conn, run_id, opts.partition, opts.as_of)
    return figures, errors


def _settled(opts: BatchOptions, run_id: str, engine: Any) -> dict[str, Any] | None:
    """A part an earlier attempt completed, with no customer left to take: its figures, counting no new
    attempt and writing nothing. None when there is work: a part not complete, customers added since,
    or quarantined ones that --retry-quarantined takes again."""
    complete = runs.complete_attempts(engine, run_id, opts.partition)
    if complete is None:
        return None
    attempts, seconds_all_attempts = complete
    total, done = runs.count_customers(engine, run_id, opts.partition)
    with engine.connect() as conn:
        counts = runs.status_counts(conn, run_id, opts.partition)
    if done < total or (opts.retry_quarantined and counts.get("quarantined", 0)):
        return None
    return {"attempt": attempts, "status": "complete", "already_complete": True, "customers": total,
            "ok": counts.get("ok", 0), "quarantined": counts.get("quarantined", 0),
            "skipped": counts.get("skipped", 0), "evaluated_now": 0, "quarantined_now": 0, "already_done": total,
            "evaluated_in_vain": 0, "rate_per_second": 0.0, "seconds_all_attempts": seconds_all_attempts,
            **({"retried_quarantined": 0} if opts.retry_quarantined else {})}  # fmt: skip


def _evaluate_pending(opts: BatchOptions, run: tuple[str, int], policy: Any, engine: Any,
                      hooks: tuple[ProgressHook | None, NoticeHook | None]) -> Progress:  # fmt: skip
    """Settle every customer of the part not yet done in this run (`run`: its id, and this attempt, which
    picks the way the part is walked); return the progress."""
    (run_id, attempt), (on_progress, on_notice) = run, hooks
    total, done = runs.count_customers(engine, run_id, opts.partition)
    progress = Progress(total=total, done=done, started=time.perf_counter(), workers=opts.workers)
    if on_progress is not None:  # before the workers start: the total, and where a resumed run starts
        on_progress(progress)
    ctx = RunContext(run_id, opts.as_of, str(engine.url.render_as_string(hide_password=False)), str(opts.rules_dir),
                     tuple(sorted(policy.files.items())))  # the files the run's version is of, not the directory now
    way = walk.walk_for(attempt, engine, run_id, opts.partition, total - done)
    chunks = walk.pending_chunks(engine, run_id, opts.partition, opts.chunk_size, way)
    for result in _execute(opts, ctx, (policy, engine, on_notice), chunks):
        progress.settle(result)
        if on_progress is not None:
            on_progress(progress)
        interrupt.raise_if_requested()  # an interrupt Python reported as "Exception ignored" still stops here
    return progress


def _finish(engine: Any, run_id: str, part: Partition, progress: Progress,
            ended: tuple[float, NoticeHook | None]) -> dict[str, Any]:  # fmt: skip
    """Count the part's customers by status, mark the part complete (a wait for the SQLite write lock said
    through the notice hook in `ended`, with the seconds elapsed); the summary's figures."""
    elapsed, notice = ended
    ended_at = time.time()  # the attempt's end, as `elapsed` was measured: counting and writing come after
    with engine.connect() as conn:
        counts = runs.status_counts(conn, run_id, part)
    totals = {"customers": progress.total, "ok": counts.get("ok", 0), "quarantined": counts.get("quarantined", 0),
              "skipped": counts.get("skipped", 0)}  # fmt: skip
    all_attempts = runs.finish_run(engine, run_id, part, "complete", totals, elapsed, notice, ended_at)
    return {"status": "complete", "already_complete": False, **totals, "evaluated_now": progress.now_done,
            "quarantined_now": progress.now_quarantined, "already_done": progress.done - progress.now_done,
            "evaluated_in_vain": progress.now_in_vain,
            "seconds": round(elapsed, 2), "seconds_all_attempts": all_attempts,
            "rate_per_second": round(progress.average_rate, 1)}  # fmt: skip


def _mark_failed(store: Any, run_id: str, part: Partition, seconds: float, notice: NoticeHook) -> dict[str, Any]:
    """Mark the part failed; the attempt's seconds and all attempts' for the summary ({} if not recorded)."""
    try:
        all_attempts = runs.finish_run(store.engine, run_id, part, "failed", {}, seconds, on_wait=notice)
    except Exception:  # noqa: BLE001 - the original failure is what the caller must see
        return {}
    return {"seconds": round(seconds, 2), "seconds_all_attempts": all_attempts}


def _execute(opts: BatchOptions, ctx: RunContext, here: tuple[Any, Any, NoticeHook | None],
             chunks: Iterator[list[str]]) -> Iterator[ChunkResult]:  # fmt: skip
    """Settle every chunk: in this process for one worker (its policy, engine and notices), else in a pool
    with a bounded queue (each worker its own; a worker's notice goes to its log, on stderr)."""
    if opts.workers <= 1:
        policy, engine, on_notice = here
        evaluator = ChunkEvaluator(ctx, policy=policy, engine=engine, on_wait=on_notice)
        for chunk in chunks:
            yield evaluator.run(chunk)
        return
    yield from pooled(opts.workers, init_worker, (ctx,), run_chunk, chunks)
