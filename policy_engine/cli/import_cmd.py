"""`credit-policy import`: a file of records into the store, upserting by id, and what it says about the rows."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress, TextColumn, TimeElapsedColumn

from policy_engine.cli.interrupt import EXIT_INTERRUPTED
from policy_engine.cli.store_common import (
    DbOption,
    err,
    exit_if_locked,
    exit_if_store_failed,
    open_store_or_exit,
    say_waiting,
)
from policy_engine.words import plural

MAX_PROBLEMS_SHOWN = 50


class Kind(StrEnum):
    """What an import file holds."""

    customers = "customers"
    invoices = "invoices"
    orders = "orders"
    financials = "financials"
    signals = "signals"


class Format(StrEnum):
    """Input file format."""

    csv = "csv"
    jsonl = "jsonl"


def import_cmd(
    kind: Annotated[Kind, typer.Argument(help="customers | invoices | orders | financials | signals")],
    file: Annotated[Path, typer.Argument(
        help="a CSV file with a header line, or JSON lines, one object a line (.jsonl, .ndjson or .json)")],
    db: DbOption = None,
    fmt: Annotated[Format | None, typer.Option(
        "--format", help="csv or jsonl; default jsonl for a .jsonl, .ndjson or .json file, else csv")] = None,
    keep_going: Annotated[bool, typer.Option("--keep-going", help="load the good rows, write the bad ones")] = False,
    rejects: Annotated[Path | None, typer.Option(metavar="FILE", help=(
        "where --keep-going writes rejected rows, in the input's format; default beside FILE, "
        "invoices.csv's in invoices.rejects.csv"))] = None,
    strict: Annotated[bool, typer.Option("--strict", help=(
        "Fail on warnings too: a financial statement that does not add up (cash and stock over its current "
        "assets, assets not liabilities + equity, …) is refused as a bad row, not loaded with a warning."))] = False,
) -> None:
    """Import a file of records, upserting by id: all-or-nothing unless --keep-going."""
    rejects = _rejects_or_exit(file, keep_going, rejects)
    store = open_store_or_exit(db, command="import")
    report = _import_with_bar(store.engine, kind, file, fmt, keep_going=keep_going, rejects=rejects, strict=strict)
    _print_bounded(report.problems, report.problem_count, "problem")
    _import_summary(report, rejects)
    _print_bounded(report.warnings, report.warning_count, "warning", prefix="warning: ")
    raise typer.Exit(1 if report.problem_count else 0)


def _rejects_or_exit(file: Path, keep_going: bool, rejects: Path | None) -> Path | None:
    """Where the rejected rows go (None without --keep-going); exit 2 for a file or options that cannot be
    imported, before the store is opened."""
    if (why := _not_importable(file)) is not None:
        err.print(f"error: {file}: {why}", markup=False)
        raise typer.Exit(2)
    if rejects and not keep_going:
        err.print("error: --rejects needs --keep-going")
        raise typer.Exit(2)
    if keep_going and rejects is None and not file.is_file():
        err.print(f"error: {file}: a pipe: --keep-going needs --rejects FILE, there being no file to write them beside",
                  markup=False)
        raise typer.Exit(2)
    if keep_going and rejects is None:
        return default_rejects(file)
    return rejects


def _import_with_bar(engine: Any, kind: Kind, file: Path, fmt: Format | None, *, keep_going: bool,
                     rejects: Path | None, strict: bool) -> Any:
    """run_import with a count of the rows read on stderr; exit 2 when the rejects file cannot be written."""
    from sqlalchemy.exc import DBAPIError

    from adapters.importers import ImportInterrupted, run_import

    # Off a terminal the bar showed nothing but left a blank line before the report: not drawn there.
    with Progress(TextColumn("{task.description}"), TextColumn("{task.completed} rows"), TimeElapsedColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as bar:  # fmt: skip
        task = bar.add_task(f"importing {kind.value}")
        try:
            return run_import(
                engine, kind.value, file, fmt=fmt.value if fmt else None, keep_going=keep_going,
                rejects_path=rejects, progress=lambda n: bar.update(task, completed=n),
                on_wait=say_waiting("import"), strict=strict,
            )  # fmt: skip
        except OSError as exc:  # the rejects file cannot be written (opened before anything is imported)
            where = f"--rejects {exc.filename}" if rejects and exc.filename == str(rejects) else exc.filename or file
            err.print(f"error: {where}: {exc.strerror or exc}; nothing imported", markup=False)
            raise typer.Exit(2) from None
        except DBAPIError as exc:
            exit_if_locked(exc, "nothing imported")
            exit_if_store_failed(exc, engine.url, "nothing imported")
            raise
        except ImportInterrupted:  # rolled back: the import is one transaction (a Ctrl-C after its commit is not this)
            unwritten = f", and {rejects} was not written" if rejects else ""
            err.print(f"interrupted: nothing imported: the store is as it was{unwritten}", markup=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None


def default_rejects(file: Path) -> Path:
    """Where `import --keep-going` writes the rejected rows of `file` without --rejects: beside it."""
    return file.with_name(f"{file.stem}.rejects{file.suffix or '.csv'}")


def _print_bounded(items: list[Any], count: int, noun: str, prefix: str = "") -> None:
    """The first MAX_PROBLEMS_SHOWN problems or warnings, then how many more there are. The warnings come after
    the summary (which counts them), `warning: ` and the location, as `test` prints its own."""
    for item in items[:MAX_PROBLEMS_SHOWN]:
        err.print(f"{prefix}{item}", markup=False)
    if count > MAX_PROBLEMS_SHOWN:
        more = count - MAX_PROBLEMS_SHOWN
        err.print(f"… and {more} more {plural(more, noun)}")


def _warned(report: Any) -> str:
    """The summary's end when rows were warned of: `, N warnings (below)`."""
    n = report.warning_count
    return f", {n} {plural(n, 'warning')} (below)" if n else ""


