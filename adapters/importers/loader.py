"""Run one import: validate every row, upsert the good ones, all-or-nothing unless told to keep going."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, select

from adapters.batch.files import spreadsheet_safe, written_whole
from adapters.importers.csv_rows import read_csv
from adapters.importers.first_lines import FirstLines
from adapters.importers.held import sigint_held
from adapters.importers.kinds import KINDS, ImportKind
from adapters.importers.reader import (
    INPUT_ERRORS,
    FileProblem,
    Problem,
    RawRow,
    detect_format,
    read_jsonl,
)
from adapters.importers.report import ImportInterrupted, ImportReport
from adapters.importers.stored import merged_rows
from adapters.store import schema as s
from adapters.store.lock_wait import begin_immediate
from policy_engine.domain.errors import typed_violations_from
from policy_engine.domain.suggest import echoed

CHUNK_ROWS = 2000


class _Rejects:
    """Writes rejected rows in the input's own format, with an `error` column."""

    def __init__(self, handle: TextIO | None, fmt: str, columns: tuple[str, ...]):
        self.handle, self.fmt, self.columns = handle, fmt, columns
        self.writer: Any = None

    def write(self, row: RawRow) -> None:
        if self.handle is None:
            return
        error = "; ".join(f"line {p.line}: {p.field + ': ' if p.field else ''}{p.message}" for p in row.problems)
        if self.fmt == "jsonl":
            self.handle.write(_jsonl_reject(row, error) + "\n")
            return
        if self.writer is None:
            header = (
                [k for k in row.original if k is not None and k != "error"] if isinstance(row.original, dict) else []
            )
            self.writer = csv.DictWriter(
                self.handle, fieldnames=[*(header or self.columns), "error"], extrasaction="ignore"
            )
            self.writer.writeheader()
        original = row.original if isinstance(row.original, dict) else {}
        # Opened in a spreadsheet to be fixed, a cell such as `=cmd|' /C calc'!A0` would run: it gets a `'`, which
        # the importer takes off again (csv_rows.py), so the fixed file still imports as it is.
        cells = {k: spreadsheet_safe(v) for k, v in original.items() if k is not None}
        self.writer.writerow({**cells, "error": spreadsheet_safe(error)})


def _jsonl_reject(row: RawRow, error: str) -> str:
    """The line as written with `"error": …` added as its last key, so that a fixed line imports as it is: the line
    decoded and encoded again gave `Infinity` (not JSON) for 1e400 and 12.5 for 12.50. A line that is not a JSON
    object has no key to add: `{"raw": line, "error": …}`."""
    if not isinstance(row.original, dict):
        return json.dumps({"raw": row.original, "error": error}, ensure_ascii=False)
    body = _without_our_error(row.text.rstrip(), row.original)[:-1].rstrip()  # up to the closing brace
    return f'{body}{"" if body.endswith("{") else ", "}"error": {json.dumps(error, ensure_ascii=False)}}}'


def _without_our_error(text: str, original: dict[str, Any]) -> str:
    """`text` without the `"error": …` key a rejects file gave it, when it is still as written there: a reject
    imported and refused again gets the new error in its place. Any other `error` key stays (it is ignored)."""
    if "error" not in original:
        return text
    ours = f'"error": {json.dumps(original["error"], ensure_ascii=False)}}}'
    head = text.removesuffix(ours)
    if head != text and head.endswith((", ", "{")):
        return head.removesuffix(", ") + "}"
    return text


def _validate(kind: ImportKind, row: RawRow, name: str, values: dict[str, Any]) -> Any:
    try:
        return kind.model.model_validate(values)
    except ValidationError as exc:
        for v, error_type in typed_violations_from(exc):
            # An invoice's fields checked against each other are named at the field to fix (models.py).
            row.problems.append(Problem(name, row.line, v.field, error_type, v.description))
        return None


def _unknown_customers(conn: Connection, ids: set[str]) -> set[str]:
    t = s.customers
    known = set(conn.execute(select(t.c.customer_id).where(t.c.customer_id.in_(ids))).scalars())
    return ids - known


