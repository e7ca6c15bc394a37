"""Store commands: `import`, `demo-data`; `history` (history_cmd.py) and `compact-log` (compact_cmd.py) are
registered here too, with the options the store commands share in store_common.py."""

from __future__ import annotations

import time
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from policy_engine.cli.compact_cmd import COMPACT_BATCH as COMPACT_BATCH
from policy_engine.cli.compact_cmd import COMPACT_MAX_BATCH as COMPACT_MAX_BATCH
from policy_engine.cli.compact_cmd import compact_log_cmd
from policy_engine.cli.history_cmd import history_cmd
from policy_engine.cli.options import date_option
from policy_engine.cli.snapshot_cmd import snapshot_cmd
from policy_engine.cli.store_common import DbOption, _out, err, exit_if_locked, say_waiting
from policy_engine.cli.store_common import open_store_or_exit as open_store_or_exit
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
    from sqlalchemy.exc import DBAPIError

    from adapters.importers import run_import

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
        rejects = default_rejects(file)
    store = open_store_or_exit(db, command="import")
    # Off a terminal the bar showed nothing but left a blank line before the report: not drawn there.
    with Progress(TextColumn("{task.description}"), TextColumn("{task.completed} rows"), TimeElapsedColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as bar:  # fmt: skip
        task = bar.add_task(f"importing {kind.value}")
        try:
            report = run_import(
                store.engine, kind.value, file, fmt=fmt.value if fmt else None, keep_going=keep_going,
                rejects_path=rejects, progress=lambda n: bar.update(task, completed=n),
                on_wait=say_waiting("import"), strict=strict,
            )  # fmt: skip
        except OSError as exc:  # the rejects file cannot be written (opened before anything is imported)
            where = f"--rejects {exc.filename}" if rejects and exc.filename == str(rejects) else exc.filename or file
            err.print(f"error: {where}: {exc.strerror or exc}; nothing imported", markup=False)
            raise typer.Exit(2) from None
        except DBAPIError as exc:
            exit_if_locked(exc, "nothing imported")
            raise
    for problem in report.problems[:MAX_PROBLEMS_SHOWN]:
        err.print(str(problem), markup=False)
    if report.problem_count > MAX_PROBLEMS_SHOWN:
        more = report.problem_count - MAX_PROBLEMS_SHOWN
        err.print(f"… and {more} more {plural(more, 'problem')}")
    _import_summary(report, rejects)
    _print_warnings(report)
    raise typer.Exit(1 if report.problem_count else 0)


def default_rejects(file: Path) -> Path:
    """Where `import --keep-going` writes the rejected rows of `file` without --rejects: beside it."""
    return file.with_name(f"{file.stem}.rejects{file.suffix or '.csv'}")


def _print_warnings(report: Any) -> None:
    """The warnings, after the summary (which counts them): `warning: ` and the location, as `test` prints its own."""
    for warning in report.warnings[:MAX_PROBLEMS_SHOWN]:
        err.print(f"warning: {warning}", markup=False)
    if report.warning_count > MAX_PROBLEMS_SHOWN:
        more = report.warning_count - MAX_PROBLEMS_SHOWN
        err.print(f"… and {more} more {plural(more, 'warning')}")


def _warned(report: Any) -> str:
    """The summary's end when rows were warned of: `, N warnings (below)`."""
    n = report.warning_count
    return f", {n} {plural(n, 'warning')} (below)" if n else ""


def _import_summary(report: Any, rejects: Path | None) -> None:
    if report.refused_whole:  # "fix them, or pass --keep-going to load the good rows" would not help
        return
    if report.committed:
        line = (
            f"{report.file}: {report.rows_read} {plural(report.rows_read, 'row')} read, {report.rows_loaded} loaded "
            f"({report.rows_changed} inserted or changed)"
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


def demo_data_cmd(
    customers: Annotated[int, typer.Option(min=1, max=5_000_000, help="how many customers to generate")] = 1000,
    seed: Annotated[int, typer.Option(help="random seed: the same seed and as-of give the same data")] = 1,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", metavar="YYYY-MM-DD", help="date the history leads up to (YYYY-MM-DD); default today"),
    ] = None,
    replace: Annotated[bool, typer.Option(help="wipe the customer records the database already holds")] = False,
    db: DbOption = None,
) -> None:
    """Fill the store with a realistic synthetic portfolio, warning signs included."""
    from adapters.demo_data import PortfolioNotEmpty, check_empty

    day = date_option("--as-of", as_of) if as_of else date.today()
    store = open_store_or_exit(db, command="demo-data")
    try:
        check_empty(store.engine, replace)
    except PortfolioNotEmpty as exc:
        err.print(f"error: {exc}")
        raise typer.Exit(1) from None
    started = time.perf_counter()
    summary = _generate_or_exit(store.engine, customers, seed, day, replace)
    elapsed = time.perf_counter() - started
    table = Table(title=f"demo data: {summary.customers} {plural(summary.customers, 'customer')} as of {day} "
                        f"in {elapsed:.1f}s")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in summary.rows.items():
        table.add_row(name, str(count))
    for name, count in summary.categories.items():
        table.add_row(f"  warning sign: {name}", str(count))
    _out().print(table)


def _generate_or_exit(engine: Any, customers: int, seed: int, day: date, replace: bool) -> Any:
    """generate_demo_data with its bar on stderr, saying so when another process holds the SQLite store's
    write lock as a chunk starts; exit 3 when it held it all the while (before: 30 s of silence, then a
    traceback)."""
    from sqlalchemy.exc import DBAPIError

    from adapters.demo_data import generate_demo_data

    written = [0]
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=err) as bar:
            task = bar.add_task("customers", total=customers)

            def progress(done: int) -> None:
                written[0] = done
                bar.update(task, completed=done)

            return generate_demo_data(engine, customers, seed=seed, as_of=day, replace=replace, progress=progress,
                                      on_wait=say_waiting("demo-data"))  # fmt: skip
    except DBAPIError as exc:
        if not written[0]:
            exit_if_locked(exc, "nothing generated")
        exit_if_locked(exc, f"{written[0]} {plural(written[0], 'customer')} generated before it stay",
                       "run the same command again with --replace")  # fmt: skip
        raise


def register(app: typer.Typer) -> None:
    """Add the store commands to the app (history and compact-log live in modules of their own)."""
    app.command("import")(import_cmd)
    app.command("demo-data")(demo_data_cmd)
    app.command("history")(history_cmd)
    app.command("snapshot")(snapshot_cmd)
    app.command("compact-log")(compact_log_cmd)


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