def _changed(report: Any) -> str:
    """`1 customer and 1 current grade/limit inserted or changed`: what the store took, by what it is (a customers
    row may hold a grade and limit too). Before, a count of table rows that one customer row made `(2 inserted or
    changed)`."""
    from adapters.importers.kinds import STORED_PLURALS

    said = [f"{n} {plural(n, noun, STORED_PLURALS[noun])}" for noun, n in report.changed.items() if n]
    if not said:  # a row equal to the stored one is not touched (importing a file twice changes nothing)
        return "0 inserted or changed" + (": as stored already" if report.rows_loaded else "")
    listed = f"{', '.join(said[:-1])} and {said[-1]}" if len(said) > 1 else said[0]
    return f"{listed} inserted or changed"


def _import_summary(report: Any, rejects: Path | None) -> None:
    if report.refused_whole:  # "fix them, or pass --keep-going to load the good rows" would not help
        return
    if report.committed:
        line = (
            f"{report.file}: {report.rows_read} {plural(report.rows_read, 'row')} read, {report.rows_loaded} loaded "
            f"({_changed(report)})"
        )
        if report.rows_rejected:
            line += f", {report.rows_rejected} rejected → {rejects}"
        err.print(line + _warned(report), markup=False)
    else:
        where = f" in {report.rows_rejected} {plural(report.rows_rejected, 'row')}" if report.rows_rejected else ""
        err.print(
            f"{report.file}: nothing imported: {report.problem_count} "
            f"{plural(report.problem_count, 'problem')}{where}{_warned(report)}; "
            "fix them, or pass --keep-going to load the good rows",
            markup=False,
        )


def _not_importable(file: Path) -> str | None:
    """Why `file` cannot be imported, or None: a regular file, or a pipe (`<(zcat orders.csv.gz)`, which
    is read once, row by row). A device such as /dev/zero would be read for ever."""
    import stat

    try:
        mode = file.stat().st_mode
    except FileNotFoundError:
        return "no such file"
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    if stat.S_ISDIR(mode):
        return "a directory, not a file"
    if stat.S_ISREG(mode) or stat.S_ISFIFO(mode):
        return None
    return "not a regular file (a device or a socket); give a CSV or JSON-lines file"
