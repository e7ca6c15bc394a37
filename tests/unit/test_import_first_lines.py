"""The duplicate-key check's scratch file: first lines across chunks, nothing left on disk, a full disk said so."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import pytest

from adapters.importers import first_lines
from adapters.importers.first_lines import FirstLines


def test_a_key_seen_before_maps_each_later_line_to_its_first_line_within_and_across_chunks() -> None:
    with FirstLines() as seen:
        first = seen.repeats([(2, ("A",)), (3, ("B",)), (4, ("A",))])
        second = seen.repeats([(5, ("B",)), (6, ("C",)), (7, ("A",))])

    assert first == {4: 2}
    assert second == {5: 3, 7: 2}


def test_keys_of_several_fields_and_dates_are_told_apart_field_by_field() -> None:
    with FirstLines() as seen:
        found = seen.repeats([(2, ("C1", date(2026, 1, 5))), (3, ("C1", date(2026, 1, 6))),
                              (4, ("C1", "2026-01-05")), (5, ("C1", date(2026, 1, 5)))])  # fmt: skip

    assert found == {5: 2}


def test_the_scratch_file_is_gone_from_the_temporary_directory_while_in_use_and_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    with FirstLines() as seen:
        seen.repeats([(n, (f"K{n}",)) for n in range(2, 5000)])
        during = list(tmp_path.iterdir())

    assert during == [] and list(tmp_path.iterdir()) == []


def test_a_full_scratch_disk_is_an_os_error_naming_the_directory_and_tmpdir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(first_lines, "_PRAGMAS", (*first_lines._PRAGMAS, "max_page_count=4"))

    with FirstLines() as seen, pytest.raises(OSError) as raised:
        seen.repeats([(n, (f"KEY-{n:020d}",)) for n in range(2, 5000)])

    assert str(tmp_path) in str(raised.value) and "TMPDIR" in str(raised.value) and "full" in str(raised.value)
