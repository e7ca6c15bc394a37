"""A date, an amount or a number given on the command line and refused: one `error:` line, for every command, naming
the option and the value, and what to write where one can tell; exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policy_engine.cli import build_app

SNAPSHOT = str(Path(__file__).resolve().parents[2] / "examples" / "past-due.json")
NOT_A_DECIMAL = 'not a decimal such as "125000.00": 1 to 16 digits, optionally "." and 1 to 6 more'
REQUIRED_DECIMAL = "required: " + NOT_A_DECIMAL.removeprefix("not ")


def _refused(tmp_path: Path, *args: str) -> str:
    """stderr of a run that must exit 2 and touch nothing (a store named by --db is never created)."""
    db = f"sqlite:///{tmp_path / 'store.sqlite'}"
    store_args = ["--db", db] if args[0] in {"batch", "queue", "demo-data", "simulate", "history", "import"} else []

    result = CliRunner().invoke(build_app(), [*args, *store_args])

    assert result.exit_code == 2, result.output
    assert not (tmp_path / "store.sqlite").exists()
    if args[0] == "batch":  # its stdout is a JSON summary however it ended, for the scheduler (docs/batch.md)
        assert json.loads(result.stdout) == {"status": "bad_input", "error": _one_error(result.stderr), "exit_code": 2}
    else:
        assert result.stdout == ""
    return str(result.stderr)


def _one_error(stderr: str) -> str:
    """What the one `error:` line says."""
    assert stderr.startswith("error: ") and stderr.count("\n") == 1, stderr
    return stderr.removeprefix("error: ").rstrip("\n")


@pytest.mark.parametrize(("args", "said"), [
    (["evaluate", SNAPSHOT, "--as-of", "2026/11/01"],
     "error: --as-of: not an ISO date (YYYY-MM-DD): '2026/11/01'; write 2026-11-01"),
    (["check-order", SNAPSHOT, "--amount", "5", "--as-of", "20261101"],
     "error: --as-of: not an ISO date (YYYY-MM-DD): '20261101'; write 2026-11-01"),
    (["evaluate", SNAPSHOT, "--as-of", "22/11/2026"],
     "error: --as-of: not an ISO date (YYYY-MM-DD): '22/11/2026'; write 2026-11-22\n"),
    (["evaluate", SNAPSHOT, "--as-of", "2026-02-30"], "error: --as-of: no such day: '2026-02-30' (February 2026 has "
                                                      "28 days)"),
    (["evaluate", SNAPSHOT, "--as-of", "2026-13-01"], "error: --as-of: no such day: '2026-13-01' (there is no "
                                                      "month 13)"),
    (["batch", "--as-of", "2026/11/01"], "error: --as-of: not an ISO date (YYYY-MM-DD): '2026/11/01'; write "
                                         "2026-11-01"),
    (["batch", "--as-of", "2026-W45-1"], "error: --as-of: not an ISO date (YYYY-MM-DD): '2026-W45-1'"),
    (["queue", "--date", "2026-02-29"], "error: --date: no such day: '2026-02-29' (February 2026 has 28 days)"),
    (["demo-data", "--as-of", "2026.11.01"], "error: --as-of: not an ISO date (YYYY-MM-DD): '2026.11.01'; write "
                                             "2026-11-01"),
    (["simulate", "--rules", "rules", "--as-of", "2026/11/1"], "error: --as-of: not an ISO date (YYYY-MM-DD): "
                                                               "'2026/11/1'; write 2026-11-01"),
])
def test_a_refused_date_option_echoes_the_value_and_says_what_to_write(
    tmp_path: Path, args: list[str], said: str,
) -> None:
    """Was `error: --as-of: not an ISO date (YYYY-MM-DD)` (evaluate, check-order: no value, no hint) or the value
    without a hint (batch, queue, demo-data, simulate, which also took `20261101` and `2026-W45-1` as days)."""
    assert said in _refused(tmp_path, *args)


@pytest.mark.parametrize(("args", "said"), [
    (["check-order", SNAPSHOT, "--amount", "1,000"],
     f"error: --amount: {NOT_A_DECIMAL}: '1,000'; write 1000, or 1.000 if the comma is a decimal point\n"),
    (["check-order", SNAPSHOT, "--amount", "¥1,500,000.50"],
     f"error: --amount: {NOT_A_DECIMAL}: '¥1,500,000.50'; write 1500000.50\n"),
    (["check-order", SNAPSHOT, "--amount", "1.000,50"],  # a decimal comma: its reading named as such (was no hint)
     f"error: --amount: {NOT_A_DECIMAL}: '1.000,50'; write 1000.50 if the comma is a decimal point\n"),
    (["check-order", SNAPSHOT, "--amount", "1000 CNY"], f"error: --amount: {NOT_A_DECIMAL}: '1000 CNY'; write 1000\n"),
    (["check-order", SNAPSHOT, "--amount", " 1000 "], f"error: --amount: {NOT_A_DECIMAL}: ' 1000 '; write 1000\n"),
    (["check-order", SNAPSHOT, "--amount", ""], f"error: --amount: {REQUIRED_DECIMAL}\n"),
    (["check-order", SNAPSHOT, "--amount", "-5"], "error: --amount: must not be negative: '-5'\n"),
    (["simulate", "--rules", "rules", "--order-amount", "1,000"],
     f"error: --order-amount: {NOT_A_DECIMAL}: '1,000'; write 1000, or 1.000 if the comma is a decimal point\n"),
    (["check-order", SNAPSHOT, "--amount", "5", "--payment-term-days", "3x"],
     "error: --payment-term-days: not a whole number: '3x'; write a whole number from 0 to 3650\n"),
    (["check-order", SNAPSHOT, "--amount", "5", "--payment-term-days", "1,000"],
     "error: --payment-term-days: not a whole number: '1,000'; write 1000\n"),
    (["check-order", SNAPSHOT, "--amount", "5", "--payment-term-days", "5000"],
     "error: --payment-term-days: out of range: '5000'; write a whole number from 0 to 3650\n"),
    (["simulate", "--rules", "rules", "--order-amount", "5", "--order-payment-term-days", "-1"],
     "error: --order-payment-term-days: out of range: '-1'; write a whole number from 0 to 3650\n"),
    (["batch", "--workers", "0"], "error: --workers: out of range: '0'; write a whole number from 1 to 256\n"),
    (["batch", "--partition", "3/2"], "error: --partition: out of range: '3/2'; write I/N with 0 <= I < N <= 4096, "
                                      "such as 0/2\n"),
    (["batch", "--partition", "1of2"], "error: --partition: not a part I/N: '1of2'; write I/N such as 0/4 (part 0 "
                                       "of 4)\n"),
    (["demo-data", "--customers", "1,000"], "error: --customers: not a whole number: '1,000'; write 1000\n"),
    (["history", "C1", "--last", "ten"], "error: --last: not a whole number: 'ten'; write a whole number from 1 to "
                                            "1000000000\n"),
    (["history", "C1", "--last", "9" * 25], f"error: --last: out of range: '{'9' * 25}'; write a whole number from 1 "
                                            "to 1000000000\n"),  # was SQLite's OverflowError, a traceback
    (["queue", "--limit", "9" * 25], f"error: --limit: out of range: '{'9' * 25}'; write a whole number from 0 to "
                                     "1000000000\n"),  # was islice's ValueError, a traceback
    (["simulate", "--rules", "rules", "--limit", "9" * 25], f"error: --limit: out of range: '{'9' * 25}'; write a "
                                                            "whole number from 0 to 1000000000\n"),
])
def test_a_refused_amount_or_number_option_echoes_the_value_and_says_what_to_write(
    tmp_path: Path, args: list[str], said: str,
) -> None:
    """`--amount 1,000` said only `error: --amount: not a decimal …`; `--payment-term-days 3x` printed click's boxed
    `Error` under the usage line: `Input should be a valid integer, unable to parse string as an integer`."""
    assert _refused(tmp_path, *args).endswith(said)


def test_other_usage_errors_are_one_error_line_too(tmp_path: Path) -> None:
    missing = _refused(tmp_path, "check-order", SNAPSHOT)
    misspelt = _refused(tmp_path, "check-order", SNAPSHOT, "--amout", "5")
    choice = _refused(tmp_path, "import", "customers.csv", "--format", "xml")

    assert missing.startswith("error: Missing option '--amount'; see '") and missing.endswith(" check-order --help'\n")
    assert misspelt.startswith("error: No such option: --amout") and "--amount" in misspelt
    assert choice == "error: --format: 'xml' is not one of 'csv', 'jsonl'\n"
    assert "Usage:" not in missing + misspelt + choice and "╭" not in missing + misspelt + choice


def test_a_stage_that_is_none_is_echoed_with_the_stages_there_are(tmp_path: Path) -> None:
    """`fields --stage custmer` said `error: --stage: one of customer, …`, without the value given."""
    said = _refused(tmp_path, "fields", "--stage", "custmer")

    assert said == "error: --stage: 'custmer' is not one of 'customer', 'invoice', 'rating', 'profile', 'order'\n"


QUEUE_CATEGORIES = "'urgent_review', 'hold', 'review_due', 'collection', 'follow_up', 'limit_action', 'give_up_review'"


@pytest.mark.parametrize(("given", "said"), [
    (["nope"], f"error: --category: 'nope' is not one of {QUEUE_CATEGORIES}\n"),
    (["zz", "hold", "[red]x"], f"error: --category: 'zz', '[red]x' are none of {QUEUE_CATEGORIES}\n"),
])
def test_a_queue_category_that_is_none_is_echoed_quoted_with_the_categories_there_are(
    tmp_path: Path, given: list[str], said: str,
) -> None:
    """`queue --category nope` said `unknown nope; expected …`: the value unquoted, unlike every other refusal."""
    args = [arg for category in given for arg in ("--category", category)]

    assert _refused(tmp_path, "queue", *args) == said


@pytest.mark.parametrize(("args", "said"), [
    (["serve", "--db", "memory", "--port", "5", "--metrics-port", "5"],
     "error: --metrics-port: 5 is --port too: give the metrics another port, or 0 to pick one\n"),
    (["serve", "--db", "memory", "--keepalive", "0.5"],
     "error: --keepalive: 0.5 is less than 1 second (or 0: gRPC's own two hours)\n"),
    (["serve", "--db", "memory", "--workers", "-1"], "error: --workers: give 0 or more worker processes\n"),
])
def test_a_value_serve_checks_itself_is_refused_in_the_form_of_every_other_option(
    tmp_path: Path, args: list[str], said: str,
) -> None:
    """serve's own checks said `error: Invalid value for --metrics-port: …; see 'credit-policy serve --help'`,
    unlike every other refusal of an option (`error: --workers: out of range: …`, README)."""
    assert _refused(tmp_path, *args) == said


@pytest.mark.parametrize(("args", "said"), [
    (["serve", "--db", "memory", "--grace", "abc"], "error: --grace: not a number: 'abc'\n"),
    (["simulate", "--rules", "rules", "--limit-cut-over", "20%"], "error: --limit-cut-over: not a number: '20%'\n"),
])
def test_a_number_option_given_no_number_is_echoed_in_the_form_of_the_others(
    tmp_path: Path, args: list[str], said: str,
) -> None:
    """It said pydantic's `Input should be a valid number, unable to parse string as a number: 'abc'`."""
    assert _refused(tmp_path, *args) == said
