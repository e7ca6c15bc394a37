"""Every command's `--help` names values as a careful command line does: a flag shows no value placeholder,
an argument reads `SNAPSHOT` in the usage line, a value reads as what to write (`--as-of YYYY-MM-DD`), never
typer's `<bool>`, `<str>`, `<path>` or `{snapshot}`. The commands are walked from the app, not listed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from policy_engine.cli import build_app

TYPE_LABEL = re.compile(r"<[a-z][^<>]*>")
"""typer's own placeholders: `<bool>`, `<str>`, `<path>`, `<int range>`, `<csv|jsonl>`, `<list[str]>`."""
BRACED = re.compile(r"\{\w+\}")


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Each command of the app with the words that name it, the app itself first."""
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(typer.main.get_command(build_app())))


def _help(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(build_app(), [*path, "--help"], env={"COLUMNS": "300"})

    assert result.exit_code == 0, result.output
    return str(result.stdout)


def _row(text: str, opt: str) -> str:
    """What follows `opt` on its row of the options panel (box edges and the other spelling dropped)."""
    row = re.compile(rf"^│\s*\*?\s*{re.escape(opt)}(?![\w-])")
    line = next(line for line in text.splitlines() if row.search(line))
    return line.split(opt, 1)[1].rstrip(" │").strip()


def test_the_walk_finds_every_command() -> None:
    names = {path[-1] for path, _ in COMMANDS if path}

    assert {"evaluate", "check-order", "serve", "batch", "import", "history", "simulate"} <= names


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) or "credit-policy" for p, _ in COMMANDS])
def test_help_shows_no_placeholder_of_typer_and_none_after_a_flag(path: tuple[str, ...], command: Any) -> None:
    text = _help(path)
    usage = next(line for line in text.splitlines() if "Usage:" in line)
    ctx = command.make_context("credit-policy", [], resilient_parsing=True)

    assert TYPE_LABEL.findall(text) == [] and BRACED.findall(usage) == []
    for param in command.get_params(ctx):
        if param.param_type_name == "argument":
            assert param.name.upper() in usage
        elif param.is_flag:
            rest = _row(text, param.opts[0])
            for other in param.secondary_opts:
                rest = rest.removeprefix(other).strip()
            first_word = (param.help or "").split(" ", 1)[0]
            assert rest == "" or (first_word and rest.startswith(first_word)), f"{param.opts[0]} shows {rest!r}"


@pytest.mark.parametrize(("path", "opt", "placeholder"), [
    (("check-order",), "--as-of", "YYYY-MM-DD"),
    (("check-order",), "--amount", "DECIMAL"),
    (("check-order",), "--payment-term-days", "N"),
    (("evaluate",), "--db", "URL"),
    (("evaluate",), "--rules", "DIR"),
    (("serve",), "--port", "N"),
    (("import",), "--format", "[csv|jsonl]"),
])
def test_a_value_option_says_what_to_write(path: tuple[str, ...], opt: str, placeholder: str) -> None:
    text = _help(path)

    assert _row(text, opt).split()[0] == placeholder


def test_the_usage_line_names_arguments_in_capitals() -> None:
    text = _help(("import",))

    assert "import [OPTIONS] KIND FILE" in text
    assert "lint [OPTIONS] [RULES]" in _help(("lint",))


@pytest.mark.parametrize(("path", "command"), COMMANDS[1:], ids=[" ".join(p) for p, _ in COMMANDS[1:]])
def test_every_option_and_argument_says_what_it_is_for(path: tuple[str, ...], command: Any) -> None:
    ctx = command.make_context("credit-policy", [], resilient_parsing=True)

    silent = [param.name for param in command.get_params(ctx) if not getattr(param, "help", None)]

    assert silent == []


def test_the_report_options_name_the_three_files_a_report_is() -> None:
    """`batch --report-dir` said "HTML and CSV" while it writes the JSON figures too, as `report --out` says."""
    for path, opt in ((("batch",), "--report-dir"), (("report",), "--out")):
        row = _row(_help(path), opt)

        assert all(kind in row for kind in ("HTML", "CSV", "JSON")), f"{' '.join(path)} {opt}: {row!r}"


def test_import_help_names_every_extension_read_as_json_lines_and_where_rejects_go_by_default() -> None:
    """`import --help` said JSON lines were `.jsonl` (`.ndjson` and `.json` are read so too) and not where
    `--keep-going` writes the rejected rows when --rejects is not given."""
    from pathlib import Path

    from adapters.importers.reader import detect_format
    from policy_engine.cli.import_cmd import default_rejects

    text = _help(("import",))
    file_row = next(line for line in text.splitlines() if re.search(r"^│\s*\*\s*file\b", line))
    named = re.findall(r"\.[a-z]+\b", file_row + _row(text, "--format"))

    assert {".jsonl", ".ndjson", ".json"} <= set(named)
    assert all(detect_format(Path(f"rows{suffix}"), None) == "jsonl" for suffix in named)
    assert default_rejects(Path("invoices.csv")).name in _row(text, "--rejects")


def test_strict_names_the_thousands_point_warning_it_fails_on() -> None:
    """`lint --strict` and `test --strict` fail on a `thousands_point` warning (`floor: 1.000`; a case's
    `payment_term_days: 1.000`), which their help left out: it named percentages and statements only."""
    for path in (("lint",), ("test",)):
        row = _row(_help(path), "--strict")

        assert "1.000" in row, f"{' '.join(path)} --strict: {row!r}"
