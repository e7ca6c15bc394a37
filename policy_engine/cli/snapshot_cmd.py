"""`credit-policy snapshot`: a customer's snapshot as the store holds it, as JSON that `evaluate` and
`check-order` read. Risk staff who saw a customer move in `simulate` or the batch report can then
`evaluate … --explain` it, or edit the file for a what-if, without building the JSON by hand. With
`--as-of`, the snapshot a batch or the service decided with for that date: the last contact and the
5C assessment known then (the store holds them all, a snapshot one of each)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from policy_engine.cli.options import date_option, id_argument
from policy_engine.cli.store_common import DbOption, err, open_store_or_exit


def snapshot_cmd(
    customer_id: Annotated[str, typer.Argument(help="the customer whose stored snapshot to print")],
    db: DbOption = None,
    out: Annotated[Path | None, typer.Option("--out", metavar="FILE", help="write it to FILE, not stdout")] = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="YYYY-MM-DD",
        help="with the last contact and 5C assessment known on this date, as a batch or the service as of it "
             "loads it; default the latest")] = None,
) -> None:
    """Print a customer's snapshot from the store as JSON, for evaluate/check-order (--explain)."""
    from policy_engine.domain.errors import CustomerNotFound, StoredRecordInvalid
    from policy_engine.domain.suggest import echoed

    customer_id = id_argument("CUSTOMER_ID", customer_id)
    day = date_option("--as-of", as_of) if as_of else None
    store = open_store_or_exit(db, command="snapshot", must_exist=True)
    try:
        snapshot = store.get_snapshot(customer_id, day)
    except CustomerNotFound:
        err.print(f"error: no customer {echoed(customer_id)} in the store", markup=False)
        raise typer.Exit(1) from None
    except StoredRecordInvalid as exc:  # the record cannot make a snapshot evaluate would take
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(1) from None
    text = snapshot.model_dump_json(indent=2, exclude_defaults=True) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    from adapters.batch.files import write_whole

    try:
        write_whole(out, text)  # never half a file, nor through a link another user planted
    except OSError as exc:
        err.print(f"error: {out}: cannot be written: {exc.strerror or exc}", markup=False)
        raise typer.Exit(2) from None
    same_day = f" --as-of {day.isoformat()}" if day else ""  # the store's cut and the decision as of one day
    err.print(f"{out}: snapshot of {customer_id}; evaluate it with: credit-policy evaluate {out}{same_day} --explain",
              markup=False)
