"""Read CSV files row by row, keeping the line number of every row; the header is checked before any row."""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any, TextIO

from adapters.batch.files import spreadsheet_text
from adapters.importers.reader import (
    IGNORED_COLUMNS,
    MAX_LINE_CHARS,
    FileProblem,
    Problem,
    RawRow,
    empty_file,
    not_utf8,
    nothing_more,
    refuse_utf16,
)
from policy_engine.domain.errors import shown_name

_BREAKS = re.compile(r"\r\n|\r|\n")
"""The line breaks a file read with newline="" ends its lines at."""


def _csv_first_line(required: tuple[str, ...]) -> str:
    return f"a CSV file's first line names its columns, at least {', '.join(required)}"



def read_csv(handle: TextIO, name: str, allowed: tuple[str, ...], required: tuple[str, ...]) -> Iterator[RawRow]:
    """A header line, then one row per record, each at the line it starts on; the header is checked before any row
    is read. No line is read whole past MAX_LINE_CHARS."""
    csv.field_size_limit(MAX_LINE_CHARS)
    lines = _CountedLines(handle)
    reader = csv.DictReader(lines, strict=True)
    _check_csv_header(reader, lines, name, allowed, required)
    ended = lines.read  # the last line of the last row read: the next row starts after it
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except (csv.Error, _LineTooLong) as exc:
            lost = lines.read > ended + 1 or (isinstance(exc, _LineTooLong) and exc.quote_open)
            yield _bad_csv(name, ended + 1, exc, lost)
            if lost:
                return
            ended = lines.read
            continue
        line, ended = lines.read - _breaks_within(record), lines.read
        yield _row(name, line, record)


def _row(name: str, line: int, record: dict[Any, Any]) -> RawRow:
    """The record as a row, or as a row holding the one reason its cells cannot be taken."""
    if (undecodable := _undecodable_cell(name, line, record)) is not None:
        return RawRow(line, {}, record, [undecodable])
    if None in record:
        return RawRow(line, {}, record, [Problem(name, line, "", "extra_cells", "more cells than header columns")])
    # A `'` before a formula's first character is the escape of a file we wrote (a rejects file, queue --csv).
    values = {k: spreadsheet_text(v) for k, v in record.items() if v not in ("", None) and k not in IGNORED_COLUMNS}
    return RawRow(line, values, record)


def _breaks_within(record: dict[Any, Any]) -> int:
    """The line breaks inside the record's quoted cells: the lines it runs over after the one it starts on (the csv
    module's line_num is the last of them, where an editor shows the row starting earlier)."""
    cells = (c for v in record.values() for c in (v if isinstance(v, list) else [v]))
    return sum(len(_BREAKS.findall(c)) for c in cells if isinstance(c, str))


def _undecodable_cell(name: str, line: int, record: dict[str | None, Any]) -> Problem | None:
    """`bad_encoding` at the first cell holding a byte that is no UTF-8 (before any other check: the other
    messages quote what was written)."""
    for column, value in record.items():
        for cell in value if isinstance(value, list) else [value]:
            if isinstance(cell, str) and (problem := not_utf8(name, line, column or "", cell)):
                return problem
    return None


class _CountedLines:
    """The file's lines as the csv module reads them, counted: its own count leaves out the lines of a
    row it failed on."""

    def __init__(self, handle: TextIO):
        self.handle = handle
        self.read = 0
        self.first = ""
        """The first line read (the header's): its encoding is told apart from its CSV."""

    def __iter__(self) -> _CountedLines:
        return self

    def __next__(self) -> str:
        line = self.handle.readline(MAX_LINE_CHARS + 1)
        if not line:
            raise StopIteration
        self.read += 1
        if self.read == 1:
            self.first = line
        if len(line) > MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            raise _LineTooLong(self.read, self._skipped(line))
        return line

    def _skipped(self, line: str) -> bool:
        """Read the rest of an overlong line in bounded pieces; whether it leaves a quote open (an odd count)."""
        quotes = line.count('"')
        while line and not line.endswith(("\n", "\r")):
            line = self.handle.readline(MAX_LINE_CHARS + 1)
            quotes += line.count('"')
        return quotes % 2 == 1


class _LineTooLong(Exception):
    """A line past MAX_LINE_CHARS, skipped unread (a whole line was read into memory, however long: 200 MB of one
    line took 465 MB); `quote_open`: a quoted cell runs on past it."""

    def __init__(self, number: int, quote_open: bool):
        self.number, self.quote_open = number, quote_open
        super().__init__(f"line longer than {MAX_LINE_CHARS} characters")


def _bad_csv(name: str, line: int, exc: csv.Error | _LineTooLong, lost: bool = False) -> RawRow:
    """A row the csv module could not read, at the line it starts on, in words saying what to do: its own
    were `unexpected end of data` and `field larger than field limit (65536)`, at the row before. `lost`:
    the row ran over several lines, so the module stopped inside a quoted cell, where it would go on
    taking the cell's further lines for rows."""
    why, code = str(exc), "line_too_long" if isinstance(exc, _LineTooLong) else "bad_csv"
    if isinstance(exc, _LineTooLong) and exc.number != line:
        why = f"its line {exc.number} is longer than {MAX_LINE_CHARS} characters"
    if why == "unexpected end of data":
        why = 'a quote opened on this line is never closed: close it; a quote inside a quoted cell is written ""'
    elif why.startswith("field larger than field limit"):
        why = f"a cell longer than {MAX_LINE_CHARS} characters"
    if lost:
        why += ("; it runs over several lines, so where the next row begins cannot be told: "
                "the rest of the file is not read")
    return RawRow(line, {}, "", [Problem(name, line, "", code, why)])


def _check_csv_header(
    reader: csv.DictReader[str], lines: _CountedLines, name: str, allowed: tuple[str, ...], required: tuple[str, ...]
) -> None:
    """Read the header line and raise FileProblem for the first thing wrong with it."""
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:  # UTF-16's NULs too: said as what they are
        refuse_utf16(name, lines.first)
        raise FileProblem(Problem(name, 1, "", "bad_csv", str(exc))) from exc
    except _LineTooLong as exc:
        raise FileProblem(Problem(name, 1, "", "line_too_long", f"the header line is {exc}: "
                                  f"{_csv_first_line(required)}")) from exc
    refuse_utf16(name, lines.first)
    if (undecodable := not_utf8(name, 1, "", lines.first)) is not None:
        raise FileProblem(undecodable)
    if not header:  # no first line, or a blank one: no column can be said to be missing
        if nothing_more(lines.handle):
            raise empty_file(name, _csv_first_line(required))
        raise FileProblem(Problem(name, 1, "", "blank_header", f"the first line is blank: {_csv_first_line(required)}"))
    unknown = [c for c in header if c not in allowed and c not in IGNORED_COLUMNS]
    if unknown:
        expected = f"unknown column; expected some of {', '.join(allowed)}"
        raise FileProblem(Problem(name, 1, shown_name(unknown[0]), "unknown_column", expected))
    repeated = sorted(c for c, n in Counter(header).items() if n > 1)  # counted once: thousands of columns
    if repeated:
        raise FileProblem(Problem(name, 1, repeated[0], "duplicate_column", "column appears more than once"))
    missing = [c for c in required if c not in header]
    if missing:
        raise FileProblem(Problem(name, 1, missing[0], "missing_column", "required column is missing"))
