"""Reading import files: line numbers, header checks and bounds, before any database is involved."""

from __future__ import annotations

import io
import time

import pytest

from adapters.importers.csv_rows import read_csv
from adapters.importers.reader import MAX_LINE_CHARS, FileProblem, read_jsonl

COLUMNS = ("order_id", "customer_id", "ordered_on", "amount", "status")
REQUIRED = ("order_id", "customer_id", "ordered_on", "amount")


def test_csv_rows_carry_their_line_numbers_and_leave_empty_cells_out() -> None:
    text = "order_id,customer_id,ordered_on,amount,status\nO1,C1,2026-01-01,5,\nO2,C1,2026-01-02,6,open\n"

    rows = list(read_csv(io.StringIO(text), "o.csv", COLUMNS, REQUIRED))

    assert [(r.line, r.values.get("status")) for r in rows] == [(2, None), (3, "open")]


def test_a_missing_required_column_is_reported_at_the_header() -> None:
    with pytest.raises(FileProblem) as caught:
        list(read_csv(io.StringIO("order_id,customer_id\nO1,C1\n"), "o.csv", COLUMNS, REQUIRED))

    assert (caught.value.problem.line, caught.value.problem.field, caught.value.problem.code) == (
        1,
        "ordered_on",
        "missing_column",
    )


def test_a_row_with_more_cells_than_columns_is_refused() -> None:
    text = "order_id,customer_id,ordered_on,amount\nO1,C1,2026-01-01,5,surprise\n"

    [row] = list(read_csv(io.StringIO(text), "o.csv", COLUMNS, REQUIRED))

    assert [(p.line, p.code) for p in row.problems] == [(2, "extra_cells")]


def test_the_error_column_of_a_rejects_file_is_ignored() -> None:
    text = "order_id,customer_id,ordered_on,amount,error\nO1,C1,2026-01-01,5,line 2: amount: bad\n"

    [row] = list(read_csv(io.StringIO(text), "o.csv", COLUMNS, REQUIRED))

    assert "error" not in row.values and not row.problems


def test_an_error_key_named_twice_in_a_json_line_is_ignored_like_one() -> None:
    # A hand-edited reject whose `error` is not where the rejects file put it gets a second one when refused again.
    text = '{"error": "old", "order_id": "O1", "customer_id": "C1", "error": "new", "order_id": "O2"}\n'

    [row] = list(read_jsonl(io.StringIO(text), "o.jsonl"))

    assert [(p.field, p.code) for p in row.problems] == [("order_id", "duplicate_column")]
    assert "error" not in row.values and row.text == text.rstrip("\n")


def test_json_lines_skip_blank_lines_and_bound_line_length() -> None:
    text = '{"order_id": "O1"}\n\n' + '{"x": "' + "y" * (MAX_LINE_CHARS + 10) + '"}\n[1]\n'

    rows = list(read_jsonl(io.StringIO(text), "o.jsonl"))

    assert [(r.line, [p.code for p in r.problems]) for r in rows] == [
        (1, []),
        (3, ["line_too_long"]),
        (4, ["bad_json"]),
    ]


def test_a_column_named_twice_is_refused_at_the_header() -> None:
    # csv.DictReader would keep the last cell of the two and say nothing.
    with pytest.raises(FileProblem) as caught:
        list(read_csv(io.StringIO("order_id,customer_id,ordered_on,amount,amount\nO1,C1,2026-01-01,5,6\n"),
                      "o.csv", COLUMNS, REQUIRED))

    problem = caught.value.problem
    assert (problem.line, problem.field, problem.code) == (1, "amount", "duplicate_column")


def test_a_json_line_naming_a_field_twice_is_refused_at_that_field() -> None:
    # json keeps the last value silently: "amount": "5" then "amount": "900000" imported 900000.
    text = '{"order_id": "O1", "amount": "5", "amount": "900000"}\n{"order_id": "O2", "amount": "6"}\n'

    rows = list(read_jsonl(io.StringIO(text), "o.jsonl"))

    assert [(r.line, [(p.field, p.code) for p in r.problems]) for r in rows] == [
        (1, [("amount", "duplicate_column")]), (2, [])]


def test_json_the_reader_cannot_take_is_a_bad_line_not_a_crash() -> None:
    # Python's json refuses integers of over 4,300 digits (ValueError) and deep nesting (RecursionError).
    text = '{"amount": 1' + "0" * 5000 + '}\n{"x": ' + "[" * 30_000 + "]" * 30_000 + '}\n{"order_id": "O1"}\n'

    rows = list(read_jsonl(io.StringIO(text), "o.jsonl"))

    assert [(r.line, [p.code for p in r.problems]) for r in rows] == [(1, ["bad_json"]), (2, ["bad_json"]), (3, [])]
    assert "4300 digits" in rows[0].problems[0].message
    assert "nested too deeply" in rows[1].problems[0].message


