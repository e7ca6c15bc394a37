"""`credit-policy queue`: the day's work queue of a batch run (issue 5)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from policy_engine.cli.batch_cmds import EXIT_BAD_INPUT, DbOption, _date, err
from policy_engine.cli.options import MAX_ROWS
from policy_engine.cli.report_cmd import engine_and_run
from policy_engine.domain.suggest import echoed
from policy_engine.words import plural

if TYPE_CHECKING:
    from rich.table import Table
    from sqlalchemy import Connection

DayOption = Annotated[str | None, typer.Option(
    "--date", metavar="YYYY-MM-DD", help="the working day (YYYY-MM-DD); default today")]
RunOption = Annotated[str | None, typer.Option(metavar="ID", help="run id; default the newest run as of --date")]
CsvOption = Annotated[Path | None, typer.Option("--csv", metavar="FILE", help="write the whole queue to this CSV file")]
CategoryOption = Annotated[
    list[str] | None, typer.Option(metavar="CATEGORY", help="only these categories (repeatable): " + ", ".join(
        ("urgent_review", "hold", "review_due", "collection", "follow_up", "limit_action", "give_up_review")))
]  # spelt out: adapters.batch.workqueue (CATEGORIES) imports SQLAlchemy, which --help need not load
LimitOption = Annotated[int, typer.Option(min=0, max=MAX_ROWS, help="rows shown on screen")]
JsonOption = Annotated[bool, typer.Option("--json", help="print the whole queue as a JSON list instead of the table")]
COLUMNS = ("category", "due", "customer", "name", "code", "target", "message")


def queue_cmd(
    day: DayOption = None,
    db: DbOption = None,
    run: RunOption = None,
    csv_file: CsvOption = None,
    category: CategoryOption = None,
    limit: LimitOption = 40,
    as_json: JsonOption = False,
) -> None:
    """The day's work queue: urgent reviews, holds, reviews due, collection reminders, follow-ups, give-ups."""
    working_day = _date(day, "--date")
    wanted = _wanted_categories(category)
    engine, run_id = engine_and_run(db, run, working_day, command="queue")
    with engine.connect() as conn:
        if csv_file is not None:
            _write_csv(conn, run_id, working_day, csv_file, wanted)
        if as_json:
            _print_items(conn, run_id, working_day, wanted)
            engine.dispose()
            return
        table = _queue_table(conn, run_id, working_day, wanted, limit, csv_file)
    engine.dispose()
    Console(highlight=False, width=None if sys.stdout.isatty() else 200).print(table)


def _wanted_categories(category: list[str] | None) -> set[str] | None:
    """The categories --category names (None: all of them), or exit 2 naming those that are none."""
    from adapters.batch.workqueue import CATEGORIES

    unknown = list(dict.fromkeys(c for c in category or () if c not in CATEGORIES))  # as given, once each
    if unknown:
        said = ", ".join(map(echoed, unknown)) + (" is not one of " if len(unknown) == 1 else " are none of ")
        err.print(f"error: --category: {said}{', '.join(map(repr, CATEGORIES))}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    return set(category) if category else None


def _write_csv(conn: Connection, run_id: str, working_day: date, csv_file: Path, wanted: set[str] | None) -> None:
    """Write the whole queue to `csv_file` and say how many items, or exit 2 saying why it cannot."""
    from adapters.batch.workqueue import export_csv

    try:
        counts = export_csv(conn, run_id, working_day, csv_file, wanted)
    except OSError as exc:
        err.print(f"error: --csv: cannot write {exc.filename or csv_file}: {exc.strerror or exc}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    items = sum(counts.values())
    err.print(f"{items} {plural(items, 'item')} written to {csv_file}", markup=False)


def _print_items(conn: Connection, run_id: str, working_day: date, wanted: set[str] | None) -> None:
    """Every item of the queue as one JSON list, written as it is read (a queue may hold a million)."""
    import json

    from adapters.batch.workqueue import CSV_COLUMNS, iter_queue

    sys.stdout.write("[")
    for n, item in enumerate(iter_queue(conn, run_id, working_day, wanted)):
        fields = {column: item[column] for column in CSV_COLUMNS}
        sys.stdout.write(("," if n else "") + "\n" + json.dumps(fields, ensure_ascii=False, default=str))
    sys.stdout.write("\n]\n")


def _queue_table(conn: Connection, run_id: str, working_day: date, wanted: set[str] | None, limit: int,
                 csv_file: Path | None) -> Table:  # fmt: skip
    """The first `limit` items of the queue as a table for the screen; when that is not all of them,
    the caption says how many there are and where to see them all."""
    from itertools import islice

    from rich.table import Table
    from rich.text import Text

    from adapters.batch.workqueue import count_queue, iter_queue

    table = Table(title=f"work queue for {working_day} (run {run_id})")
    for name in COLUMNS:
        table.add_column(name)
    items = list(islice(iter_queue(conn, run_id, working_day, wanted), limit + 1))
    for item in items[:limit]:  # Text, not markup: a name `[/]` crashed the table, a `[link=…]` made a link
        cells = (item["category"], str(item["due_on"]), item["customer_id"], item["name"][:24], item["code"],
                 item["target_id"], item["message"][:60])  # fmt: skip
        table.add_row(*map(Text, cells))
    if len(items) > limit:
        total = count_queue(conn, run_id, working_day, wanted)
        where = f"all in {csv_file}" if csv_file is not None else "--limit N or --csv FILE for all"
        table.caption = f"showing {limit:,} of {total:,}; {where}"
    return table
