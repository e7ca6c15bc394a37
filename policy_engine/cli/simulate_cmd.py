"""`credit-policy simulate`: the whole portfolio under candidate rules beside the live ones (issue 5)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from policy_engine.api import DEFAULT_RULES_DIR, said_warnings
from policy_engine.cli.batch_cmds import (
    EXIT_BAD_INPUT,
    AsOfOption,
    DbOption,
    _date,
    _db,
    _print_json,
    err,
    warn_if_more_workers_than_cpus,
)
from policy_engine.cli.options import MAX_ROWS
from policy_engine.cli.order_options import TERM_DAYS, order_or_exit
from policy_engine.cli.simulate_select import (
    GainsOption,
    GradeClassOption,
    GradeMovedOption,
    LosesOption,
    SegmentOption,
    Selection,
)

if TYPE_CHECKING:
    from policy_engine.domain.models import OrderRequest


WorkersOption = Annotated[int, typer.Option(min=1, max=256, help=(
    "worker processes, each with both policies (1 runs in this process); advised: one per CPU, more only "
    "compete for the cores (a warning says so)"))]
OrderAmountOption = Annotated[str | None, typer.Option(
    "--order-amount", metavar="DECIMAL",
    help="check a probe order of this amount (each customer's currency) for every customer "
         "under both rule sets and compare the outcomes (APPROVE, HOLD, ...)")]
OrderTermOption = Annotated[int, typer.Option(
    "--order-payment-term-days", min=TERM_DAYS.ge, max=TERM_DAYS.le, help="the probe order's payment terms")
]
PROBE_OPTIONS = {"amount": "--order-amount", "payment_term_days": "--order-payment-term-days"}
"""The option each field of the probe order is typed as: its errors name these, not the field."""


def simulate_cmd(
    rules: Annotated[Path, typer.Option("--rules", metavar="DIR", help="the candidate rules directory")],
    db: DbOption = None,
    as_of: AsOfOption = None,
    live: Annotated[Path, typer.Option(metavar="DIR", help="the live rules to compare with")] = DEFAULT_RULES_DIR,
    workers: WorkersOption = 1,
    as_json: Annotated[bool, typer.Option("--json", help="print the whole comparison as JSON")] = False,
    csv_file: Annotated[Path | None, typer.Option(
        "--csv", metavar="FILE", help="write one line per changed customer")] = None,
    limit: Annotated[int, typer.Option(min=0, max=MAX_ROWS, help="changed customers shown on screen")] = 30,
    order_amount: OrderAmountOption = None,
    order_payment_term_days: OrderTermOption = 30,
    limit_cut_over: Annotated[float | None, typer.Option(
        "--limit-cut-over", metavar="PCT", min=0, max=100,
        help="list (screen, --csv, --json) only the customers whose limit the candidate cuts by more than PCT% "
             "of the live one, with their total exposure over the new limit")] = None,
    segment: SegmentOption = None,
    grade_class: GradeClassOption = None,
    grade_moved: GradeMovedOption = None,
    gains: GainsOption = None,
    loses: LosesOption = None,
) -> None:
    """What-if: evaluate the whole portfolio with candidate rules beside the live ones; nothing is written."""
    from policy_engine.cli.simulate_select import apply, unknown_segments, unseen_action_codes
    from policy_engine.cli.simulate_view import simulation_tables

    day = _date(as_of, "--as-of")
    order = _probe_order(order_amount, order_payment_term_days)
    selection = _selection_or_exit(segment, grade_class, grade_moved, gains, loses, limit_cut_over)
    if csv_file is not None and (why := _cannot_write(csv_file)):
        err.print(f"error: --csv: cannot write {csv_file}: {why}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    warn_if_more_workers_than_cpus(workers)
    result = _simulate_or_exit(_db(db), live, rules, day, workers, order)
    apply(result, selection)  # the listed customers and their totals; the counts stay the whole portfolio's
    # as lint prints them, the first 50 and a count: staff preview unlinted, and --json lists them all
    for line in said_warnings(result.get("candidate", {}).get("warnings", []), rules):
        err.print(f"warning: {line}", markup=False)
    csv_failed = _write_changes(result, csv_file) if csv_file is not None else ""
    if as_json:
        _print_json(result)
    else:
        simulation_tables(result, limit)
    for item in result["errors"][:20]:
        err.print(f"could not evaluate {item['customer_id']}: {item['error']}", markup=False)
    for line in unseen_action_codes(result, selection):  # after the run: a follow-up's own code is known only then
        err.print(line, markup=False)
    failed = [csv_failed] if csv_failed else []
    failed += unknown_segments(result, selection)
    for line in failed:  # after the comparison: a long run is not lost for a misspelt segment
        err.print(line, markup=False)
    if failed:
        raise typer.Exit(EXIT_BAD_INPUT)


def _simulate_or_exit(
    db_url: str, live: Path, rules: Path, day: date, workers: int, order: OrderRequest | None
) -> dict[str, Any]:
    """The comparison of the two rule sets over the portfolio, or exit 2 naming what could not be loaded,
    3 when another process held the SQLite store's write lock all through its migration."""
    from sqlalchemy.exc import DBAPIError

    from adapters.batch.progress import batch_progress
    from adapters.batch.runner import BatchInputError
    from adapters.batch.simulate import simulate
    from policy_engine.cli.store_common import NOT_UPGRADED, exit_if_locked, say_waiting

    try:
        with batch_progress(label="simulate", doing="comparing") as hook:  # on stderr: a bar, or a line every 30 s
            return simulate(db_url, live, rules, day, workers=workers, order=order, on_wait=say_waiting("simulate"),
                            order_options=PROBE_OPTIONS, on_progress=hook)
    except BatchInputError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except DBAPIError as exc:
        exit_if_locked(exc, NOT_UPGRADED)
        raise


