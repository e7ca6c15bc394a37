"""A field the caller's stubs encode with another wire type than the contract's is named, not dropped."""

from __future__ import annotations

import struct

import pytest

from adapters.grpc import mapping
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.grpc.pipeline import parse_message, parse_request
from policy_engine.domain.errors import InvalidInput

CUSTOMER = b"\x0a\x08C0000001"  # field 1, customer_id = "C0000001"


def _fields(error: pytest.ExceptionInfo[InvalidInput]) -> list[str]:
    return [v.field for v in error.value.violations]


def test_an_as_of_sent_as_a_number_is_invalid_argument_not_today() -> None:
    data = CUSTOMER + b"\x18\xea\xd8\xd4\x09"  # field 3 (as_of) as a varint: 20261226

    with pytest.raises(InvalidInput) as error:
        parse_request("evaluate", data)

    assert _fields(error) == ["as_of"]
    assert "varint" in error.value.violations[0].description
    assert "string" in error.value.violations[0].description


def test_an_amount_sent_as_a_double_names_the_amount_not_required() -> None:
    data = CUSTOMER + b"\x21" + struct.pack("<d", 50000.0)  # field 4 (amount) as a double: fixed64

    with pytest.raises(InvalidInput) as error:
        parse_request("check_order", data)

    assert _fields(error) == ["amount"]
    assert "64-bit" in error.value.violations[0].description


def test_an_order_currency_sent_as_a_number_is_named_not_the_customer_s_currency() -> None:
    data = CUSTOMER + b"\x22\x0510000" + b"\x38\xd2\x07"  # amount "10000"; field 7 (currency) as a varint: 978

    with pytest.raises(InvalidInput) as error:
        parse_request("check_order", data)

    assert _fields(error) == ["currency"]
    assert "field 7 of credit_policy.v1.CheckOrderRequest is a string" in error.value.violations[0].description


def test_a_mistyped_field_deep_in_the_snapshot_is_named_by_its_path() -> None:
    invoice = pb.Invoice(invoice_id="I1").SerializeToString() + b"\x20\x64"  # amount (4) as a varint
    snapshot = pb.CustomerSnapshot(customer_id="C1").SerializeToString()
    snapshot += b"\x3a" + bytes([len(invoice)]) + invoice  # invoices[0]
    snapshot += pb.CustomerSnapshot(invoices=[pb.Invoice(invoice_id="I2")],
                                    assessment=pb.Assessment(character=80)).SerializeToString()  # well typed
    data = b"\x12" + bytes([len(snapshot)]) + snapshot

    with pytest.raises(InvalidInput) as error:
        parse_request("evaluate", data)

    assert _fields(error) == ["snapshot.invoices[0].amount"]


def test_a_field_number_the_contract_does_not_have_is_ignored_for_newer_clients() -> None:
    data = CUSTOMER + b"\x98\x06\x01"  # field 99, varint: a field added after this server

    request = parse_request("evaluate", data)

    assert request.customer_id == "C0000001"


def test_a_get_policy_request_that_is_not_one_is_invalid_argument_at_request() -> None:
    with pytest.raises(InvalidInput) as error:
        parse_message(pb.GetPolicyRequest, b"\xff")

    assert _fields(error) == ["request"]
    assert error.value.violations[0].description.startswith("not a valid credit_policy.v1.GetPolicyRequest message")


SNAPSHOT = b"\x12" + bytes([len(s := pb.CustomerSnapshot(customer_id="C1").SerializeToString())]) + s


@pytest.mark.parametrize("data", [CUSTOMER + SNAPSHOT, SNAPSHOT + CUSTOMER], ids=["id first", "snapshot first"])
def test_a_customer_id_and_a_snapshot_both_sent_is_invalid_argument_at_customer(data: bytes) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_request("check_order", data)

    assert _fields(error) == ["customer"]
    assert "customer_id" in error.value.violations[0].description
    assert "snapshot" in error.value.violations[0].description


