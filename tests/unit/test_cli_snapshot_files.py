"""A snapshot file evaluate and check-order cannot use: one `error:` line naming it and what to do, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policy_engine.cli import build_app, snapshot_file
from policy_engine.domain.values import FLOAT_MONEY

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


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs a device that never ends")
def test_a_snapshot_that_never_ends_is_read_no_further_than_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot_file, "MAX_SNAPSHOT_BYTES", 1 << 20)  # a device's size says 0: only reading stops it

    code, said = _errors(["evaluate"], Path("/dev/zero"))

    assert code == 2 and said == ["error: /dev/zero: larger than 1 MiB"]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_key_written_twice_is_named_by_its_path_not_silently_overwritten(tmp_path: Path, command: list[str]) -> None:
    snap = json.loads(EXAMPLE.read_text())
    snap["invoices"] = [{"invoice_id": "I1", "issued_on": "2026-01-05", "due_on": "2026-02-04", "amount": "1.00"}]
    text = json.dumps(snap).replace('"amount": "1.00"', '"amount": "1.00", "amount": "900000.00"')
    twice = tmp_path / "snap.json"
    twice.write_text(text)

    code, said = _errors(command, twice)

    assert code == 2 and len(said) == 1
    assert said[0].startswith(f"error: {twice}: invoices[0].amount: written twice")


def test_a_snapshot_of_millions_of_empty_objects_is_refused_before_they_are_built(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot_file, "MAX_JSON_VALUES", 1000)
    many = tmp_path / "snap.json"
    many.write_text('{"customer_id": "C1", "name": "x", "invoices": [' + ", ".join(["{}"] * 1001) + "]}")

    code, said = _errors(["evaluate"], many)

    assert code == 2 and said == [f"error: {many}: not JSON we read: more than 1000 objects and numbers"]


@pytest.mark.parametrize("name", ["snap\nshot.json", "snap\rshot.json"])
def test_a_path_with_a_line_break_stays_on_one_error_line(tmp_path: Path, name: str) -> None:
    broken = tmp_path / name
    broken.write_text('{"customer_id": 5')

    code, said = _errors(["evaluate"], broken)

    assert code == 2 and len(said) == 1 and said[0].startswith("error: ") and ":1:18: not valid JSON" in said[0]
    assert repr(name)[1:-1] in said[0]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("written", ["1e400", "1E2", "12.50"])
def test_money_written_as_a_json_number_is_echoed_as_written(tmp_path: Path, command: list[str], written: str) -> None:
    # 1e400 was echoed as `inf`, 1E2 as 100.0: not what the file says.
    path = tmp_path / "snap.json"
    path.write_text(f'{{"customer_id": "C1", "current_limit": {written}}}')

    code, said = _errors(command, path)

    assert code == 2 and said == [f"{path}: current_limit: {FLOAT_MONEY}: {written}"]
    assert "decimal string in quotes" in FLOAT_MONEY


@pytest.mark.parametrize("command", COMMANDS)
def test_an_incoherent_invoice_in_a_snapshot_file_is_named_at_the_field_to_fix(
    tmp_path: Path, command: list[str],
) -> None:
    snapshot = json.loads(EXAMPLE.read_text())
    snapshot["invoices"] = [{"invoice_id": "I1", "issued_on": "2026-02-01", "due_on": "2026-01-31", "amount": "1.00"}]
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(snapshot))

    code, said = _errors(command, path)

    assert code == 2 and said == [f"{path}: invoices[0].due_on: due_on 2026-01-31 is before issued_on 2026-02-01"]
