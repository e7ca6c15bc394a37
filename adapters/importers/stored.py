"""Each row's values merged with what the store holds under its key: a column the file leaves out (CSV: not in the
header; JSON lines: the key absent from that object) keeps the stored value, an empty cell or `null` is given as
"not given" (the default applies). Before, every column left out took its default: a grade-correction sheet
`customer_id,current_grade` set each listed customer's name to empty, size to `small` and currency to CNY."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, create_model
from sqlalchemy import Connection, FromClause, Table, select, tuple_
from sqlalchemy.sql.elements import ColumnElement

from adapters.importers.reader import IGNORED_COLUMNS, RawRow

Key = tuple[Any, ...]
Stored = dict[Key, dict[str, Any]]
"""The stored records of a chunk's keys, each as the import's columns (only those a row may keep)."""


@dataclass(frozen=True)
class StoredColumns:
    """Where the stored values of an import kind's optional columns are read: one SELECT a chunk, by key."""

    source: FromClause
    keys: tuple[ColumnElement[Any], ...]
    columns: Mapping[str, ColumnElement[Any]]
    """By the import's column name: the stored column it keeps."""
    locked: Table
    """Locked on PostgreSQL (FOR UPDATE) to the commit, so what was validated is what is written over."""
    together: tuple[frozenset[str], ...] = ()
    """Columns kept from the store only when the row gives one of them (a customer's current grade and limit: a file
    with neither leaves the credit profile alone, as it always did)."""

    def read(self, conn: Connection, keys: Collection[Key]) -> Stored:
        """The stored records under `keys`, in one statement."""
        if not keys:
            return {}
        key = self.keys[0] if len(self.keys) == 1 else tuple_(*self.keys)
        wanted = [k[0] for k in keys] if len(self.keys) == 1 else list(keys)
        stmt = (select(*self.keys, *(c.label(n) for n, c in self.columns.items())).select_from(self.source)
                .where(key.in_(wanted)).with_for_update(of=self.locked))  # fmt: skip
        width = len(self.keys)
        return {tuple(r[:width]): dict(zip(self.columns, r[width:], strict=True)) for r in conn.execute(stmt)}


def given_columns(row: RawRow) -> frozenset[str]:
    """The columns the row's file gives it: a CSV file's header (a short row's missing cells are empty), the keys of a
    JSON object."""
    if not isinstance(row.original, dict):
        return frozenset()
    return frozenset(k for k in row.original if k is not None and k not in IGNORED_COLUMNS)


def merged_rows(conn: Connection, model: type[BaseModel], keys: Sequence[str], stored: StoredColumns,
                rows: Sequence[RawRow]) -> list[dict[str, Any]]:  # fmt: skip
    """Each row's values to validate: what it gives, and for the optional columns it leaves out, what the store
    holds under its key (nothing for a new record: the defaults apply). A `null` of an optional column is dropped,
    so its default applies, as for an empty CSV cell (it was refused as `not a string` where the default is `""`)."""
    required = {n for n, f in model.model_fields.items() if f.is_required()}
    if not any(_leaves_out(row, stored) for row in rows):
        # Every row gives every column the store could fill (a whole export, the common case): nothing to read
        # or lock, and the chunk costs what it did before columns were kept.
        return [_given(row.values, required) for row in rows]
    key_of = _key_reader(model, tuple(keys))
    row_keys = [key_of(row.values) if not row.problems else None for row in rows]
    found = stored.read(conn, {k for k in row_keys if k is not None})
    merged = []
    for row, key in zip(rows, row_keys, strict=True):
        values = _given(row.values, required)
        record = found.get(key) if key is not None else None
        if record is not None:
            given = given_columns(row)
            kept = _kept_columns(record, given, stored.together)
            values = {**{c: v for c, v in record.items() if c in kept}, **values}
        merged.append(values)
    return merged


def _leaves_out(row: RawRow, stored: StoredColumns) -> bool:
    """Whether the row's file leaves out a column the store would fill (a cheap test first: a CSV file's rows all
    carry its whole header, so most chunks are settled without building a set a row)."""
    if isinstance(row.original, dict) and row.original.keys() >= stored.columns.keys():
        return False
    return bool(_kept_columns(stored.columns, given_columns(row), stored.together))


def _given(values: dict[str, Any], required: Collection[str]) -> dict[str, Any]:
    """The row's values without a `null` of an optional column (its default applies); `values` itself when it has
    none (a CSV row never has: an empty cell is left out when read)."""
    if None not in values.values():
        return values
    return {k: v for k, v in values.items() if v is not None or k in required}


def _kept_columns(record: Mapping[str, Any], given: frozenset[str], together: Sequence[frozenset[str]]) -> set[str]:
    kept = {c for c in record if c not in given}
    for group in together:
        if not group & given:
            kept -= group
    return kept


@cache
def _key_reader(model: type[BaseModel], keys: tuple[str, ...]) -> Callable[[dict[str, Any]], Key | None]:
    """The row's key as its model reads it (an id's surrounding blanks stripped, a date parsed), or None when a key
    column is bad: the row's own validation then says so."""
    fields: dict[str, Any] = {k: (model.model_fields[k].annotation, model.model_fields[k]) for k in keys}
    key_model = create_model(f"{model.__name__}Key", __config__=ConfigDict(extra="ignore", str_strip_whitespace=True),
                             **fields)  # fmt: skip

    def read(values: dict[str, Any]) -> Key | None:
        try:
            parsed = key_model.model_validate(values)
        except ValidationError:
            return None
        return tuple(getattr(parsed, k) for k in keys)

    return read
