"""Reports and exports are written whole or not at all: a reader or a kill never finds half a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.batch.files import write_whole, written_whole


def test_a_write_that_fails_halfway_leaves_the_previous_file_and_no_temporary_one(tmp_path: Path) -> None:
    report = tmp_path / "report.csv"
    report.write_text("yesterday's report\n")

    with pytest.raises(RuntimeError), written_whole(report) as out:
        out.write("half of today's")
        raise RuntimeError("killed while writing")

    assert report.read_text() == "yesterday's report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]


def test_a_write_that_ends_replaces_the_file_and_follows_a_symbolic_link(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "report.html"
    real.write_text("old")
    link = tmp_path / "latest.html"
    link.symlink_to(real)

    write_whole(link, "new")

    assert link.is_symlink() and real.read_text() == "new"
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["report.html"]


def test_a_file_that_cannot_be_created_is_named_as_asked_not_by_its_temporary_name(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir" / "changes.csv"

    with pytest.raises(OSError) as caught:
        write_whole(missing, "x")

    assert caught.value.filename == str(missing)


def test_a_directory_given_as_the_file_is_named_as_asked_and_nothing_is_left_behind(tmp_path: Path) -> None:
    """`queue --csv DIR` said `cannot write /tmp/.DIR.<pid>.partial: Is a directory`, after writing the whole
    export into that temporary file."""
    target = tmp_path / "exports"
    target.mkdir()

    with pytest.raises(IsADirectoryError) as caught, written_whole(target) as out:
        out.write("never written")

    assert caught.value.filename == str(target)
    assert [p.name for p in tmp_path.iterdir()] == ["exports"] and not any(target.iterdir())
