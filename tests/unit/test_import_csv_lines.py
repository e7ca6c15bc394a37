"""CSV rows at the line they start on, and no line read whole past MAX_LINE_CHARS (adapters/importers/csv_rows.py)."""

from __future__ import annotations

import io

import pytest

from adapters.importers.csv_rows import read_csv
from adapters.importers.reader import MAX_LINE_CHARS, FileProblem

COLUMNS = ("customer_id", "name", "size")
REQUIRED = ("customer_id",)


class _Watched(io.StringIO):
    """A file that remembers the longest piece of text it handed out at once."""

    longest = 0

    def readline(self, size: int | None = -1) -> str:
        line = super().readline(-1 if size is None else size)
        self.longest = max(self.longest, len(line))
        return line

    def __next__(self) -> str:
        line = super().__next__()
        self.longest = max(self.longest, len(line))
        return line


@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_a_row_running_over_several_lines_is_at_the_line_it_starts_on(end: str) -> None:
    text = f'customer_id,name,size{end}C1,"two{end}lines{end}and three",small{end}C2,x,small{end}'

    first, second = read_csv(io.StringIO(text, newline=""), "c.csv", COLUMNS, REQUIRED)

    assert (first.line, first.values["name"], second.line) == (2, f"two{end}lines{end}and three", 5)


def test_a_line_over_the_bound_is_skipped_in_pieces_and_the_rows_after_it_are_read() -> None:
    text = "customer_id,name\nC1,ok\nC2," + "x" * (20 * MAX_LINE_CHARS) + "\nC3,fine\n"
    handle = _Watched(text)

    good, bad, after = read_csv(handle, "c.csv", COLUMNS, REQUIRED)

    assert [(p.line, p.code) for p in bad.problems] == [(3, "line_too_long")]
    assert (good.line, after.line, after.values["customer_id"]) == (2, 4, "C3")
    assert handle.longest <= MAX_LINE_CHARS + 1


def test_a_line_over_the_bound_leaving_a_quote_open_ends_the_reading_there() -> None:
    """The quoted cell's later lines are no rows: read as rows, `C9,inside"` became customer C9."""
    text = 'customer_id,name\nC1,ok\nC2,"' + "x" * (MAX_LINE_CHARS + 10) + '\nC9,inside"\nC4,fine\n'

    rows = list(read_csv(io.StringIO(text), "c.csv", COLUMNS, REQUIRED))

    assert [r.values.get("customer_id") for r in rows] == ["C1", None]
    assert rows[1].problems[0].code == "line_too_long"
    assert rows[1].problems[0].message.endswith("the rest of the file is not read")


def test_a_header_line_over_the_bound_refuses_the_file_as_a_whole() -> None:
    header = "customer_id," + "n" * (MAX_LINE_CHARS + 10) + "\n"

    with pytest.raises(FileProblem) as caught:
        list(read_csv(io.StringIO(header + "C1,x\n"), "c.csv", COLUMNS, REQUIRED))

    assert (caught.value.problem.line, caught.value.problem.code) == (1, "line_too_long")
