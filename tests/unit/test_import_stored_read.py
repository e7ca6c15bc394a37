"""A chunk whose rows give every column the store could fill (a whole export, the usual file) reads nothing from the
store: keeping the columns a file leaves out (adapters/importers/stored.py) costs only the files that leave some out."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from adapters.importers.kinds import KINDS
from adapters.importers.reader import RawRow
from adapters.importers.stored import StoredColumns, merged_rows

ROW = {"invoice_id": "I1", "customer_id": "C1", "issued_on": "2026-01-05", "due_on": "2026-02-04",
       "amount": "100.00"}  # fmt: skip


class _Read(Exception):
    """The store was read."""


def _never_read(stored: StoredColumns) -> StoredColumns:
    class NeverRead(StoredColumns):
        def read(self, conn: Any, keys: Any) -> Any:
            raise _Read(sorted(keys))

    return NeverRead(**{f.name: getattr(stored, f.name) for f in dataclasses.fields(stored)})


def _row(values: dict[str, Any]) -> RawRow:
    return RawRow(2, {k: v for k, v in values.items() if v != ""}, dict(values))


def test_rows_giving_every_optional_column_are_not_read_from_the_store() -> None:
    kind = KINDS["invoices"]
    every = {**ROW, **dict.fromkeys(kind.stored.columns, "")}  # every column in the header; empty cells are defaults

    merged = merged_rows(None, kind.model, kind.keys, _never_read(kind.stored), [_row(every)])  # type: ignore[arg-type]

    assert merged == [ROW]


def test_a_row_leaving_an_optional_column_out_is_read_from_the_store() -> None:
    kind = KINDS["invoices"]

    with pytest.raises(_Read, match="I1"):
        merged_rows(None, kind.model, kind.keys, _never_read(kind.stored), [_row(ROW)])  # type: ignore[arg-type]
