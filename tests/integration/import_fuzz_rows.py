"""Rows of an import file for the fuzz tests: good ones, and ones mutated into a known fault, each written as CSV or
JSON-lines bytes with the line it starts on; the customers kind here, the kinds that belong to a customer in
import_fuzz_kinds.py (test_import_fuzz.py, test_import_fuzz_records.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from hypothesis import strategies as st

COLUMNS = ("customer_id", "name", "size", "currency", "relationship_since", "current_limit", "current_grade")
_BREAKS = re.compile(r"\r\n|\r|\n")
"""The line breaks a file read as text with newline="" ends its lines at (str.splitlines knows more)."""


@dataclass
class Row:
    """One record of the file: its cells, whether the import must load it (`good`), refuse it (`bad`) or may do
    either (`either`, but never both nor neither), and how it is written when it is not plain."""

    cells: dict[str, Any]
    expect: str = "good"
    fault: str = ""
    latin1: bool = False
    """Written in Latin-1, not UTF-8: a byte no UTF-8 reader takes."""
    raw: str | None = None
    """The whole line as written (JSON lines only): broken JSON, a key written twice, NaN."""
    extra_cells: list[str] = field(default_factory=list)
    code: str = ""
    field: str = ""
    """The field its refusal must name, where the fault is in one (a cell's, a key left out, a customer unknown)."""
    """The code its refusal must carry, where the fault has one to itself (`unknown_customer`, `duplicate_key`)."""


_text_char = st.characters(blacklist_categories=("Cc", "Cs")) | st.sampled_from("\n\r\t\",'=+-@ ")
good_names = st.text(_text_char, max_size=30)
FORMULAS = ("=cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "=HYPERLINK(\"http://x\")")


@st.composite
def good_rows(draw: st.DrawFn, customer_id: str) -> Row:
    """A customer row every import must load."""
    cells: dict[str, Any] = {"customer_id": customer_id}
    if draw(st.booleans()):
        cells["name"] = draw(good_names | st.sampled_from(FORMULAS + ("华新药房", "Сity Тrading")))
    if draw(st.booleans()):
        cells["size"] = draw(st.sampled_from(["large", "medium", "small"]))
    if draw(st.booleans()):
        cells["currency"] = draw(st.sampled_from(["CNY", "EUR", "USD"]))
    if draw(st.booleans()):
        cells["relationship_since"] = draw(st.dates(date(1900, 1, 1), date(2026, 1, 1))).isoformat()
    if draw(st.booleans()):
        cells["current_limit"] = draw(st.sampled_from(["0", "0.00", "125000.00", "999999999999999.999999", "1"]))
        cells["current_grade"] = draw(st.sampled_from(["AAA", "BB", "C"]))
    return Row(cells)


MONEY_FAULTS = [("1e400", "1e400"), ("nan", "NaN"), ("huge", "99999999999999999999"), ("grouped", "1,000.00"),
                ("word", "abc"), ("infinity", "Infinity"), ("too_fine", "1.0000001"),
                ("over_bound", "1000000000000000.00")]
UNSIGNED_FAULTS = [("negative", "-5.00"), ("minus_zero", "-0.00")]
DATE_FAULTS = [("no_such_day", "2026-02-30"), ("year_zero", "0000-01-01"), ("slashes", "2026/01/01"),
               ("five_digit_year", "10000-01-01"), ("not_a_date", "yesterday")]
ID_FAULTS = [("control", "C\x07X"), ("zero_width", "C\u200bX"), ("too_long", "C" * 65), ("bom", "\ufeffC"),
             ("nul", "C\x00X")]
TEXT_FAULTS = [("too_long", "n" * 201), ("escape", "A\x1b[2JB"), ("very_long", "v" * 70_000)]
DAY_MAYBES = [("far_future", "9999-12-31"), ("first_day", "0001-01-01")]
Fault = tuple[str, Any] | tuple[str, Any, dict[str, Any]]
"""(name, value) or (name, value, other cells it needs to be this fault and no other)."""


@dataclass(frozen=True)
class FuzzKind:
    """What the fuzz writes for one import kind: its columns and key, its good rows (drawn for a row id, the
    customers that exist and the row's place in the file), the faults each column can be given, and the columns
    a broken JSON line puts a wrong type in."""

    name: str
    columns: tuple[str, ...]
    keys: tuple[str, ...]
    good: Callable[[str, list[str], int], st.SearchStrategy[Row]]
    faults: dict[str, list[Fault]]
    maybe: dict[str, list[Fault]] = field(default_factory=dict)
    text_column: str = "customer_id"
    money_column: str = "amount"
    belongs_to_customer: bool = True

    def key_of(self, row: Row) -> tuple[str, ...]:
        """The row's key as text, as the store's key columns read back (str of each)."""
        return tuple(str(row.cells[k]) for k in self.keys)


CUSTOMERS = FuzzKind(
    "customers", COLUMNS, ("customer_id",), lambda row_id, _customers, _at: good_rows(row_id),
    {"current_limit": [(name, value, {"current_grade": "BB"}) for name, value in MONEY_FAULTS + UNSIGNED_FAULTS],
     "relationship_since": list(DATE_FAULTS), "customer_id": list(ID_FAULTS), "name": list(TEXT_FAULTS),
     "size": [("unknown_size", "huge")],
     "currency": [("no_money", "XXX"), ("lowercase", "usd"), ("unknown_currency", "EUD")],
     "current_grade": [("unknown_grade", "Z")]},
    {"relationship_since": list(DAY_MAYBES), "name": [("confusable", "Асme"), ("surrounding_space", "  Acme  ")]},
    text_column="name", money_column="current_limit", belongs_to_customer=False,
)


@st.composite
def bad_rows(draw: st.DrawFn, kind: FuzzKind, row_id: str, customers: list[str], at: int,
             earlier: list[Row], fmt: str) -> Row:
    """A row of `kind` with one fault: `bad` when the import must refuse it, `either` when both are defensible;
    `code` when the refusal must say which (a customer that does not exist)."""
    row = draw(kind.good(row_id, customers, at))
    choices = ["cell", "missing_key", "latin1", "duplicate", "shape"] + (["maybe"] if kind.maybe else [])
    choice = draw(st.sampled_from(choices + (["orphan"] if kind.belongs_to_customer else [])))
    if choice in ("cell", "maybe"):
        table = kind.faults if choice == "cell" else kind.maybe
        column = draw(st.sampled_from(sorted(table)))
        fault, value, *companions = draw(st.sampled_from(table[column]))
        row.cells.update({**(companions[0] if companions else {}), column: value})
        return Row(row.cells, "bad" if choice == "cell" else "either", f"{column}:{fault}", field=column)
    if choice == "missing_key":
        column = draw(st.sampled_from(kind.keys))
        row.cells.pop(column)
        return Row(row.cells, "bad", f"{column}:missing", field=column)
    if choice == "orphan":
        row.cells["customer_id"] = f"{row_id}-nobody"
        return Row(row.cells, "bad", "customer_id:orphan", code="unknown_customer", field="customer_id")
    if choice == "latin1":
        row.cells[kind.text_column] = draw(st.sampled_from(["Café", "Müller GmbH", "ñ"]))
        return Row(row.cells, "bad", f"{kind.text_column}:latin1", latin1=True, field=kind.text_column)
    if choice == "duplicate" and earlier:
        first = draw(st.sampled_from(earlier))
        row.cells.update({k: first.cells[k] for k in kind.keys})
        return Row(row.cells, "bad", "key:duplicate", code="duplicate_key", field=",".join(kind.keys))
    return _bad_shape(draw, kind, row, fmt)


def _bad_shape(draw: st.DrawFn, kind: FuzzKind, row: Row, fmt: str) -> Row:
    """A row whose shape is wrong: more cells than columns, or (JSON) wrong types, keys twice, not an object."""
    if fmt == "csv":
        return Row(row.cells, "bad", "extra_cells", extra_cells=[draw(st.sampled_from(["x", "", "=1+1"]))])
    body = json.dumps(row.cells, ensure_ascii=draw(st.booleans()))[1:-1]
    text, money, key = kind.text_column, kind.money_column, kind.keys[0]
    fault, raw = draw(st.sampled_from([
        ("text_number", f'{{{body}, "{text}": 5}}'), ("text_list", f'{{{body}, "{text}": ["large"]}}'),
        ("money_float", f'{{{body}, "{money}": 12.5}}'), ("money_1e400", f'{{{body}, "{money}": 1e400}}'),
        ("money_nan", f'{{{body}, "{money}": NaN}}'),
        ("deep", f'{{{body}, "{text}": {"[" * 5000}{"]" * 5000}}}'),
        ("key_twice", f'{{{body}, "{key}": {json.dumps(row.cells.get(key, "x"))}}}'),
        ("unknown_key", f'{{{body}, "colour": "red"}}'), ("not_an_object", f"[{{{body}}}]"),
        ("broken", f"{{{body}"), ("huge_int", f'{{{body}, "{text}": {"9" * 5000}}}'),
        ("lone_surrogate", f'{{{body}, "{text}": "\\ud800"}}'), ("surrogate_key", f'{{{body}, "\\udc80": 1}}'),
    ]))
    return Row(row.cells, "bad", f"json:{fault}", raw=raw)


def written(rows: list[Row], fmt: str, crlf: bool, bom: bool, quote_all: bool,
            columns: tuple[str, ...] = COLUMNS) -> tuple[bytes, list[int]]:
    """The file's bytes (CSV: a header of `columns`) and the line each row starts on."""
    out, lines, at = [b"\xef\xbb\xbf" if bom else b""], [], 1
    end = "\r\n" if crlf else "\n"
    if fmt == "csv":
        header = ",".join(columns) + end
        out.append(header.encode())
        at += 1
    for row in rows:
        as_json = row.raw or json.dumps(row.cells, ensure_ascii=False)
        record = _csv_line(row, quote_all, columns) if fmt == "csv" else as_json
        text = record + end
        lines.append(at)
        at += len(_BREAKS.findall(text))
        out.append(text.encode("latin-1" if row.latin1 else "utf-8"))
    return b"".join(out), lines


def _csv_line(row: Row, quote_all: bool, columns: tuple[str, ...]) -> str:
    cells = [str(row.cells.get(c, "")) for c in columns] + row.extra_cells
    return ",".join(_quoted(c, quote_all) for c in cells)


def _quoted(cell: str, quote_all: bool) -> str:
    if quote_all or any(ch in cell for ch in ',"\r\n') or cell != cell.strip():
        return '"' + cell.replace('"', '""') + '"'
    return cell