def test_a_customer_id_sent_twice_is_the_last_one_as_protobuf_reads_it() -> None:
    request = parse_request("evaluate", b"\x0a\x02C9" + CUSTOMER)

    assert request.customer_id == "C0000001"


def test_an_order_check_s_explain_sent_as_a_string_is_named_not_read_as_false() -> None:
    data = CUSTOMER + b"\x22\x0510000" + b"\x42\x04true"  # amount "10000"; field 8 (explain) as a string

    with pytest.raises(InvalidInput) as error:
        parse_request("check_order", data)

    assert _fields(error) == ["explain"]
    assert "field 8 of credit_policy.v1.CheckOrderRequest is a bool" in error.value.violations[0].description


def _varint(value: int) -> bytes:
    """`value` as a varint, as an int64 (or hand-built) client sends it: negatives as 64-bit two's complement."""
    value &= (1 << 64) - 1
    out = b""
    while value > 0x7F:
        out += bytes([value & 0x7F | 0x80])
        value >>= 7
    return out + bytes([value])


ORDER = CUSTOMER + b"\x22\x0510000"  # amount "10000"


def _order_refusal(data: bytes) -> list[str]:
    with pytest.raises(InvalidInput) as error:
        mapping.check_order_request(parse_request("check_order", data))
    return [str(v) for v in error.value.violations]


@pytest.mark.parametrize(("sent", "said"), [
    (2**32 + 30, "payment_term_days: at most 3650, got 4294967326"),  # its low 32 bits, 30, were decided on
    (2**32 - 1, "payment_term_days: at most 3650, got 4294967295"),  # read as -1: "at least 0, got -1"
    (2**32 + 2**28, "payment_term_days: at most 3650, got 4563402752"),  # re-encodes to as many bytes
    (-(2**32) - 1, "payment_term_days: at least 0, got -4294967297"),  # so does this one (as -1)
    (-5, "payment_term_days: at least 0, got -5"),  # an int32's negative, sent sign-extended: as before
], ids=["low bits in range", "low bits -1", "same size", "negative int64", "negative int32"])
def test_a_payment_term_too_big_for_an_int32_is_refused_with_the_number_sent(sent: int, said: str) -> None:
    assert _order_refusal(ORDER + b"\x28" + _varint(sent)) == [said]


def test_every_int32_field_of_a_snapshot_is_read_whole() -> None:
    invoice = pb.Invoice(invoice_id="I1", issued_on="2026-01-01", due_on="2026-02-01", amount="100")
    invoice_bytes = invoice.SerializeToString() + b"\x38" + _varint(2**32 + 30) + b"\x40" + _varint(2**32 + 1)
    assessment = b"".join(bytes([number << 3]) + _varint(2**32 + 50) for number in range(1, 6))
    snapshot = (pb.CustomerSnapshot(customer_id="C1").SerializeToString()
                + b"\x3a" + bytes([len(invoice_bytes)]) + invoice_bytes
                + b"\x5a" + bytes([len(assessment)]) + assessment)  # field 11: assessment
    data = b"\x12" + bytes([len(snapshot)]) + snapshot + b"\x22\x0510000"

    refused = _order_refusal(data)

    assert refused == ["snapshot.invoices[0].payment_term_days: at most 3650, got 4294967326",
                       "snapshot.invoices[0].due_date_changes: at most 1000, got 4294967297",
                       *(f"snapshot.assessment.{name}: at most 100, got 4294967346"
                         for name in ("character", "capacity", "capital", "collateral", "conditions"))]


def test_an_int32_field_sent_as_a_string_is_still_named_an_int32() -> None:
    data = ORDER + b"\x2a\x0230"  # field 5 (payment_term_days) as a string

    with pytest.raises(InvalidInput) as error:
        parse_request("check_order", data)

    assert "field 5 of credit_policy.v1.CheckOrderRequest is an int32" in error.value.violations[0].description
