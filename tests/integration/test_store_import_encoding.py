"""A byte that is no UTF-8 in an import file: refused at its row and column, the other rows read on and loaded
with --keep-going, the row given back to the rejects file byte for byte."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from adapters.importers import run_import
from adapters.store import open_store
from adapters.store import schema as s

CAFE = "Café".encode("latin-1")
SAVE_AS_UTF8 = "save the file with the encoding UTF-8"


def _stored_ids(db_url: str) -> list[str]:
    with open_store(db_url).engine.connect() as conn:
        return sorted(conn.execute(select(s.customers.c.customer_id)).scalars())


def test_a_latin1_row_is_refused_at_its_line_and_column_and_keep_going_loads_the_rows_around_it(
    db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(b"customer_id,name\r\nC1,ok\r\nC2," + CAFE + b"\r\nC3,fine\r\n")
    rejects = tmp_path / "customers.rejects.csv"

    report = run_import(open_store(db_url).engine, "customers", path, keep_going=True, rejects_path=rejects)

    assert [(p.line, p.field, p.code) for p in report.problems] == [(3, "name", "bad_encoding")]
    assert "byte 0xE9" in report.problems[0].message and SAVE_AS_UTF8 in report.problems[0].message
    assert _stored_ids(db_url) == ["C1", "C3"]
    assert rejects.read_bytes().splitlines()[1].startswith(b"C2," + CAFE + b",")


def test_a_latin1_json_line_is_named_at_its_key_and_given_back_as_written(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "customers.jsonl"
    bad = b'{"customer_id": "C2", "name": "' + CAFE + b'"}'
    path.write_bytes(b'{"customer_id": "C1"}\n' + bad + b'\n{"customer_id": "C3"}\n')
    rejects = tmp_path / "customers.rejects.jsonl"

    report = run_import(open_store(db_url).engine, "customers", path, keep_going=True, rejects_path=rejects)

    assert [(p.line, p.field, p.code) for p in report.problems] == [(2, "name", "bad_encoding")]
    assert _stored_ids(db_url) == ["C1", "C3"]
    assert rejects.read_bytes().startswith(bad[:-1] + b', "error": "line 2: name: not UTF-8 text: byte 0xE9')


def test_every_bad_row_after_a_latin1_one_is_still_named_and_nothing_is_loaded(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(b"customer_id,name,size\nC1," + CAFE + b",small\nC2,ok,huge\nC3,ok,small\n")

    report = run_import(open_store(db_url).engine, "customers", path)

    assert [(p.line, p.field, p.code) for p in report.problems] == [(2, "name", "bad_encoding"),
                                                                    (3, "size", "literal_error")]
    assert _stored_ids(db_url) == []


def test_a_utf16_file_is_refused_as_a_whole_saying_which_encoding_it_is_in(db_url: str, tmp_path: Path) -> None:
    for name in ("customers.csv", "customers.jsonl"):
        path = tmp_path / name
        text = "customer_id\nC1\n" if name.endswith(".csv") else '{"customer_id": "C1"}\n'
        path.write_text(text, encoding="utf-16")

        report = run_import(open_store(db_url).engine, "customers", path)

        assert [(p.line, p.code) for p in report.problems] == [(1, "bad_encoding")]
        assert report.problems[0].message.startswith("UTF-16 or UTF-32 text") and report.refused_whole
    assert _stored_ids(db_url) == []


def test_a_utf16_or_utf32_file_without_a_byte_order_mark_is_refused_as_looking_like_one(
    db_url: str, tmp_path: Path
) -> None:
    for encoding, name in [(e, n) for e in ("utf-16-le", "utf-16-be", "utf-32-le") for n in ("c.csv", "c.jsonl")]:
        path = tmp_path / name
        text = "customer_id,name\nC1,x\n" if name.endswith(".csv") else '{"customer_id": "C1"}\n'
        path.write_bytes(text.encode(encoding))

        report = run_import(open_store(db_url).engine, "customers", path)

        assert [(p.line, p.code) for p in report.problems] == [(1, "bad_encoding")], (encoding, report.problems)
        assert report.problems[0].message.startswith("looks like UTF-16 or UTF-32 text") and report.refused_whole
    assert _stored_ids(db_url) == []


def test_a_json_key_or_value_that_is_a_lone_surrogate_escape_is_named_as_not_valid_text(
    db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "customers.jsonl"
    path.write_text('{"customer_id": "C1", "\\ud800": 1}\n{"customer_id": "C2", "name": "a\\udfffb"}\n'
                    '{"customer_id": "C3", "name": "\\ud83d\\ude00"}\n')

    report = run_import(open_store(db_url).engine, "customers", path, keep_going=True)

    assert [(p.line, p.field, p.code) for p in report.problems] == [
        (1, "\\ud800", "bad_encoding"), (2, "name", "bad_encoding")]
    assert [p.message.split(":")[0] for p in report.problems] == ["the key is not valid text", "not valid text"]
    assert "\\ud800 is half of a surrogate pair" in report.problems[0].message
    assert _stored_ids(db_url) == ["C3"]
