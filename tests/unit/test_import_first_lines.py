"""The duplicate-key check's scratch file: first lines across chunks, nothing left on disk, a full disk said so."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import pytest

from adapters.importers import first_lines
from adapters.importers.first_lines import FirstLines

# 0: every key in the scratch file from the first chunk on; 3: in a dict, spilled after the first chunk;
# the default: all in the dict.
SPILLS = [0, 3, first_lines.SPILL_KEYS]


@pytest.mark.parametrize("spill_keys", SPILLS)
def test_a_key_seen_before_maps_each_later_line_to_its_first_line_within_and_across_chunks(spill_keys: int) -> None:
    with FirstLines(spill_keys) as seen:
        first = seen.repeats([(2, ("A",)), (3, ("B",)), (4, ("A",))])
        second = seen.repeats([(5, ("B",)), (6, ("C",)), (7, ("A",))])

    assert first == {4: 2}
    assert second == {5: 3, 7: 2}


@pytest.mark.parametrize("spill_keys", SPILLS)
def test_keys_of_several_fields_and_dates_are_told_apart_field_by_field(spill_keys: int) -> None:
    with FirstLines(spill_keys) as seen:
        found = seen.repeats([(2, ("C1", date(2026, 1, 5))), (3, ("C1", date(2026, 1, 6))),
                              (4, ("C1", "2026-01-05")), (5, ("C1", date(2026, 1, 5)))])  # fmt: skip

    assert found == {5: 2}


def test_the_scratch_file_is_gone_from_the_temporary_directory_while_in_use_and_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    with FirstLines(spill_keys=100) as seen:
        seen.repeats([(n, (f"K{n}",)) for n in range(2, 5000)])
        seen.repeats([(n, (f"K{n}",)) for n in range(5000, 5100)])  # now in the scratch file
        during = list(tmp_path.iterdir())

    assert during == [] and list(tmp_path.iterdir()) == []


def test_a_full_scratch_disk_is_an_os_error_naming_the_directory_and_tmpdir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(first_lines, "_PRAGMAS", (*first_lines._PRAGMAS, "max_page_count=4"))

    with FirstLines(spill_keys=0) as seen, pytest.raises(OSError) as raised:
        seen.repeats([(n, (f"KEY-{n:020d}",)) for n in range(2, 5000)])

    assert str(tmp_path) in str(raised.value) and "TMPDIR" in str(raised.value) and "full" in str(raised.value)


def test_a_file_of_ordinary_size_opens_no_scratch_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    opened: list[int] = []
    monkeypatch.setattr(first_lines, "_open_scratch", lambda: opened.append(1))

    with FirstLines() as seen:
        found = seen.repeats([(n, (f"K{n % 4_000}",)) for n in range(2, 10_002)])

    assert opened == [] and len(found) == 6_000  # the dict's speed: the scratch file costs 4-9 µs a row
