"""A store location written wrong: every command echoes it (never a password) and says what to write."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

_ROOT = Path(__file__).resolve().parents[2]
_COMMANDS = [
    ["batch", "--as-of", "2026-11-22"], ["queue"], ["report"], ["runs"], ["history", "C1"], ["snapshot", "C1"],
    ["import", "customers", "c.csv"], ["demo-data", "--customers", "5"],
    ["simulate", "--rules", str(_ROOT / "rules")], ["evaluate", str(_ROOT / "examples" / "past-due.json")],
    ["serve", "--port", "0"], ["compact-log", "--dry-run"],
]  # fmt: skip


def _slips(tmp: Path) -> list[tuple[str, str, str]]:
    """(value given, how it is echoed, what to write)."""
    (tmp / "adir").mkdir()
    return [
        ("demo.sqlite", "demo.sqlite", "write sqlite:///demo.sqlite"),
        (str(tmp / "demo.sqlite"), str(tmp / "demo.sqlite"), f"write sqlite:///{tmp}/demo.sqlite"),
        ("sqlite://demo.sqlite", "sqlite://demo.sqlite", "write sqlite:///demo.sqlite"),
        ("postgres://risk:s3cret-pw@127.0.0.1:1/credit", "postgres://risk:***@127.0.0.1:1/credit",
         "write postgresql+psycopg://"),
        ("sqlite:///adir", "sqlite:///adir", "write sqlite:///adir/credit-policy.sqlite"),
        ("nonsense://risk:s3cret-pw@x/credit", "nonsense://risk:***@x/credit",
         "no database 'nonsense' here; write sqlite:///PATH"),
        ("postgresql+psycopg2://risk:s3cret-pw@127.0.0.1:1/credit", "postgresql+psycopg2://risk:***@127.0.0.1:1/credit",
         "is not installed here; write sqlite:///PATH for a SQLite file or postgresql+psycopg://"),
    ]


@pytest.mark.parametrize("command", _COMMANDS, ids=lambda c: c[0])
def test_every_command_names_a_wrong_store_location_and_what_to_write(
        command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from policy_engine.cli import build_app

    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.csv").write_text("customer_id\nC1\n")
    app = build_app()

    for given, echoed, fix in _slips(tmp_path):
        result = CliRunner().invoke(app, [*command, "--db", given])

        assert result.exit_code == 2, (given, result.output)
        assert f"{echoed}: " in result.stderr and fix in result.stderr, (given, result.stderr)
        assert "s3cret-pw" not in result.output and "Traceback" not in result.output, given
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir", "c.csv"]  # nothing created
    assert not any((tmp_path / "adir").iterdir())


def test_a_value_that_is_not_a_path_and_does_not_parse_is_not_echoed() -> None:
    """It may be a password pasted into the wrong place, or a URL that lost its scheme."""
    from adapters.store.engine import safe_url

    for value in ("not a url s3cret-pw", "risk:s3cret-pw@db/credit"):
        assert "s3cret-pw" not in safe_url(value)
