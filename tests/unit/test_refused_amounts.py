"""A refused amount says the same wherever it comes in: the command line (test_cli_option_values), a snapshot file,
a gRPC request, a rule test case, an imported row (test_store_import), a stored row the portfolio pass reads
(test_batch_portfolio): the value, and what to write where one can tell."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from policy_engine.cli import build_app
from policy_engine.domain.values import NOT_A_DECIMAL, REQUIRED_DECIMAL
from tests.unit.test_refused_dates import EXAMPLES
from tests.unit.test_refused_dates import _violations as grpc_violations

SAID = {
    "1,000.00": f"{NOT_A_DECIMAL}: '1,000.00'; write 1000.00",
    "1,250,000": f"{NOT_A_DECIMAL}: '1,250,000'; write 1250000",
    # one comma before three digits: thousands, or a decimal comma (12,5 is 12.5): both readings are named
    "12,500": f"{NOT_A_DECIMAL}: '12,500'; write 12500, or 12.500 if the comma is a decimal point",
    "¥1,250": f"{NOT_A_DECIMAL}: '¥1,250'; write 1250, or 1.250 if the comma is a decimal point",
    "€1,000": f"{NOT_A_DECIMAL}: '€1,000'; write 1000, or 1.000 if the comma is a decimal point",
    "100000 CNY": f"{NOT_A_DECIMAL}: '100000 CNY'; write 100000",
    " 1000 ": f"{NOT_A_DECIMAL}: ' 1000 '; write 1000",
    "12.5%": f"{NOT_A_DECIMAL}: '12.5%'",  # no amount to derive: not guessed at
    # exponent form, as a float prints (Java's Double.toString: 1.25E7): written out exactly; was no hint
    "1e5": f"{NOT_A_DECIMAL}: '1e5'; write 100000",
    "1.25E7": f"{NOT_A_DECIMAL}: '1.25E7'; write 12500000",
    "1e+16": f"{NOT_A_DECIMAL}: '1e+16'",  # written out no amount (10^16): nothing to suggest
    # more places than an amount holds: said how many (the message's "1 to 6 more" left them counting), not rounded
    "12.1234567": f"{NOT_A_DECIMAL}: '12.1234567'; 7 decimal places, at most 6",
    "abc": f"{NOT_A_DECIMAL}: 'abc'",
    # a decimal comma, as much of Europe writes an amount: its one reading, named as such (was no hint)
    "1.000,50": f"{NOT_A_DECIMAL}: '1.000,50'; write 1000.50 if the comma is a decimal point",
    "1 000,50": f"{NOT_A_DECIMAL}: '1 000,50'; write 1000.50 if the comma is a decimal point",
    "1,5": f"{NOT_A_DECIMAL}: '1,5'; write 1.5 if the comma is a decimal point",
    "1.000.000": f"{NOT_A_DECIMAL}: '1.000.000'; write 1000000 if the points separate thousands",
    "1\u00a0000": f"{NOT_A_DECIMAL}: '1\\xa0000'; write 1000",  # a no-break space between the groups
    "5k": f"{NOT_A_DECIMAL}: '5k'; write 5000 (5k in full)",
    "5万": f"{NOT_A_DECIMAL}: '5万'; write 50000 (5万 in full)",
    "1,000,50": f"{NOT_A_DECIMAL}: '1,000,50'",  # neither thousands nor a decimal comma: nothing to suggest
    "-05": "must not be negative: '-05'",  # as sent, not as read (Decimal('-5'))
    "": REQUIRED_DECIMAL,
}
RulesCopy = Callable[..., Path]


@pytest.mark.parametrize("command", [["evaluate"], ["check-order", "--amount", "1000"]])
@pytest.mark.parametrize("amount", list(SAID))
def test_a_bad_amount_in_a_snapshot_file_is_echoed_at_its_path_with_what_to_write(
    tmp_path: Path, command: list[str], amount: str,
) -> None:
    """Was `snap.json: invoices[0].amount: not a decimal such as "125000.00": …` for each: no value, no hint."""
    snapshot = json.loads((EXAMPLES / "past-due.json").read_text())
    snapshot["invoices"][1]["amount"] = snapshot["orders"][0]["amount"] = amount
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(snapshot))

    result = CliRunner().invoke(build_app(), [command[0], str(path), *command[1:]])

    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"{path}: invoices[1].amount: {SAID[amount]}\n{path}: orders[0].amount: {SAID[amount]}\n"


@pytest.mark.parametrize("amount", list(SAID))
def test_a_bad_amount_in_a_grpc_request_keeps_its_path_and_says_what_to_write(amount: str) -> None:
    """Was `not a decimal such as "125000.00": …` alone: the caller saw neither its value nor what to send."""
    invoice = pb.Invoice(invoice_id="I1", issued_on="2026-10-01", due_on="2026-10-31", amount=amount)
    snapshot = pb.CustomerSnapshot(customer_id="C1", invoices=[invoice], current_limit=amount or "0")

    found = grpc_violations(pb.CheckOrderRequest(snapshot=snapshot, order_id="O1", amount=amount))

    assert found == {"snapshot.invoices[0].amount": SAID[amount], "amount": SAID[amount],
                     **({"snapshot.current_limit": SAID[amount]} if amount else {})}


def _test_case(rules: Path, case_file: str) -> Any:
    """`credit-policy test` on `rules` with `case_file` as its tests/q.yaml."""
    (rules / "tests" / "q.yaml").write_text(case_file)
    return CliRunner().invoke(build_app(), ["test", str(rules)])


def test_a_bad_amount_in_a_rule_test_case_is_echoed_with_what_to_write(rules_copy: RulesCopy) -> None:
    result = _test_case(rules_copy(), "cases:\n  - id: q\n    snapshot:\n      base: steady\n"
                        "      current_limit: \"¥350,000.00\"\n    order: {amount: \"1,000\"}\n"
                        "    expect: {grade: AA}\n")

    assert result.exit_code == 1 and "Traceback" not in result.output
    quoted = " (money in a case is a decimal string: in quotes)\n"  # unquoted, YAML reads 350000.00 as a float
    assert (f"q.yaml:5:7: invalid_value: snapshot.current_limit: {NOT_A_DECIMAL}: '¥350,000.00'; "
            f'write "350000.00"{quoted}' in result.output)
    assert (f"q.yaml:6:13: invalid_value: order.amount: {NOT_A_DECIMAL}: '1,000'; write \"1000\", or \"1.000\" "
            f"if the comma is a decimal point{quoted}" in result.output)


IN_QUOTES = " (money in a case is a decimal string: in quotes)"


@pytest.mark.parametrize(("limit", "said"), [
    ('"350,000.00"', f"{NOT_A_DECIMAL}: '350,000.00'; write \"350000.00\"{IN_QUOTES}"),
    ('"¥350,000"', f"{NOT_A_DECIMAL}: '¥350,000'; write \"350000\", or \"350.000\" if the comma is a decimal point"
                   f"{IN_QUOTES}"),
    ("null", f"got null; write {NOT_A_DECIMAL[4:]}"),
    ('"1.000,50"', f"{NOT_A_DECIMAL}: '1.000,50'; write \"1000.50\" if the comma is a decimal point{IN_QUOTES}"),
    ('"5万"', f"{NOT_A_DECIMAL}: '5万'; write \"50000\" (5万 in full){IN_QUOTES}"),
])
def test_an_expected_credit_limit_is_refused_as_an_input_amount_is(
    rules_copy: RulesCopy, limit: str, said: str,
) -> None:
    """Was `expect.credit_limit: a decimal amount, got '350,000.00'` (and `got None`), where `order.amount` says what
    to write."""
    rules = rules_copy()
    (rules / "tests" / "q.yaml").write_text(
        f"cases:\n  - id: q\n    snapshot: {{base: steady}}\n    expect:\n      credit_limit: {limit}\n")

    result = CliRunner().invoke(build_app(), ["test", str(rules)])

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"q.yaml:5:7: type_mismatch: expect.credit_limit: {said}\n" in result.output


def test_a_null_amount_in_a_rule_test_case_says_it_was_null(rules_copy: RulesCopy) -> None:
    """`order: {amount: null}` (or `amount:` left empty) said `order.amount: not a decimal such as …` alone."""
    rules = rules_copy()
    (rules / "tests" / "q.yaml").write_text(
        "cases:\n  - id: q\n    snapshot: {base: steady}\n    order:\n      amount:\n    expect: {grade: AA}\n")

    result = CliRunner().invoke(build_app(), ["test", str(rules)])

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"q.yaml:5:7: invalid_value: order.amount: got null; write {NOT_A_DECIMAL[4:]}\n" in result.output


def test_a_review_day_yaml_reads_as_a_number_says_how_to_write_it(rules_copy: RulesCopy) -> None:
    """`expect.next_review_on: 20261101` said `a text, got 20261101`, where `as_of: 20261101` says what to write."""
    rules = rules_copy()
    (rules / "tests" / "q.yaml").write_text("cases:\n  - id: q\n    snapshot: {base: steady}\n"
                                            "    expect: {grade: AA, next_review_on: 20261101}\n")

    result = CliRunner().invoke(build_app(), ["test", str(rules)])

    assert result.exit_code == 1 and "Traceback" not in result.output
    said = "q.yaml:4:25: type_mismatch: expect.next_review_on: a text, got 20261101; write 2026-11-01\n"
    assert said in result.output


@pytest.mark.parametrize(("limit", "read"), [("350000.00", "350000.0"), ("9999999999999999.99", "1e+16")])
def test_an_expected_credit_limit_with_a_point_unquoted_is_refused_showing_what_yaml_read(
    rules_copy: RulesCopy, limit: str, read: str,
) -> None:
    """`credit_limit: 350000.00` unquoted was taken as the float YAML reads, which can be another amount than the one
    written (9999999999999999.99 reads as 1e+16, and 10000000000000000 met it): refused, as a snapshot's is."""
    rules = rules_copy()

    result = _test_case(rules, f"cases:\n  - id: q\n    snapshot: {{base: steady}}\n    expect:\n"
                               f"      credit_limit: {limit}\n")

    assert result.exit_code == 1 and "Traceback" not in result.output
    said = next(line for line in result.output.splitlines() if line.startswith(f"{rules}/tests/q.yaml:5:7: "))
    assert said.startswith(f"{rules}/tests/q.yaml:5:7: type_mismatch: expect.credit_limit: ")
    assert f"YAML reads {read}" in said and "in quotes" in said
    assert f"FAIL q  ({rules}/tests/q.yaml:2)" in result.output


def test_whole_amounts_unquoted_in_a_case_are_read_exactly(rules_copy: RulesCopy) -> None:
    """A whole number is an integer to YAML, read digit for digit: `credit_limit: 350000` is "350000" written."""
    rules = rules_copy()

    result = _test_case(rules, "cases:\n  - id: q\n    snapshot: {base: steady, current_limit: 80000}\n"
                               "    expect:\n      credit_limit: 350000\n")

    assert result.exit_code == 0, result.output
    assert "ok   q  " in result.output and "q.yaml:" not in result.output.replace(f"{rules}/tests/q.yaml:2)", "")
