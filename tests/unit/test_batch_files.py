"""Reports and exports are written whole or not at all: a reader or a kill never finds half a file."""

from __future__ import annotations

import os
import stat
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


def test_a_link_planted_at_the_temporary_files_old_name_is_not_written_through(tmp_path: Path) -> None:
    """The temporary file was `.NAME.<pid>.partial`, opened without O_EXCL: in a shared directory anyone
    could plant that name as a link to a file of the user running the report and have it overwritten."""
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / f".report.csv.{os.getpid()}.partial").symlink_to(victim)

    write_whole(tmp_path / "report.csv", "today's report")

    assert victim.read_text() == "keep me"
    assert (tmp_path / "report.csv").read_text() == "today's report"


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a link to another user needs root")
def test_a_link_owned_by_another_user_is_not_followed(tmp_path: Path) -> None:
    """Following it would let whoever can write the directory (a shared one) pick which file is replaced."""
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link = tmp_path / "report.csv"
    link.symlink_to(victim)
    os.lchown(link, 12345, 12345)

    with pytest.raises(PermissionError) as caught:
        write_whole(link, "today's report")

    assert caught.value.filename == str(link)
    assert victim.read_text() == "keep me" and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv", "victim.txt"]


def test_a_file_replaced_keeps_its_permissions(tmp_path: Path) -> None:
    """A report its owner made private (0600) must not come back readable by everyone after the next run."""
    report = tmp_path / "report.csv"
    report.write_text("yesterday's report\n")
    report.chmod(0o600)

    write_whole(report, "today's report\n")

    assert stat.S_IMODE(report.stat().st_mode) == 0o600


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_a_new_file_is_its_owners_only_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    """Every file written here holds customers' data: under the usual 022 a new one was 0644, readable by all."""
    mask = os.umask(umask)
    try:
        write_whole(tmp_path / "report.csv", "today's report\n")
    finally:
        os.umask(mask)

    assert stat.S_IMODE((tmp_path / "report.csv").stat().st_mode) == 0o600
