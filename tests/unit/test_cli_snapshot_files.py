"""A snapshot file evaluate and check-order cannot use: one `error:` line naming it and what to do, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policy_engine.cli import build_app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "new-customer.json"
COMMANDS = [["evaluate"], ["check-order", "--amount", "100"]]


def _errors(command: list[str], path: Path) -> tuple[int, list[str]]:
    result = CliRunner().invoke(build_app(), [command[0], str(path), *command[1:]])
    assert "Traceback" not in result.output
    return result.exit_code, result.output.splitlines()


@pytest.mark.parametrize("command", COMMANDS)
def test_a_directory_given_for_the_snapshot_says_so(tmp_path: Path, command: list[str]) -> None:
    code, said = _errors(command, tmp_path)

    assert code == 2 and said == [f"error: {tmp_path}: a directory, not a file; give a CustomerSnapshot JSON file"]


@pytest.mark.parametrize("command", COMMANDS)
def test_an_empty_snapshot_file_says_it_is_empty(tmp_path: Path, command: list[str]) -> None:
    empty = tmp_path / "snap.json"
    empty.write_text("  \n")

    code, said = _errors(command, empty)

    assert code == 2 and len(said) == 1 and said[0].startswith(f"error: {empty}: empty file; write ")


@pytest.mark.parametrize("command", COMMANDS)
def test_a_json_list_for_the_snapshot_says_one_object_is_wanted(tmp_path: Path, command: list[str]) -> None:
    listed = tmp_path / "snap.json"
    listed.write_text(json.dumps([json.loads(EXAMPLE.read_text())]))

    code, said = _errors(command, listed)

    assert code == 2 and len(said) == 1
    assert said[0].startswith(f"error: {listed}:1:1: a JSON list, not an object; give one customer's snapshot")


@pytest.mark.parametrize("command", COMMANDS)
def test_a_snapshot_saved_as_utf16_is_named_with_the_encoding_to_save_in(tmp_path: Path, command: list[str]) -> None:
    utf16 = tmp_path / "snap.json"
    utf16.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-16")

    code, said = _errors(command, utf16)

    assert code == 2 and len(said) == 1
    assert said[0].startswith(f"error: {utf16}:1:1: not UTF-8 text: byte 0xFF here is no UTF-8 character; save the "
                              "file with the encoding UTF-8")


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc (a file whose read fails)")
def test_a_snapshot_that_cannot_be_read_says_why_in_words(tmp_path: Path) -> None:
    unreadable = tmp_path / "snap.json"
    unreadable.symlink_to("/proc/self/mem")  # reading it fails (EIO) even for root, whom chmod 000 does not stop

    code, said = _errors(["evaluate"], unreadable)

    assert code == 2 and said == [f"error: {unreadable}: cannot be read: Input/output error"]