def test_a_quote_that_never_closes_is_named_at_the_line_where_it_opens() -> None:
    text = 'order_id,customer_id,ordered_on,amount\nO1,C1,2026-01-01,5\nO2,"C1,2026-01-02,6\nO3,C1,2026-01-03,7\n'

    good, bad = list(read_csv(io.StringIO(text), "o.csv", COLUMNS, REQUIRED))

    assert good.line == 2 and not good.problems
    assert [(p.line, p.code) for p in bad.problems] == [(3, "bad_csv")]
    assert "never closed" in bad.problems[0].message


def test_a_quoted_cell_over_the_bound_across_lines_stops_the_reading_there() -> None:
    # the csv module went on inside the cell, taking each of its further lines for a row (thousands of
    # false problems, or worse, rows imported from the cell's text)
    cell = ("y" * 99 + "\n") * (MAX_LINE_CHARS // 100 + 50)
    text = f'order_id,customer_id,ordered_on,amount\nO1,C1,2026-01-01,5\nO2,"{cell}",x,6\nO3,C1,x,7\n'

    rows = list(read_csv(io.StringIO(text), "o.csv", COLUMNS, REQUIRED))

    assert [r.line for r in rows] == [2, 3]
    assert [p.code for p in rows[1].problems] == ["bad_csv"]
    assert "rest of the file is not read" in rows[1].problems[0].message


def test_a_cell_over_the_bound_is_named_at_its_line_and_the_rows_after_it_are_read() -> None:
    long_cell = "C" * (MAX_LINE_CHARS + 1)
    text = f"order_id,customer_id,ordered_on,amount\nO1,C1,2026-01-01,5\nO2,{long_cell},x,6\nO3,C1,x,7\n"

    good, bad, after = list(read_csv(io.StringIO(text), "o.csv", COLUMNS, REQUIRED))

    assert [(p.line, p.code) for p in bad.problems] == [(3, "line_too_long")]
    assert f"longer than {MAX_LINE_CHARS} characters" in bad.problems[0].message
    assert (good.line, after.line, after.values["order_id"]) == (2, 4, "O3")


def test_an_unknown_column_named_with_control_characters_is_shown_escaped_on_one_line() -> None:
    """A header is the file's text: printed raw, an escape sequence would recolour or clear the terminal, and a
    line break would forge a line of the report (`nothing imported` followed by one the file wrote)."""
    header = 'order_id,customer_id,ordered_on,amount,"x\x1b[2J\nall rows imported"\n'

    with pytest.raises(FileProblem) as caught:
        list(read_csv(io.StringIO(header + "O1,C1,2026-01-01,5,1\n"), "o.csv", COLUMNS, REQUIRED))

    problem = caught.value.problem
    assert (problem.code, problem.field) == ("unknown_column", "x\\x1b[2J\\nall rows imported")
    assert str(problem).isprintable()


def test_a_header_of_thousands_of_repeated_columns_is_refused_in_linear_time() -> None:
    """Each column was counted across the whole header: 13,000 `status` columns (91 KB) took ~2 s, so 40,000 took
    ~19 s; counted once, they take milliseconds (the bound leaves a slow shared machine 100 times that). A header
    line past MAX_LINE_CHARS is now refused unread before any column is counted; 9,000 columns stay under it."""
    for repeats, refused in ((9_000, ("status", "duplicate_column")), (40_000, ("", "line_too_long"))):
        header = "order_id,customer_id,ordered_on,amount," + ",".join(["status"] * repeats) + "\n"
        started = time.perf_counter()

        with pytest.raises(FileProblem) as caught:
            list(read_csv(io.StringIO(header + "O1\n"), "o.csv", COLUMNS, REQUIRED))

        assert (caught.value.problem.field, caught.value.problem.code) == refused
        assert time.perf_counter() - started < 5


def test_a_json_key_named_twice_with_control_characters_is_shown_escaped_on_one_line() -> None:
    line = '{"order_id": "O1", "x\\u001b[2J\\ny": 1, "x\\u001b[2J\\ny": 2}\n'

    [row] = list(read_jsonl(io.StringIO(line), "o.jsonl", REQUIRED))

    [problem] = [p for p in row.problems if p.code == "duplicate_column"]
    assert problem.field == "x\\x1b[2J\\ny" and str(problem).isprintable()
