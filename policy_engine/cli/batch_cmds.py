"""Nightly batch commands: `batch` (`report`, `queue`, `runs`, `simulate`: their own *_cmd.py modules)."""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from policy_engine.rules import DEFAULT_RULES_DIR

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
"""Ctrl-C: the shells' 128 + SIGINT; the run is marked failed and the next start resumes it."""
err = Console(stderr=True, highlight=False, soft_wrap=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", metavar="URL", help="SQLAlchemy URL; default $CREDIT_POLICY_DB or sqlite:///var/credit-policy.sqlite"),
]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", metavar="YYYY-MM-DD", help="evaluation date (YYYY-MM-DD); default today")
]


def _date(value: str | None, option: str) -> date:
    """The day `option` names (none or empty: today), or exit 2 saying what to write (options.date_option)."""
    from policy_engine.cli.options import date_option

    return date_option(option, value) if value else date.today()


def _db(db: str | None) -> str:
    from adapters.store import resolve_db_url

    return str(resolve_db_url(db))


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


WORKERS_HELP = ("worker processes, each with its own policy (1 runs in this process); advised: one per CPU, "
                "`--workers $(nproc)` on a dedicated machine; more only compete for the cores (a warning says so)")


def usable_cpus() -> int:
    """The CPUs this process may run on: its affinity (taskset, a cpuset) where the OS tells, else all of them."""
    process_cpu_count = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if process_cpu_count is not None:
        return int(process_cpu_count() or 1)
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def warn_if_more_workers_than_cpus(workers: int) -> None:
    """One warning on stderr when `--workers` exceeds the usable CPUs (`batch`, `simulate`); the run goes on."""
    cpus = usable_cpus()
    if workers > cpus:
        err.print(f"warning: --workers {workers} is more than the {cpus} CPU(s) this process may use: each worker "
                  f"keeps a core busy, so the extra ones only compete for the cores and add memory (~100 MiB "
                  f"each); use --workers {cpus}, one per CPU", markup=False)  # fmt: skip


PartitionOption = Annotated[
    str, typer.Option(metavar="I/N", help="i/n: only the customers whose stable hash mod n is i (one machine's share)")
]
RetryOption = Annotated[
    bool, typer.Option(help="take this run's quarantined customers again (after fixing their data)")
]
ReportDirOption = Annotated[
    Path | None,
    typer.Option(metavar="DIR", help="write the run's report (HTML, CSV and JSON) here when the run is complete "
                                      "(checked at the start: a warning if it cannot be written)"),
]
RuleTestsOption = Annotated[bool, typer.Option(
    "--rule-tests/--no-rule-tests",
    help="run only on rules whose own test cases (RULES/tests) pass, as `serve --rule-tests` takes them; "
         "recommended where the service runs with --rule-tests")]


def batch_cmd(
    db: DbOption = None,
    as_of: AsOfOption = None,
    workers: Annotated[int, typer.Option(min=1, max=256, help=WORKERS_HELP)] = 1,
    partition: PartitionOption = "0/1",
    rules: Annotated[Path, typer.Option(metavar="DIR", help="rules directory")] = DEFAULT_RULES_DIR,
    chunk_size: Annotated[int, typer.Option(min=1, max=20_000, help="customers per transaction")] = 500,
    retry_quarantined: RetryOption = False,
    report_dir: ReportDirOption = None,
    quiet: Annotated[bool, typer.Option(help="no progress output")] = False,
    rule_tests: RuleTestsOption = False,
) -> None:
    """Re-evaluate every customer; resumable and idempotent per (as-of, policy version). Prints a JSON summary.

    Exit status: 0 done, 1 done but some customers were quarantined, 2 bad input or configuration (a store the
    batch may not write or a damaged one included; a --report-dir that cannot be written: the run is kept, the
    same command writes the report), 3 fatal
    error, a database that does not answer, SIGTERM or SIGHUP; 130 Ctrl-C (3 and 130: run it again to resume).
    """
    from adapters.batch.runner import BatchOptions
    from policy_engine.cli.batch_input import as_of_or_exit, partition_or_exit, require_store

    day, part = as_of_or_exit(as_of), partition_or_exit(partition)  # the options first, then the store
    require_store(_db(db))
    warn_if_more_workers_than_cpus(workers)
    opts = BatchOptions(db_url=_db(db), as_of=day, rules_dir=rules, workers=workers, partition=part,
                        chunk_size=chunk_size, retry_quarantined=retry_quarantined, rule_tests=rule_tests,
                        report_dir=report_dir)  # fmt: skip
    summary = _run_or_exit(opts, quiet)
    if report_dir is not None and summary.get("status") == "complete":
        _add_report(summary, opts.db_url, report_dir)
    _print_notes(summary)
    _print_json(summary)
    raise typer.Exit(summary["exit_code"])


