"""Store commands: `demo-data`; `import` (import_cmd.py), `history` (history_cmd.py), `snapshot` (snapshot_cmd.py)
and `compact-log` (compact_cmd.py) have modules of their own, and share options in store_common.py."""

from __future__ import annotations

import time
from datetime import date
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from policy_engine.cli.compact_cmd import COMPACT_BATCH as COMPACT_BATCH
from policy_engine.cli.compact_cmd import COMPACT_MAX_BATCH as COMPACT_MAX_BATCH
from policy_engine.cli.options import date_option
from policy_engine.cli.store_common import DbOption, _out, err, exit_if_locked, exit_if_store_failed, say_waiting
from policy_engine.cli.store_common import open_store_or_exit as open_store_or_exit
from policy_engine.words import plural


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
    write lock as it starts; exit 3 when it held it all the while (before: 30 s of silence, then a
    traceback), or the disk filled; 130 on Ctrl-C. It writes in one transaction: a failure leaves the store as
    it was, and the line says so."""
    from sqlalchemy.exc import DBAPIError

    from adapters.demo_data import generate_demo_data

    # Before, the wipe and each chunk committed on their own: "N customers generated before it stay", or
    # "the wipe --replace asked for may be done", and the old customers were gone.
    outcome = "nothing generated and nothing wiped: the store is as it was" if replace else "nothing generated"
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=err) as bar:
            task = bar.add_task("customers", total=customers)
            return generate_demo_data(engine, customers, seed=seed, as_of=day, replace=replace,
                                      progress=lambda done: bar.update(task, completed=done),
                                      on_wait=say_waiting("demo-data"))  # fmt: skip
    except DBAPIError as exc:
        exit_if_locked(exc, outcome)
        exit_if_store_failed(exc, engine.url, outcome)
        raise
    except KeyboardInterrupt:
        err.print(f"interrupted: {outcome}", markup=False)
        raise typer.Exit(130) from None

