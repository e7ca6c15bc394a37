"""The fast paths of the gRPC mapping and the money schema give exactly what the plain ways give."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from adapters.grpc import mapping
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.grpc.mapping import replies
from adapters.grpc.mapping import snapshot as snap
from policy_engine.api import Policy
from policy_engine.domain.amounts import refused_amount
from policy_engine.domain.errors import violations_from
from policy_engine.domain.models import CustomerDecision, CustomerSnapshot, OrderDecision, OrderRequest
from policy_engine.domain.value_schemas import Money, SignedMoney
from policy_engine.domain.values import parse_decimal, parse_money

AS_OF = date(2026, 11, 22)

# ---- money: the "decimal plain" shortcut accepts only what the full text branch accepts, with the same value ----

_EDGES = [
    "0", "00", "-0", "-0.00", "-00.000000", "0.000001", "-0.000001", "1", "-1", "12.5", "12.50", "12.1234567",
    "999999999999999", "999999999999999.999999", "-999999999999999.999999", "1000000000000000", "-1000000000000000",
    "0999999999999999", "0999999999999999.999999", "-0999999999999999.5", "0000000000000000", "1000000000000000.5",
    "9999999999999999", "00000000000000001", "1234567890123456", "01234567890123456", "+1", "1.", ".5", "1e3", "",
    " 1", "1 ", "１", "NaN",
]


class _Money(BaseModel):
    v: Money


class _Signed(BaseModel):
    v: SignedMoney


def _outcome(model: type[BaseModel], value: Any) -> tuple[str, str]:
    try:
        return "ok", repr(model.model_validate({"v": value}).v)  # type: ignore[attr-defined]
    except ValidationError as exc:
        return "error", "; ".join(str(v) for v in violations_from(exc))


def _reference(parse: Callable[[Any], Decimal], value: Any) -> tuple[str, str]:
    try:
        return "ok", repr(parse(value))
    except ValueError as exc:  # in the words every entry point gives a refused amount (value, hint)
        return "error", f"v: {refused_amount(value, str(exc))}"


@pytest.mark.parametrize("text", _EDGES)
def test_money_text_at_the_edges_is_judged_as_the_reference_parsers(text: str) -> None:
    assert _outcome(_Money, text) == _reference(parse_money, text)
    assert _outcome(_Signed, text) == _reference(parse_decimal, text)


# ---- proto → domain ----


def _full_snapshot() -> pb.CustomerSnapshot:
    """Every field of every message set, so snapshot_dict writes every key it knows."""
    return pb.CustomerSnapshot(
        customer_id="C1", name="Acme", size="large", segment="retail", relationship_since="2020-01-01",
        currency="CNY", last_contact_on="2026-11-01", last_review_on="2026-10-01", current_grade="A",
        current_limit="1000.00", value_class="B",
        invoices=[pb.Invoice(invoice_id="I1", issued_on="2026-01-01", due_on="2026-01-31", amount="10.00",
                             paid_amount="10.00", paid_on="2026-01-20", payment_term_days=0, due_date_changes=1)],
        orders=[pb.Order(order_id="O1", ordered_on="2026-11-01", amount="5.00", status="open")],
        financials=[pb.Financials(period_end="2025-12-31", **dict.fromkeys(snap._FINANCIAL_AMOUNTS, "1.00"))],
        signals=[pb.Signal(code="low_morale", observed_on="2026-11-01", note="n")],
        assessment=pb.Assessment(character=1, capacity=2, capital=3, collateral=4, conditions=5,
                                 assessed_on="2026-01-01"),
    )


def test_snapshot_dict_only_writes_the_models_own_keys() -> None:
    # check_order_request validates with extra="ignore" because of this: the default (forbid) must agree.
    data = mapping.snapshot_dict(_full_snapshot())

    assert CustomerSnapshot.model_validate(data) == CustomerSnapshot.model_validate(data, extra="ignore")
    assert data["invoices"][0]["payment_term_days"] == 0  # a 0 that was sent is kept, not defaulted


def test_the_value_class_travels_and_an_empty_one_means_not_computed() -> None:
    snapshot = _full_snapshot()
    known = CustomerSnapshot.model_validate(mapping.snapshot_dict(snapshot)).value_class
    snapshot.value_class = ""

    assert (known, CustomerSnapshot.model_validate(mapping.snapshot_dict(snapshot)).value_class) == ("B", "")


def test_an_absent_payment_term_takes_the_default() -> None:
    snapshot = _full_snapshot()
    snapshot.invoices[0].ClearField("payment_term_days")

    assert "payment_term_days" not in mapping.snapshot_dict(snapshot)["invoices"][0]


def test_unknown_fields_of_dict_callers_are_still_refused() -> None:
    data = mapping.snapshot_dict(_full_snapshot())
    data["invoices"][0]["colour"] = "red"

    with pytest.raises(ValidationError) as info:
        CustomerSnapshot.model_validate(data)

    assert [str(v) for v in violations_from(info.value)] == ["invoices[0].colour: unknown field"]


def test_empty_optional_scalars_of_dict_callers_still_mean_absent() -> None:
    snap = CustomerSnapshot.model_validate({"customer_id": "C", "relationship_since": "", "current_limit": "",
                                            "current_grade": "", "name": "N"})

    assert (snap.relationship_since, snap.current_limit, snap.current_grade, snap.name) == (None, None, None, "N")


# ---- domain → proto: the same bytes as the plain construction ----


def _plain_struct(struct: Any, values: dict[str, Any]) -> None:
    struct.update(replies._jsonable(values))


def _plain_decision(d: CustomerDecision, m: pb.CustomerDecision) -> None:
    """The straightforward construction the fast one must match byte for byte."""
    m.customer_id, m.policy_version, m.as_of = d.customer_id, d.policy_version, d.as_of.isoformat()
    m.score, m.grade, m.grade_class, m.value_class = float(d.score), d.grade, d.grade_class, d.value_class
    m.credit_limit, m.currency = format(d.credit_limit, "f"), d.currency
    m.limit_valid_until, m.exposure = d.limit_valid_until.isoformat(), format(d.exposure, "f")
    m.available_credit, m.next_review_on = format(d.available_credit, "f"), d.next_review_on.isoformat()
    for a in d.actions:
        m.actions.add(code=a.code, due_on=a.due_on.isoformat(), target_id=a.target_id, severity=a.severity,
                      rule_id=a.rule_id, message=a.message, gather=a.gather)
    for r in d.reasons:
        reason = m.reasons.add(rule_id=r.rule_id, code=r.code, message=r.message)
        if r.evidence:
            _plain_struct(reason.evidence, r.evidence)
    for t in d.trace:
        entry = m.trace.add(rule_id=t.rule_id, fired=t.fired, superseded_by=t.superseded_by, no_action=t.no_action)
        if t.inputs:
            _plain_struct(entry.inputs, t.inputs)


def _plain_order(d: OrderDecision) -> pb.OrderDecision:
    m = pb.OrderDecision(customer_id=d.customer_id, order_id=d.order_id, outcome=d.outcome,
                         available_credit_after=format(d.available_credit_after, "f"),
                         policy_version=d.customer.policy_version)
    for r in d.reasons:
        reason = m.reasons.add(rule_id=r.rule_id, code=r.code, message=r.message)
        if r.evidence:
            _plain_struct(reason.evidence, r.evidence)
    _plain_decision(d.customer, m.customer)
    return m


@pytest.mark.parametrize("name", ["bank-distress", "new-customer", "past-due", "steady-distributor"])
def test_replies_are_byte_for_byte_the_plain_construction(
    policy: Policy, example: Callable[[str], CustomerSnapshot], name: str
) -> None:
    snapshot = example(name)
    for explain in (False, True):
        decision = policy.evaluate(snapshot, as_of=AS_OF, explain=explain)
        plain = pb.CustomerDecision()
        _plain_decision(decision, plain)
        assert mapping.decision_message(decision).SerializeToString() == plain.SerializeToString()
        order = policy.check_order(snapshot, OrderRequest(amount=Decimal("80000")), as_of=AS_OF, explain=explain)
        assert mapping.order_decision_message(order).SerializeToString() == _plain_order(order).SerializeToString()


def test_a_trace_s_superseded_by_and_no_action_travel_in_the_reply(
    policy: Policy, example: Callable[[str], CustomerSnapshot]
) -> None:
    order = policy.check_order(example("past-due"), OrderRequest(amount=Decimal("1E+8")), as_of=AS_OF, explain=True)

    reply = mapping.order_decision_message(order)

    special = next(t for t in reply.customer.trace if t.rule_id == "order.special_approval")
    assert special.superseded_by == "order.hold_past_due"
    assert special.no_action.startswith("superseded by order.hold_past_due")
    assert reply.SerializeToString() == _plain_order(order).SerializeToString()


def test_evidence_of_every_kind_is_filled_as_struct_update_would() -> None:
    evidence = {"f": 1.5, "i": 3, "big": 2**70, "b": True, "s": "x", "d": Decimal("1E+3"), "z": Decimal("-0.10"),
                "day": date(2026, 1, 2), "none": None, "list": [1, Decimal("2.5")], "map": {"k": date(2026, 1, 1)}}
    fast, plain = pb.Reason(), pb.Reason()

    replies._fill_struct(fast.evidence, evidence)
    _plain_struct(plain.evidence, evidence)

    assert fast.SerializeToString() == plain.SerializeToString()


@pytest.mark.parametrize("text", ["0", "-0", "1E+3", "0E-8", "1E-7", "123.4500", "-0.000001", "1234567890123456.123456",
                                  "NaN", "-Infinity", "5E+2"])
def test_money_text_is_format_f(text: str) -> None:
    assert replies._money(Decimal(text)) == format(Decimal(text), "f")