def _run_or_exit(opts: Any, quiet: bool) -> dict[str, Any]:
    """Run the batch (progress unless `quiet`): its summary, or exit 3 / 130 / 2 when stopped or refused."""
    from adapters.batch import interrupt
    from adapters.batch.pool import WORKERS_MAY_RUN
    from adapters.batch.progress import batch_progress
    from adapters.batch.runner import EXIT_BAD_INPUT as BAD
    from adapters.batch.runner import BatchInputError, run_batch
    from policy_engine.cli.batch_stopped import count_failed, remembering, stopped

    summary: dict[str, Any] = {}
    last: list[Any] = []  # the latest progress: how far a stopped run got

    try:  # SIGTERM (a scheduler stopping the task) and Ctrl-C: the run is marked failed, the workers stop
        with interrupt.handled(), batch_progress(quiet) as hook:
            result = run_batch(opts, remembering(hook, last), summary, _notice, _warning)
        if result.get("status") == "failed":  # an error stopped it: how far it got, as for a signal
            count_failed(result, last, (opts.db_url, opts.partition))
        return result
    except (interrupt.Terminated, KeyboardInterrupt) as exc:
        how, code = ("terminated", 3) if isinstance(exc, interrupt.Terminated) else ("interrupted", EXIT_INTERRUPTED)
        exact = not getattr(exc, WORKERS_MAY_RUN, False)  # the workers' chunks were committed before the count
        stopped(summary, last, how, code, (opts.db_url, opts.partition) if exact else None)
    except BatchInputError as exc:
        err.print(f"error: {exc}", markup=False)
        _print_json({"status": "bad_input", "error": str(exc), "exit_code": BAD})
        raise typer.Exit(BAD) from None


def _notice(line: str) -> None:
    """A line for the operator while the batch runs, above its progress bar if there is one (even with --quiet:
    it says why the run seems to stand still)."""
    err.print(f"batch: {line}", markup=False)


def _warning(line: str) -> None:
    """A problem the run goes on with, said when found, in the form of the batch's other warnings."""
    err.print(f"warning: {line}", markup=False)


def _add_report(summary: dict[str, Any], db_url: str, report_dir: Path) -> None:
    """Write the complete run's report into the summary (or, when it cannot be written, the error and exit 2; when
    SIGTERM, SIGHUP or Ctrl-C stops it, exit 3 or 130, with nothing half-written left: files.written_whole)."""
    from adapters.batch import interrupt
    from adapters.batch.runner import EXIT_BAD_INPUT as BAD
    from policy_engine.cli.report_cmd import ReportNotWritten, write_report_files

    again = "the same command again writes only the report"
    try:  # the run's signals are still handled here: before, a stop while the report was written (a large book's
        with interrupt.handled():  # CSV takes a while) ended the process by SIGTERM: no summary, .partial files left
            summary["report"] = write_report_files(db_url, summary["run_id"], report_dir)
    except ReportNotWritten as exc:  # said last on stderr
        summary["report"] = {"error": f"{exc}; the run is complete and kept: once the report can be written, {again}"}
        summary["exit_code"] = BAD
    except (interrupt.Terminated, KeyboardInterrupt) as exc:
        how, code = ("terminated", 3) if isinstance(exc, interrupt.Terminated) else ("interrupted", EXIT_INTERRUPTED)
        summary["report"] = {"error": f"{how} while the report was written: the run is complete and kept, the report "
                                      f"not written; {again}"}
        summary["exit_code"] = code


def _print_notes(summary: dict[str, Any]) -> None:
    """On stderr: who was left out or quarantined, the run's error, an already complete run, the report's error."""
    from policy_engine.cli.batch_stopped import settled_line

    for item in summary.get("portfolio_unreadable", {}).get("sample", []):
        err.print(f"left out of the portfolio pass {item['customer_id']}: {item['error']}", markup=False)
    for item in summary.get("quarantine_sample", []):
        err.print(f"quarantined {item['customer_id']}: {item['error']}", markup=False)
    if summary.get("profiles_newer_kept"):
        err.print(f"{summary['profiles_newer_kept']} customer(s) hold a credit profile of a later as-of than "
                  f"{summary['as_of']}: left as they are; this run's decisions are in its results, report and "
                  "the decision log", markup=False)  # fmt: skip
    if summary.get("error"):
        err.print(f"error: {summary['error']}", markup=False)
        if settled_line(summary):
            err.print(settled_line(summary), markup=False)
    if summary.get("already_complete"):
        err.print(f"run {summary['run_id']} part {summary['partition']} is already complete (attempt "
                  f"{summary['attempt']}): no customer to evaluate, the store is left as it is", markup=False)
    if summary.get("report", {}).get("error"):
        err.print(f"error: {summary['report']['error']}", markup=False)