class _Run:
    def __init__(self, kind: ImportKind, name: str, conn: Connection, rejects: _Rejects, report: ImportReport,
                 first_lines: FirstLines, strict: bool = False):
        self.kind, self.name, self.conn, self.rejects, self.report = kind, name, conn, rejects, report
        self.first_lines, self.strict = first_lines, strict

    def chunk(self, rows: list[RawRow]) -> None:
        # Validated as it will be stored: a column the file leaves out keeps the stored record's value (stored.py).
        merged = merged_rows(self.conn, self.kind.model, self.kind.keys, self.kind.stored, rows)
        parsed = [(row, _validate(self.kind, row, self.name, values) if not row.problems else None)
                  for row, values in zip(rows, merged, strict=True)]
        self._duplicates(parsed)
        if self.kind.belongs_to_customer:
            self._orphans(parsed)
        self._warnings(parsed)
        good = [model for row, model in parsed if not row.problems]
        self.report.rows_loaded += len(good)
        if good:
            self.report.count_changed(self.kind.write(self.conn, good))
        for row, _model in parsed:
            if row.problems:
                self.report.rows_rejected += 1
                self.report.add(row.problems)
                self.rejects.write(row)

    def _duplicates(self, parsed: list[tuple[RawRow, Any]]) -> None:
        repeats = self.first_lines.repeats([(row.line, self.kind.key_of(model)) for row, model in parsed
                                            if model is not None])  # fmt: skip
        field_name = ",".join(self.kind.keys)
        for row, _model in parsed:
            if row.line in repeats:
                row.problems.append(
                    Problem(self.name, row.line, field_name, "duplicate_key", f"same key as line {repeats[row.line]}")
                )

    def _warnings(self, parsed: list[tuple[RawRow, Any]]) -> None:
        """Warn of what each good row holds that looks wrong; under --strict, refuse the row for it."""
        if self.kind.warnings is None:
            return
        for row, model in parsed:
            if model is not None and not row.problems and (found := self.kind.warnings(self.name, row.line, model)):
                if self.strict:
                    row.problems.extend(found)
                else:
                    self.report.warn(found)

    def _orphans(self, parsed: list[tuple[RawRow, Any]]) -> None:
        ids = {model.customer_id for row, model in parsed if model is not None and not row.problems}
        unknown = _unknown_customers(self.conn, ids) if ids else set()
        for row, model in parsed:
            if model is not None and not row.problems and model.customer_id in unknown:
                row.problems.append(
                    Problem(
                        self.name,
                        row.line,
                        "customer_id",
                        "unknown_customer",
                        f"no customer {echoed(model.customer_id)}; import customers first",
                    )
                )


def _rows(kind: ImportKind, handle: TextIO, name: str, fmt: str) -> Iterator[RawRow]:
    if fmt == "jsonl":
        return read_jsonl(handle, name, kind.required)
    return read_csv(handle, name, kind.columns, kind.required)


def run_import(
    engine: Engine,
    kind_name: str,
    path: Path,
    *,
    fmt: str | None = None,
    keep_going: bool = False,
    rejects_path: Path | None = None,
    progress: Callable[[int], None] | None = None,
    on_wait: Callable[[str], None] | None = None,
    strict: bool = False,
) -> ImportReport:
    """Import one file; without keep_going any problem rolls everything back. `on_wait(line)` is told when
    the import waits over 2 s for another process's SQLite write lock, which it holds from its start.
    `strict`: a row's warning (report.warnings) refuses it as a problem instead."""
    kind = KINDS[kind_name]
    fmt = detect_format(path, fmt)
    name = str(path)
    report = ImportReport(kind_name, name)
    # Written whole (never through another user's link, never half a file); opened before anything is imported.
    # It copies rows of `path` (customers' receivables): a new one is its owner's only, as every file we write.
    # A byte that was no UTF-8 goes back as it came (INPUT_ERRORS): nothing of a refused row is lost.
    rejects = (written_whole(rejects_path, newline="", errors=INPUT_ERRORS)
               if keep_going and rejects_path else nullcontext(None))
    with rejects as rejects_handle:
        try:
            with (
                open(path, encoding="utf-8-sig", errors=INPUT_ERRORS, newline="") as handle,
                FirstLines() as first_lines,
                engine.connect() as conn,
            ):
                run = _Run(kind, name, conn, _Rejects(rejects_handle, fmt, kind.columns), report, first_lines, strict)
                _load_in_one_transaction(run, _rows(kind, handle, name, fmt), keep_going, (progress, on_wait))
        except FileProblem as exc:
            report.add([exc.problem])
            report.refused_whole = True
        except KeyboardInterrupt:
            if report.committed:  # it came once the commit was done: that stands, "nothing imported" would be false
                raise
            raise ImportInterrupted from None  # rolled back by now, and the rejects file is dropped on the way out
    return report


def _load_in_one_transaction(
    run: _Run, rows: Iterator[RawRow], keep_going: bool,
    hooks: tuple[Callable[[int], None] | None, Callable[[str], None] | None],
) -> None:  # fmt: skip
    """Feed every row in one transaction, rolled back on any problem unless told to keep going."""
    report = run.report
    progress, on_wait = hooks
    with run.conn.begin() as tx:
        # The lock from the start: a writer coming between the chunks' reads and the first write would keep
        # that write waiting in the driver, in silence (and in WAL, refuse it outright once it committed).
        begin_immediate(run.conn, on_wait)
        _feed(run, rows, report, progress)
        if report.problem_count and not keep_going:
            tx.rollback()
            report.rows_loaded = 0
            report.changed.clear()
        else:
            with sigint_held():  # `committed` is true exactly when the commit was done, whenever a Ctrl-C comes
                tx.commit()
                report.committed = True


def _feed(run: _Run, rows: Iterator[RawRow], report: ImportReport, progress: Callable[[int], None] | None) -> None:
    chunk: list[RawRow] = []
    for row in rows:
        report.rows_read += 1
        chunk.append(row)
        if len(chunk) >= CHUNK_ROWS:
            run.chunk(chunk)
            chunk = []
            if progress:
                progress(report.rows_read)
    if chunk:
        run.chunk(chunk)
    if progress:
        progress(report.rows_read)
