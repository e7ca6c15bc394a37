"""Rows of a customers import file for the fuzz tests: good ones, and ones mutated into a known fault, each
written as CSV or JSON-lines bytes with the line it starts on (test_import_fuzz.py)."""

from __future__ import annotations

import json
import re
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


_BAD_CELLS: dict[str, list[tuple[str, Any]]] = {
    "current_limit": [("1e400", "1e400"), ("nan", "NaN"), ("negative", "-5.00"), ("minus_zero", "-0.00"),
                      ("huge", "99999999999999999999"), ("grouped", "1,000.00"), ("word", "abc"),
                      ("infinity", "Infinity"), ("too_fine", "1.0000001"), ("over_bound", "1000000000000000.00")],
    "relationship_since": [("no_such_day", "2026-02-30"), ("year_zero", "0000-01-01"), ("slashes", "2026/01/01"),
                           ("five_digit_year", "10000-01-01"), ("not_a_date", "yesterday")],
    "customer_id": [("control", "C\x07X"), ("zero_width", "C\u200bX"), ("too_long", "C" * 65), ("bom", "\ufeffC"),
                    ("nul", "C\x00X")],
    "name": [("too_long", "n" * 201), ("escape", "A\x1b[2JB"), ("very_long", "v" * 70_000)],
    "size": [("unknown_size", "huge")],
    "currency": [("no_money", "XXX"), ("lowercase", "usd"), ("unknown_currency", "EUD")],
    "current_grade": [("unknown_grade", "Z")],
}
_MAYBE_CELLS: dict[str, list[tuple[str, Any]]] = {
    "relationship_since": [("far_future", "9999-12-31"), ("first_day", "0001-01-01")],
    "name": [("confusable", "Асme"), ("surrounding_space", "  Acme  ")],
}


@st.composite
def bad_rows(draw: st.DrawFn, customer_id: str, earlier: list[str], fmt: str) -> Row:
    """A customer row with one fault: `bad` when the import must refuse it, `either` when both are defensible."""
    row = draw(good_rows(customer_id))
    kind = draw(st.sampled_from(["cell", "maybe", "missing_id", "latin1", "duplicate", "shape"]))
    if kind == "cell":
        column = draw(st.sampled_from(sorted(_BAD_CELLS)))
        fault, value = draw(st.sampled_from(_BAD_CELLS[column]))
        if column == "current_limit":
            row.cells["current_grade"] = "BB"
        row.cells[column] = value
        return Row(row.cells, "bad", f"{column}:{fault}")
    if kind == "maybe":
        column = draw(st.sampled_from(sorted(_MAYBE_CELLS)))
        fault, value = draw(st.sampled_from(_MAYBE_CELLS[column]))
        row.cells[column] = value
        return Row(row.cells, "either", f"{column}:{fault}")
    if kind == "missing_id":
        row.cells.pop("customer_id")
        return Row(row.cells, "bad", "customer_id:missing")
    if kind == "latin1":
        row.cells["name"] = draw(st.sampled_from(["Café", "Müller GmbH", "ñ"]))
        return Row(row.cells, "bad", "name:latin1", latin1=True)
    if kind == "duplicate" and earlier:
        row.cells["customer_id"] = draw(st.sampled_from(earlier))
        return Row(row.cells, "bad", "customer_id:duplicate")
    return _bad_shape(draw, row, fmt)


def _bad_shape(draw: st.DrawFn, row: Row, fmt: str) -> Row:
    """A row whose shape is wrong: more cells than columns, or (JSON) wrong types, keys twice, not an object."""
    if fmt == "csv":
        return Row(row.cells, "bad", "extra_cells", extra_cells=[draw(st.sampled_from(["x", "", "=1+1"]))])
    body = json.dumps(row.cells, ensure_ascii=draw(st.booleans()))[1:-1]
    fault, raw = draw(st.sampled_from([
        ("name_number", f'{{{body}, "name": 5}}'), ("size_list", f'{{{body}, "size": ["large"]}}'),
        ("limit_float", f'{{{body}, "current_limit": 12.5, "current_grade": "B"}}'),
        ("limit_1e400", f'{{{body}, "current_limit": 1e400, "current_grade": "B"}}'),
        ("limit_nan", f'{{{body}, "current_limit": NaN, "current_grade": "B"}}'),
        ("deep", f'{{{body}, "name": {"[" * 5000}{"]" * 5000}}}'),
        ("key_twice", f'{{{body}, "customer_id": "{row.cells["customer_id"]}"}}'),
        ("unknown_key", f'{{{body}, "colour": "red"}}'), ("not_an_object", f"[{{{body}}}]"),
        ("broken", f"{{{body}"), ("huge_int", f'{{{body}, "size": {"9" * 5000}}}'),
        ("lone_surrogate", f'{{{body}, "name": "\\ud800"}}'),
    ]))
    return Row(row.cells, "bad", f"json:{fault}", raw=raw)


def written(rows: list[Row], fmt: str, crlf: bool, bom: bool, quote_all: bool) -> tuple[bytes, list[int]]:
    """The file's bytes and the line each row starts on."""
    out, lines, at = [b"\xef\xbb\xbf" if bom else b""], [], 1
    end = "\r\n" if crlf else "\n"
    if fmt == "csv":
        header = ",".join(COLUMNS) + end
        out.append(header.encode())
        at += 1
    for row in rows:
        record = _csv_line(row, quote_all) if fmt == "csv" else row.raw or json.dumps(row.cells, ensure_ascii=False)
        text = record + end
        lines.append(at)
        at += len(_BREAKS.findall(text))
        out.append(text.encode("latin-1" if row.latin1 else "utf-8"))
    return b"".join(out), lines


def _csv_line(row: Row, quote_all: bool) -> str:
    cells = [str(row.cells.get(c, "")) for c in COLUMNS] + row.extra_cells
    return ",".join(_quoted(c, quote_all) for c in cells)


def _quoted(cell: str, quote_all: bool) -> str:
    if quote_all or any(ch in cell for ch in ',"\r\n') or cell != cell.strip():
        return '"' + cell.replace('"', '""') + '"'
    return cell
