"""A minus sign on an amount that may not be negative is refused, "-0" and "-0.00" too, with the words of any other
negative amount, wherever it comes in: a gRPC request, a snapshot file, a rule test case, an imported row. Before,
-0 read as 0, against the contract's "a sign only where a value may be negative", and came back as "-0.00"."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.importers import run_import
from adapters.store import open_store
from policy_engine.cli import build_app
from policy_engine.domain.values import parse_decimal, parse_money
from tests.unit.test_refused_dates import EXAMPLES
from tests.unit.test_refused_dates import _violations as grpc_violations

SIGNED_ZEROS = ["-0", "-0.00", "-00.000000"]


@pytest.mark.parametrize("zero", SIGNED_ZEROS)
def test_a_signed_zero_is_refused_where_an_amount_may_not_be_negative_and_kept_where_it_may(zero: str) -> None:
    with pytest.raises(ValueError, match="^must not be negative$"):
        parse_money(zero)

    assert parse_decimal(zero) == 0  # equity, a profit: a sign is allowed


@pytest.mark.parametrize("zero", SIGNED_ZEROS)
def test_a_signed_zero_in_a_grpc_request_is_refused_at_its_path(zero: str) -> None:
    invoice = pb.Invoice(invoice_id="I1", issued_on="2026-10-01", due_on="2026-10-31", amount="10", paid_amount=zero)
    statement = pb.Financials(period_end="2025-12-31", cash=zero, net_profit=zero)
    snapshot = pb.CustomerSnapshot(customer_id="C1", invoices=[invoice], financials=[statement], current_limit=zero)

    found = grpc_violations(pb.EvaluateCustomerRequest(snapshot=snapshot))

    said = f"must not be negative: '{zero}'"
    assert found == {"snapshot.invoices[0].paid_amount": said, "snapshot.financials[0].cash": said,
                     "snapshot.current_limit": said}  # net_profit may be negative: -0 is 0 there


def test_a_signed_zero_in_a_snapshot_file_is_refused_at_its_path(tmp_path: Path) -> None:
    snapshot = json.loads((EXAMPLES / "past-due.json").read_text())
    snapshot["invoices"][1]["amount"] = "-0.00"
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(snapshot))

    result = CliRunner().invoke(build_app(), ["evaluate", str(path)])

    assert result.exit_code == 2
    assert result.stderr == f"{path}: invoices[1].amount: must not be negative: '-0.00'\n"


def test_a_signed_zero_in_a_rule_test_case_is_refused_at_its_line(rules_copy: Callable[..., Path]) -> None:
    rules = rules_copy()
    (rules / "tests" / "q.yaml").write_text(
        'cases:\n  - id: q\n    snapshot:\n      base: steady\n      current_limit: "-0"\n    expect: {grade: AA}\n')

    result = CliRunner().invoke(build_app(), ["test", str(rules)])

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "q.yaml:5:7: invalid_value: snapshot.current_limit: must not be negative: '-0'" in result.output


def test_a_signed_zero_in_an_imported_row_is_refused_at_its_line_and_field(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    customers = tmp_path / "customers.csv"
    customers.write_text("customer_id,name\nC1,Acme\n")
    invoices = tmp_path / "invoices.csv"
    invoices.write_text("invoice_id,customer_id,issued_on,due_on,amount,paid_amount\n"
                        "I1,C1,2026-01-05,2026-02-04,100.00,-0.00\n")

    assert run_import(store.engine, "customers", customers).committed
    report = run_import(store.engine, "invoices", invoices)

    assert [(p.line, p.field, p.message) for p in report.problems] == [
        (2, "paid_amount", "must not be negative: '-0.00'")]
    assert not report.committed
