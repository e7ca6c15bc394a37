"""An order's currency: empty is the customer's; another than the customer's, or a malformed code, is refused."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from adapters.grpc import mapping
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from policy_engine.api import load_policy
from policy_engine.cli import build_app
from policy_engine.domain.errors import InvalidInput, violations_from
from policy_engine.domain.models import CustomerSnapshot, OrderRequest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
AS_OF = date(2026, 11, 22)
SNAPSHOT = CustomerSnapshot(customer_id="C0000001", currency="CNY")


@pytest.fixture(scope="module")
def policy():  # type: ignore[no-untyped-def]
    return load_policy()


def _fields(exc: InvalidInput) -> dict[str, str]:
    return {v.field: v.description for v in exc.violations}


# ---- the domain's OrderRequest ----

@pytest.mark.parametrize("given, kept", [({}, None), ({"currency": ""}, None), ({"currency": "EUR"}, "EUR")])
def test_an_order_s_currency_is_optional_and_empty_means_none(given: dict[str, str], kept: str | None) -> None:
    assert OrderRequest.model_validate({"amount": "10000", **given}).currency == kept


@pytest.mark.parametrize("code, hint", [("eur", "did you mean 'EUR'?"), ("RMB", "did you mean 'CNY'?"),
                                        ("EURO", "ISO 4217"), ("EUD", "ISO 4217")])
def test_a_malformed_order_currency_is_refused_at_currency(code: str, hint: str) -> None:
    with pytest.raises(ValidationError) as error:
        OrderRequest.model_validate({"amount": "10000", "currency": code})

    [violation] = violations_from(error.value)
    assert violation.field == "currency" and hint in violation.description


# ---- the gRPC mapping ----

def test_the_mapping_passes_the_request_s_currency_to_the_order() -> None:
    _, order, _ = mapping.check_order_request(pb.CheckOrderRequest(customer_id="C0000001", amount="1", currency="EUR"))

    assert order.currency == "EUR"


def test_the_mapping_leaves_an_empty_currency_as_the_customer_s() -> None:
    _, order, _ = mapping.check_order_request(pb.CheckOrderRequest(customer_id="C0000001", amount="1"))

    assert order.currency is None


def test_the_mapping_refuses_a_malformed_currency_with_the_other_bad_fields() -> None:
    request = pb.CheckOrderRequest(customer_id="C0000001", amount="", currency="eur", as_of="2026/11/22")

    with pytest.raises(InvalidInput) as error:
        mapping.check_order_request(request)

    assert set(_fields(error.value)) == {"currency", "amount", "as_of"}
    assert "did you mean 'EUR'?" in _fields(error.value)["currency"]
    assert {v.field: v.reason for v in error.value.violations}["currency"] == "UNKNOWN_VALUE"


# ---- the library: Policy.check_order ----

def test_an_order_in_another_currency_than_the_customer_s_is_refused_naming_both(policy) -> None:  # type: ignore[no-untyped-def]
    order = OrderRequest(amount=Decimal(10000), currency="EUR")

    with pytest.raises(InvalidInput) as error:
        policy.check_order(SNAPSHOT, order, as_of=AS_OF)

    assert list(_fields(error.value)) == ["currency"]
    description = _fields(error.value)["currency"]
    assert "order in EUR" in description and "customer C0000001 is in CNY" in description
    assert [v.reason for v in error.value.violations] == ["INCONSISTENT"]  # a program tells it from a bad code


@pytest.mark.parametrize("currency", [None, "CNY"])
def test_an_order_in_the_customer_s_currency_or_none_is_decided(policy, currency: str | None) -> None:  # type: ignore[no-untyped-def]
    order = OrderRequest(amount=Decimal(10000), currency=currency)

    decision = policy.check_order(SNAPSHOT, order, as_of=AS_OF)

    assert decision.outcome and decision.customer.currency == "CNY"


# ---- the command line: check-order --currency ----

def _check_order(*extra: str) -> object:
    args = ["check-order", str(EXAMPLES / "past-due.json"), "--amount", "1000", "--as-of", "2026-11-22", *extra]
    return CliRunner().invoke(build_app(), args)


def test_check_order_refuses_a_currency_other_than_the_snapshot_s() -> None:
    result = _check_order("--currency", "EUR")

    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "--currency: order in EUR, customer C-PAST-DUE is in CNY" in result.output  # type: ignore[attr-defined]


def test_check_order_refuses_a_malformed_currency_at_the_option() -> None:
    result = _check_order("--currency", "eur")

    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "--currency: not an ISO 4217" in result.output  # type: ignore[attr-defined]
    assert "'eur'; did you mean 'EUR'?" in result.output  # type: ignore[attr-defined]


def test_check_order_in_the_snapshot_s_currency_is_decided() -> None:
    result = _check_order("--currency", "CNY")

    assert result.exit_code == 0  # type: ignore[attr-defined]
    assert json.loads(result.output)["outcome"] == "HOLD"  # type: ignore[attr-defined]


# ---- the decision log ----

@pytest.mark.parametrize("currency, logged", [(None, {}), ("CNY", {"currency": "CNY"})])
def test_the_decision_log_keeps_an_order_without_a_currency_as_an_older_build_reads_it(
        policy, currency: str | None, logged: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    from adapters.store.audit import log_row

    order = OrderRequest(amount=Decimal(10000), currency=currency)
    decision = policy.check_order(SNAPSHOT, order, as_of=AS_OF)

    row = log_row(SNAPSHOT, decision.customer, source="service", order=decision, order_request=order)

    assert json.loads(row["order_request_json"]) == {"order_id": "new-order", "amount": "10000",
                                                     "payment_term_days": 30, **logged}
    assert OrderRequest.model_validate_json(row["order_request_json"]) == order