def _selection_or_exit(segment: list[str] | None, grade_class: list[Any] | None, grade_moved: Any,
                       gains: list[str] | None, loses: list[str] | None, limit_cut_over: float | None) -> Selection:
    """The filters given, or exit 2 before the run naming an action code that cannot be meant."""
    from policy_engine.cli.simulate_select import action_code_problem

    problems = [p for option, codes in (("--gains", gains), ("--loses", loses)) for code in codes or ()
                if (p := action_code_problem(option, code))]  # fmt: skip
    for problem in problems:
        err.print(f"error: {problem}", markup=False)
    if problems:
        raise typer.Exit(EXIT_BAD_INPUT)
    return Selection(tuple(segment or ()), tuple(str(c) for c in grade_class or ()),
                     None if grade_moved is None else str(grade_moved), tuple(gains or ()), tuple(loses or ()),
                     limit_cut_over)  # fmt: skip


def _write_changes(result: dict[str, Any], csv_file: Path) -> str:
    """Write the changed customers to `csv_file`; the error line to print after the comparison, or ""."""
    from policy_engine.cli.simulate_changes import changes_csv

    try:
        changes_csv(result, csv_file)
    except OSError as exc:  # the comparison is still shown below: the run is not lost
        return f"error: --csv: cannot write {exc.filename or csv_file}: {exc.strerror or exc}"
    return ""


def _cannot_write(path: Path) -> str:
    """Why a file could not be written at `path` (empty if it looks writable): checked before a long
    run, so that it does not end in an error after the work is done."""
    import os

    if path.is_dir():
        return "it is a directory"
    parent = path.parent
    if not parent.is_dir():
        return f"no such directory {parent}"
    if not os.access(parent, os.W_OK):  # the file is written beside it, then renamed into place
        return "permission denied"
    return ""


def _probe_order(amount: str | None, payment_term_days: int) -> OrderRequest | None:
    """The OrderRequest simulate checks for every customer (None without --order-amount); exit 2 when invalid."""
    if amount is None:
        return None
    return order_or_exit("simulate-probe", amount, payment_term_days, PROBE_OPTIONS)
