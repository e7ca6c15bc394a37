"""`credit-policy queue`: the day's work queue of a batch run (issue 5)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from policy_engine.cli.batch_cmds import EXIT_BAD_INPUT, DbOption, _date, _engine_and_run, err


def queue_cmd(
    day: Annotated[str | None, typer.Option("--date", help="the working day (YYYY-MM-DD); default today")] = None,
    db: DbOption = None,
    run: Annotated[str | None, typer.Option(help="run id; default the newest run as of --date")] = None,
    csv_file: Annotated[Path | None, typer.Option("--csv", help="write the whole queue to this CSV file")] = None,
    category: Annotated[
        list[str] | None, typer.Option(help="only these categories (repeatable): " + ", ".join(
            ("urgent_review", "hold", "review_due", "collection", "follow_up", "limit_action", "give_up_review")))
    ] = None,
    limit: Annotated[int, typer.Option(min=0, help="rows shown on screen")] = 40,
) -> None:
    """The day's work queue: urgent reviews, holds, reviews due, collection reminders, follow-ups, give-ups."""
    from itertools import islice

    from rich.table import Table

    from adapters.batch.workqueue import CATEGORIES, export_csv, iter_queue

    working_day = _date(day, "--date")
    unknown = sorted(set(category or ()) - set(CATEGORIES))
    if unknown:
        err.print(f"error: --category: unknown {', '.join(unknown)}; expected one of {', '.join(CATEGORIES)}")
        raise typer.Exit(EXIT_BAD_INPUT)
    engine, run_id = _engine_and_run(db, run, working_day)
    wanted = set(category) if category else None
    with engine.connect() as conn:
        if csv_file is not None:
            try:
                counts = export_csv(conn, run_id, working_day, csv_file, wanted)
            except OSError as exc:
                err.print(f"error: --csv: cannot write {exc.filename or csv_file}: {exc.strerror or exc}",
                          markup=False)
                raise typer.Exit(EXIT_BAD_INPUT) from None
            err.print(f"{sum(counts.values())} items written to {csv_file}", markup=False)
        table = Table(title=f"work queue for {working_day} (run {run_id})")
        for name in ("category", "due", "customer", "name", "code", "target", "message"):
            table.add_column(name)
        shown = 0
        for item in islice(iter_queue(conn, run_id, working_day, wanted), limit):
            table.add_row(item["category"], str(item["due_on"]), item["customer_id"], item["name"][:24], item["code"],
                          item["target_id"], item["message"][:60])  # fmt: skip
            shown += 1
    engine.dispose()
    Console(highlight=False, width=None if sys.stdout.isatty() else 200).print(table)
