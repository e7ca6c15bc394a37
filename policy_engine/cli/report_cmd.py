"""`credit-policy report`: a batch run's report; and the run a command names, found in the store."""

from __future__ import annotations

import errno
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from policy_engine.cli.batch_cmds import EXIT_BAD_INPUT, DbOption, _db, _print_json, err

_NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT})
"""A full disk or a user's quota: room must be made, not the folder fixed."""


class ReportNotWritten(Exception):
    """The report's folder or files could not be written (a bad --out or --report, a full disk)."""


def write_report_files(db_url: str, run_id: str, out_dir: Path) -> dict[str, str]:
    """Write the run's report (HTML, CSV, JSON) into `out_dir`: each file's path by its kind."""
    from adapters.batch.report import write_report
    from adapters.store import make_engine

    engine = make_engine(db_url)
    try:
        paths = write_report(engine, run_id, out_dir)
    except OSError as exc:
        where = exc.filename or out_dir
        room = " (no room left: free space there)" if exc.errno in _NO_ROOM else ""
        raise ReportNotWritten(f"cannot write the report to {where}: {exc.strerror or exc}{room}") from None
    finally:
        engine.dispose()
    return {kind: str(path) for kind, path in paths.items()}


def engine_and_run(db: str | None, run: str | None, day: date | None = None,
                   command: str = "report") -> tuple[Any, str]:  # fmt: skip
    """The store and the run named (id or as-of date; none: the newest as of `day`), or exit 2 saying why;
    `command` starts the line said while the store's migration waits for the write lock."""
    from adapters.batch.runs import latest_run, resolve_run
    from adapters.store.engine import cannot_open
    from policy_engine.cli.batch_store import open_engine

    engine = open_engine(db, command)
    try:
        with engine.connect() as conn:
            run_id = resolve_run(conn, run) if run or day is None else latest_run(conn, day)
    except Exception as exc:  # an unreachable or foreign database: say which, no traceback
        err.print(f"error: {cannot_open(_db(db), exc)}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if run_id is None:
        err.print(f"error: no batch run {'matches ' + repr(run) if run else 'found'}; run `credit-policy batch` first")
        raise typer.Exit(EXIT_BAD_INPUT)
    _warn_if_unfinished(engine, run_id, db)
    return engine, run_id


def _unfinished(engine: Any, run_id: str) -> str | None:
    from adapters.batch.runs import unfinished

    with engine.connect() as conn:
        return unfinished(conn, run_id)


def _warn_if_unfinished(engine: Any, run_id: str, db: str | None) -> None:
    """A run stopped (or still running) holds only the customers settled so far: say so, and how to finish it."""
    from adapters.store.engine import safe_url

    missing = _unfinished(engine, run_id)
    if missing:
        # the store asked about: the command copied without it would run on $CREDIT_POLICY_DB or var/
        store = f" --db {safe_url(db)}" if db else ""
        as_of = run_id.split(":", 1)[0]
        err.print(f"warning: run {run_id} is not complete ({missing}): what follows covers the settled customers "
                  f"only; `credit-policy batch{store} --as-of {as_of}` with the rules of policy "
                  f"{run_id.split(':')[-1]} finishes it", markup=False)  # fmt: skip


def report_cmd(
    run: Annotated[str | None, typer.Argument(help="run id or its as-of date; default the newest run")] = None,
    db: DbOption = None,
    out: Annotated[Path, typer.Option(
        "--out", metavar="DIR", help="directory for the HTML, CSV and JSON files")] = Path("var/reports"),
) -> None:
    """Write a run's report: an HTML page with charts, a CSV line per customer and the figures as JSON."""
    engine, run_id = engine_and_run(db, run)
    try:
        complete = _unfinished(engine, run_id) is None
        paths = write_report_files(str(engine.url.render_as_string(hide_password=False)), run_id, out)
    except ReportNotWritten as exc:
        err.print(f"error: {exc}; once it can be written, run the same command again", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    finally:
        engine.dispose()
    _print_json({"run_id": run_id, **paths, "complete": complete})
