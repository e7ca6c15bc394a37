"""Read JSON-lines files row by row, keeping the line number of every row; what both formats share (csv_rows.py
reads CSV)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from policy_engine.domain.amounts import WrittenNumber
from policy_engine.domain.errors import shown_name

MAX_LINE_CHARS = 64 * 1024
"""A longer line is refused rather than read into memory."""

IGNORED_COLUMNS = frozenset({"error"})
"""The column a rejects file adds; ignored so a fixed rejects file can be imported as it is."""

INPUT_ERRORS = "surrogateescape"
"""How the input is decoded: a byte that is no UTF-8 becomes a lone surrogate (U+DC80-U+DCFF), refused at its row
and column while the other rows are read on, and written back as that byte to the rejects file. Decoding
strictly stopped the whole file at its first such byte, the good rows with it (even with --keep-going), and
hid every problem after it."""
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
"""In a parsed JSON line, where the line held no byte that is no UTF-8: a `\\ud800` escape without its pair."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file: where, which field, a stable code and a message."""

    file: str
    line: int
    field: str
    code: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:"
        return (
            f"{where} {self.field}: {self.message} [{self.code}]"
            if self.field
            else f"{where} {self.message} [{self.code}]"
        )


@dataclass
class RawRow:
    """One row as read: its line, its values (empty CSV cells left out) and the original record."""

    line: int
    values: dict[str, Any]
    original: dict[str, Any] | str
    problems: list[Problem] = field(default_factory=list)
    text: str = ""
    """A JSON line as written (its line break left off): its reject gives it back as it was, `1e400` and all."""


class FileProblem(Exception):
    """The file as a whole cannot be read (bad header, wrong encoding)."""

    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))


def not_utf8(name: str, line: int, field: str, text: str) -> Problem | None:
    """`bad_encoding` for the first byte in `text` that was no UTF-8 character, naming it and what to do."""
    found = _ESCAPED_BYTE.search(text)
    if found is None:
        return None
    byte = ord(found[0]) - 0xDC00
    return Problem(name, line, field, "bad_encoding",
                   f"not UTF-8 text: byte 0x{byte:02X} is no UTF-8 character; save the file with the encoding "
                   'UTF-8 (an editor\'s "ANSI", GBK or Latin-1 is not read)')


def refuse_utf16(name: str, first_line: str) -> None:
    """Refuse a file that starts with a UTF-16 or UTF-32 byte-order mark, or whose first line is a quarter NULs or
    more, as a whole: each line of it would be refused on its own."""
    if first_line.startswith(("\udcff\udcfe", "\udcfe\udcff", "\x00\x00\udcfe\udcff")):
        raise FileProblem(Problem(name, 1, "", "bad_encoding", "UTF-16 or UTF-32 text (its byte-order mark says so); "
                                                                "save the file with the encoding UTF-8"))
    # Without a mark, UTF-16 writes a NUL beside every ASCII character (UTF-32 three), and UTF-8 text holds none:
    # such a file was read as a header of unknown columns (`c\x00u\x00…`) or as lines that are not JSON.
    nuls = first_line.count("\x00")
    if nuls >= 2 and nuls * 4 >= len(first_line):
        raise FileProblem(Problem(name, 1, "", "bad_encoding",
                                  f"looks like UTF-16 or UTF-32 text: {nuls} of the first line's {len(first_line)} "
                                  "characters are NUL bytes; save the file with the encoding UTF-8"))


def detect_format(path: Path, given: str | None) -> str:
    """`csv` or `jsonl`, from --format or the file extension."""
    if given:
        return given
    return "jsonl" if path.suffix.lower() in {".jsonl", ".ndjson", ".json"} else "csv"


def _bounded_lines(handle: TextIO, name: str) -> Iterator[tuple[int, str | None]]:
    number = 0
    while True:
        line = handle.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
            while line and not line.endswith("\n"):  # skip the rest of the overlong line
                line = handle.readline(MAX_LINE_CHARS + 1)
            yield number, None
        else:
            yield number, line


def nothing_more(handle: TextIO) -> bool:
    """Whether the rest of `handle` is blank (read in bounded pieces, never a whole line at once)."""
    while piece := handle.read(MAX_LINE_CHARS):
        if piece.strip():
            return False
    return True


def empty_file(name: str, first_line: str) -> FileProblem:
    """`empty_file` at line 1, saying what a first line holds: a file with nothing in it imported nothing
    without a word (JSON lines) or was said to miss a column (CSV)."""
    return FileProblem(Problem(name, 1, "", "empty_file", f"empty file, nothing to import: {first_line}"))


