"""`credit-policy runs`: the batch runs in the store, newest first, and how far each part got."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from policy_engine.cli.batch_cmds import DbOption, _print_json, err

if TYPE_CHECKING:
    from rich.table import Table

LimitOption = Annotated[int, typer.Option(min=1, help="how many runs, newest first")]
JsonOption = Annotated[bool, typer.Option("--json", help="print the parts as a JSON list")]
RESUME_NOTE = ("a part `running` whose last customer settled long ago was stopped without a word (kill -9, a crash): "
               "the same `credit-policy batch` command resumes it")  # fmt: skip


def runs_cmd(db: DbOption = None, limit: LimitOption = 20, as_json: JsonOption = False) -> None:
    """The batch runs in the store, newest first: status, attempts and customers settled per part."""
    from adapters.batch.runs_list import list_runs
    from policy_engine.cli.batch_store import open_engine

    engine = open_engine(db, "runs")
    try:
        with engine.connect() as conn:
            parts = list_runs(conn, limit)
    finally:
        engine.dispose()
    if not parts:
        err.print("no batch run in this store; `credit-policy batch` makes one", markup=False)
    if as_json:
        _print_json(parts)
    elif parts:
        Console(highlight=False, width=None if sys.stdout.isatty() else 200).print(_table(parts))


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else ""


def _duration(part: dict[str, Any]) -> str:
    """The part's attempts' time together as h:mm:ss; blank while an attempt runs (it is added when it
    ends), `unknown` when not kept (a part from before the sum was kept, or an attempt killed outright)."""
    seconds = part["seconds_all_attempts"]
    if part["status"] == "running":
        return ""
    if seconds is None:
        return "unknown"
    if seconds < 60:  # a small book's run takes seconds: 0:00:00 would say nothing
        return f"{seconds:.1f} s"
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _table(parts: list[dict[str, Any]]) -> Table:
    """One row per run and part; a caption on what to do when a part is not complete."""
    from rich.table import Table

    table = Table(title="batch runs, newest first (times UTC)")
    for name in ("run", "part", "status", "attempts", "settled", "quarantined", "started", "finished",
                 "last settled", "time, all attempts"):  # fmt: skip
        table.add_column(name)
    for p in parts:
        of = f" of {p['customers']:,}" if p["customers"] is not None else ""
        table.add_row(p["run_id"], p["part"], p["status"], str(p["attempts"]), f"{p['settled']:,}{of}",
                      f"{p['quarantined']:,}", _when(p["started_at"]), _when(p["finished_at"]),
                      _when(p["last_settled_at"]), _duration(p))  # fmt: skip
    if any(p["status"] != "complete" for p in parts):
        table.caption = RESUME_NOTE + ("; a `failed` one likewise; either with the rules of its policy version (after "
                                       "the run id's colon): other rules start a new run")  # fmt: skip
    return table
