"""A refused date says the same wherever it comes in: the command line (test_cli_option_values), a snapshot file, a
gRPC request, a rule test case (test_case_files), an imported row (test_store_import): the value, and what to
write where one can tell, or that the calendar has no such day."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.grpc import mapping
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from policy_engine.cli import build_app
from policy_engine.domain.errors import InvalidInput
from policy_engine.domain.values import NOT_A_DATE, NOT_A_DECIMAL

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SAID = {
    "2026/11/01": "not an ISO date (YYYY-MM-DD): '2026/11/01'; write 2026-11-01",
    "20261101": "not an ISO date (YYYY-MM-DD): '20261101'; write 2026-11-01",
    "2026-02-30": "no such day: '2026-02-30' (February 2026 has 28 days)",
    "2026-13-01": "no such day: '2026-13-01' (there is no month 13)",
    "22/11/2026": "not an ISO date (YYYY-MM-DD): '22/11/2026'; write 2026-11-22",  # 22 can only be the day
    "11/22/2026": "not an ISO date (YYYY-MM-DD): '11/22/2026'; write 2026-11-22",
    "01/11/2026": "not an ISO date (YYYY-MM-DD): '01/11/2026'; ambiguous (day or month first?): write 2026-11-01 "
                  "if the day comes first, 2026-01-11 if the month does",  # never one of the two guessed at
    "31/04/2026": "no such day: '31/04/2026' (April 2026 has 30 days)",
    # a timestamp, as serialisers write dates (was no hint): the day alone, and the zone's day where one is named
    "2026-11-22T00:00:00": "not an ISO date (YYYY-MM-DD): '2026-11-22T00:00:00'; write the date alone: 2026-11-22",
    "2026-11-22 10:30": "not an ISO date (YYYY-MM-DD): '2026-11-22 10:30'; write the date alone: 2026-11-22",
    "2026-11-21T16:00:00.000Z": "not an ISO date (YYYY-MM-DD): '2026-11-21T16:00:00.000Z'; write the date alone: "
                                "2026-11-21, the day in the business's time zone (this one is the day at UTC)",
    "2026-11-22T08:00:00+08:00": "not an ISO date (YYYY-MM-DD): '2026-11-22T08:00:00+08:00'; write the date alone: "
                                 "2026-11-22, the day in the business's time zone (this one is the day at +08:00)",
    "2026-02-30T00:00:00": "no such day: '2026-02-30T00:00:00' (February 2026 has 28 days)",
}


@pytest.mark.parametrize("command", [["evaluate"], ["check-order", "--amount", "1000"]])
@pytest.mark.parametrize("day", list(SAID))
def test_a_bad_date_in_a_snapshot_file_is_echoed_at_its_path_with_what_to_write(
    tmp_path: Path, command: list[str], day: str,
) -> None:
    """Was `snap.json: invoices[0].due_on: not an ISO date (YYYY-MM-DD)` for each: no value, no hint."""
    snapshot = json.loads((EXAMPLES / "past-due.json").read_text())
    snapshot["relationship_since"] = snapshot["invoices"][1]["due_on"] = day
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(snapshot))

    result = CliRunner().invoke(build_app(), [command[0], str(path), *command[1:]])

    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"{path}: relationship_since: {SAID[day]}\n{path}: invoices[1].due_on: {SAID[day]}\n"


def test_a_date_that_json_holds_as_a_number_is_echoed_as_written(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    path.write_text('{"customer_id": "C", "relationship_since": 20261101}')

    result = CliRunner().invoke(build_app(), ["evaluate", str(path)])

    assert result.stderr == f"{path}: relationship_since: not an ISO date (YYYY-MM-DD): 20261101; write 2026-11-01\n"


@pytest.mark.parametrize("command", [["evaluate"], ["check-order", "--amount", "1000"]])
def test_a_null_date_or_amount_in_a_snapshot_file_says_it_was_null_at_its_path(
    tmp_path: Path, command: list[str],
) -> None:
    """Was `invoices[0].issued_on: not an ISO date (YYYY-MM-DD)` and `invoices[0].amount: not a decimal such as …`:
    as if something had been written, with nothing echoed."""
    snapshot = json.loads((EXAMPLES / "past-due.json").read_text())
    snapshot["invoices"][0]["issued_on"] = snapshot["invoices"][0]["amount"] = snapshot["orders"][0]["amount"] = None
    snapshot["invoices"][1]["paid_amount"] = None  # not required (0 when left out), but null is no amount either
    snapshot["relationship_since"] = None  # may be null: no relationship yet
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(snapshot))

    result = CliRunner().invoke(build_app(), [command[0], str(path), *command[1:]])

    assert result.exit_code == 2 and result.stdout == ""
    null_day, null_amount = f"got null; write {NOT_A_DATE[4:]}", f"got null; write {NOT_A_DECIMAL[4:]}"
    assert result.stderr == (f"{path}: invoices[0].issued_on: {null_day}\n{path}: invoices[0].amount: {null_amount}\n"
                             f"{path}: invoices[1].paid_amount: {null_amount}\n"
                             f"{path}: orders[0].amount: {null_amount}\n")


def _violations(request: pb.EvaluateCustomerRequest | pb.CheckOrderRequest) -> dict[str, str]:
    check = mapping.evaluate_request if isinstance(request, pb.EvaluateCustomerRequest) else mapping.check_order_request
    with pytest.raises(InvalidInput) as refused:
        check(request)  # type: ignore[arg-type]
    return {v.field: v.description for v in refused.value.violations}


@pytest.mark.parametrize("day", list(SAID))
def test_a_bad_as_of_in_a_grpc_request_is_a_violation_echoing_it_with_what_to_write(day: str) -> None:
    """Was `as_of: not an ISO date (YYYY-MM-DD)`: the caller saw neither its value nor the form meant."""
    evaluate = pb.EvaluateCustomerRequest(customer_id="C1", as_of=day)
    check = pb.CheckOrderRequest(customer_id="C1", amount="10", as_of=day)

    assert _violations(evaluate) == _violations(check) == {"as_of": SAID[day]}


@pytest.mark.parametrize("day", list(SAID))
def test_a_bad_date_in_a_grpc_snapshot_keeps_its_path_and_says_what_to_write(day: str) -> None:
    invoice = pb.Invoice(invoice_id="I1", issued_on=day, due_on="2026-11-30", amount="10")
    snapshot = pb.CustomerSnapshot(customer_id="C1", relationship_since=day, invoices=[invoice],
                                   signals=[pb.Signal(code="bad_rumours", observed_on=day)])

    found = _violations(pb.EvaluateCustomerRequest(snapshot=snapshot, as_of="2026-11-22"))

    assert found == {"snapshot.relationship_since": SAID[day], "snapshot.invoices[0].issued_on": SAID[day],
                     "snapshot.signals[0].observed_on": SAID[day]}