def _jsonl_first_line(required: tuple[str, ...]) -> str:
    example = ", ".join(f'"{c}": …' for c in required)
    return f"a JSON-lines file holds one JSON object per line, such as {{{example}}}"


def read_jsonl(handle: TextIO, name: str, required: tuple[str, ...] = ()) -> Iterator[RawRow]:
    """One JSON object per line; blank lines are skipped; a file of blank lines only is refused as empty."""
    seen = False
    for number, line in _bounded_lines(handle, name):
        seen = seen or line is None or bool(line.strip())
        if number == 1 and line is not None:
            refuse_utf16(name, line)
        if line is None:
            too_long = Problem(name, number, "", "line_too_long", f"line longer than {MAX_LINE_CHARS} characters")
            yield RawRow(number, {}, "", [too_long])
        elif line.strip():
            yield _jsonl_row(name, number, line)
    if not seen:
        raise empty_file(name, _jsonl_first_line(required))


def _jsonl_row(name: str, number: int, line: str) -> RawRow:
    """One non-blank JSON line as a row, or as a row holding the one reason it cannot be read."""
    if _ESCAPED_BYTE.search(line):
        return _undecodable_jsonl_row(name, number, line)
    repeated: list[str] = []
    try:
        data = json.loads(line, parse_float=WrittenNumber,
                          object_pairs_hook=lambda pairs: _noting_repeats(pairs, repeated))
    except json.JSONDecodeError as exc:
        problem = Problem(name, number, "", "bad_json", f"not JSON: {exc.msg} at column {exc.colno}")
        return RawRow(number, {}, line.rstrip("\n"), [problem])
    except (ValueError, RecursionError) as exc:  # a number of over 4,300 digits; nesting too deep
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc).split(";")[0]
        problem = Problem(name, number, "", "bad_json", f"not JSON we read: {why}")
        return RawRow(number, {}, line.rstrip("\n"), [problem])
    if not isinstance(data, dict):
        return RawRow(number, {}, line.rstrip("\n"), [Problem(name, number, "", "bad_json", "not a JSON object")])
    if (half := _half_surrogate(name, number, data)) is not None:
        return RawRow(number, {}, data, [half], line.rstrip("\r\n"))
    values = {k: v for k, v in data.items() if k not in IGNORED_COLUMNS}
    # An ignored key named twice (a hand-edited reject's `error`) is not worth refusing the row for.
    twice = [Problem(name, number, shown_name(key), "duplicate_column",
                     "named twice in this line; keep the one you mean")
             for key in dict.fromkeys(repeated) if key not in IGNORED_COLUMNS]
    return RawRow(number, values, data, twice, line.rstrip("\r\n"))


def _half_surrogate(name: str, number: int, data: dict[str, Any]) -> Problem | None:
    """`bad_encoding` at the first key or text value holding a lone surrogate escape (`"\\ud800"`): half of a
    character, which no UTF-8 file or text column holds. A key was refused as `string_unicode` naming no field."""
    for key, value in data.items():
        if (found := _SURROGATE.search(key)) is not None:
            return Problem(name, number, shown_name(key), "bad_encoding",
                           f"the key is not valid text: {_half(found[0])}")
        if isinstance(value, str) and key not in IGNORED_COLUMNS and (found := _SURROGATE.search(value)):
            return Problem(name, number, shown_name(key), "bad_encoding", f"not valid text: {_half(found[0])}")
    return None


def _half(char: str) -> str:
    return (f"the escape \\u{ord(char):04x} is half of a surrogate pair, no character; write the character itself, "
            "or both escapes of its pair")


def _undecodable_jsonl_row(name: str, number: int, line: str) -> RawRow:
    """A JSON line holding a byte that is no UTF-8, refused at the key whose name or value holds it (where the line
    is a JSON object), given back as written."""
    text = line.rstrip("\r\n")
    try:
        data = json.loads(line, parse_float=WrittenNumber)
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        problem = not_utf8(name, number, "", line)
        return RawRow(number, {}, text, [problem] if problem else [])
    field = next((k for k, v in data.items() if _ESCAPED_BYTE.search(k + json.dumps(v, ensure_ascii=False))), "")
    problem = not_utf8(name, number, shown_name(field), line)
    return RawRow(number, {}, data, [problem] if problem else [], text)


def _noting_repeats(pairs: list[tuple[str, Any]], repeated: list[str]) -> dict[str, Any]:
    """The object, noting each key named twice in it: json keeps the last value and says nothing."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                repeated.append(key)
            seen.add(key)
    return out
