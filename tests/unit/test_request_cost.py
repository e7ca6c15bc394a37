"""A refused request costs about what its size does: no input makes validation quadratic or its error unbounded."""

from __future__ import annotations

import difflib
import time

import pytest

from adapters.grpc import mapping, pipeline
from adapters.grpc.errors import rich_status
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.grpc.wire_counts import WALKED_FROM
from policy_engine.domain.errors import FieldViolation, InvalidInput
from policy_engine.domain.models import SIGNAL_CODES
from policy_engine.domain.suggest import close_choices
from policy_engine.domain.values import MAX_INVOICES


def _refusal(request: pb.EvaluateCustomerRequest) -> tuple[InvalidInput, float]:
    started = time.perf_counter()
    try:
        mapping.evaluate_request(pipeline.parse_request("evaluate", request.SerializeToString()))
    except InvalidInput as exc:
        return exc, time.perf_counter() - started
    raise AssertionError("the request was accepted")


def test_many_tiny_bad_invoices_are_refused_in_linear_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each violation was compared with every one kept before it: 40,000 of them (10,000 bad invoices, 110 KB on
    the wire) took ~8 minutes of one CPU. Counted in comparisons, not seconds: a shared machine's speed moves."""
    snapshot = pb.CustomerSnapshot(customer_id="C1")
    for _ in range(1000):  # 4,000 refused fields
        snapshot.invoices.add(invoice_id="", issued_on="x", due_on="y", amount="z")
    compared = []
    equal = FieldViolation.__eq__
    monkeypatch.setattr(FieldViolation, "__eq__", lambda self, other: compared.append(1) or equal(self, other))

    refused, _ = _refusal(pb.EvaluateCustomerRequest(snapshot=snapshot))

    assert len(refused.violations) == 4_000
    assert len(compared) < 4 * 4_000  # a scan of those kept made ~8 million
    assert len(rich_status(refused).details) < 1024


def test_an_amount_longer_than_money_is_written_gets_no_hint_so_it_is_not_searched() -> None:
    snapshot = pb.CustomerSnapshot(customer_id="C1")
    for text in ("1,000,000", " " * 100 + "1,000,000"):  # the second one's hint cost 4 regex passes over all of it
        snapshot.invoices.add(invoice_id=f"I{len(text)}", issued_on="2026-01-01", due_on="2026-02-01", amount=text)

    refused, _ = _refusal(pb.EvaluateCustomerRequest(snapshot=snapshot))

    described = {v.field: v.description for v in refused.violations}
    assert described["snapshot.invoices[0].amount"].endswith("; write 1000000")
    assert "; write" not in described["snapshot.invoices[1].amount"]



def _empty_items_snapshot(field_name: str, count: int) -> bytes:
    """An EvaluateCustomerRequest whose snapshot holds `count` empty items of one list: 2 bytes each on the wire."""
    field = pb.CustomerSnapshot.DESCRIPTOR.fields_by_name[field_name].number
    snapshot = bytes([field << 3 | 2, 0]) * count
    tag = pb.EvaluateCustomerRequest.DESCRIPTOR.fields_by_name["snapshot"].number << 3 | 2
    return bytes([tag]) + _varint(len(snapshot)) + snapshot


def _varint(value: int) -> bytes:
    out = b""
    while value > 0x7F:
        out, value = out + bytes([value & 0x7F | 0x80]), value >> 7
    return out + bytes([value])


def test_a_list_past_its_bound_is_refused_before_protobuf_builds_its_items(monkeypatch: pytest.MonkeyPatch) -> None:
    """2 million empty invoices fit in 4 MiB and took ~280 MiB to build (~70 bytes of memory a byte sent) only to
    be refused for their number: they are counted on the wire first."""
    data = _empty_items_snapshot("invoices", 2_000_000)
    built = []
    monkeypatch.setattr(pb.EvaluateCustomerRequest, "FromString", lambda raw: built.append(raw))

    with pytest.raises(InvalidInput) as caught:
        pipeline.parse_request("evaluate", data)

    assert built == []
    [violation] = caught.value.violations
    assert (violation.field, violation.reason) == ("snapshot.invoices", "TOO_MANY")
    assert violation.description.startswith(f"at most {MAX_INVOICES} items")


def test_a_request_big_enough_to_be_counted_first_still_parses_when_its_lists_are_within_bounds() -> None:
    snapshot = pb.CustomerSnapshot(customer_id="C1")
    for i in range(MAX_INVOICES):
        snapshot.invoices.add(invoice_id=f"I{i:063d}", issued_on="2026-01-01", due_on="2026-02-01", amount="1000.00")
        snapshot.orders.add(order_id=f"O{i}", ordered_on="2026-01-01", amount="1.00")
    data = pb.EvaluateCustomerRequest(snapshot=snapshot).SerializeToString()
    assert len(data) >= WALKED_FROM

    message = pipeline.parse_request("evaluate", data)

    assert (len(message.snapshot.invoices), len(message.snapshot.orders)) == (MAX_INVOICES, MAX_INVOICES)


def test_a_big_request_of_one_field_sent_over_and_over_is_refused_without_walking_it_all() -> None:
    as_of = pb.EvaluateCustomerRequest.DESCRIPTOR.fields_by_name["as_of"].number
    data = bytes([as_of << 3 | 2, 0]) * 1_000_000

    with pytest.raises(InvalidInput) as caught:
        pipeline.parse_request("evaluate", data)

    [violation] = caught.value.violations
    assert (violation.field, violation.reason) == ("request", "TOO_MANY")


def test_a_stream_item_refused_for_its_lists_echoes_its_request_id_without_building_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The stream echoes a refused item's request_id, read from its bytes: parsed whole, the 2 million invoices
    the wire count spared were built after all, on the event loop."""
    request_id = pb.EvaluateCustomerRequest(request_id="r-1").SerializeToString()
    data = _empty_items_snapshot("invoices", 2_000_000) + request_id
    built = []
    monkeypatch.setattr(pb.EvaluateCustomerRequest, "FromString", lambda raw: built.append(raw))

    echoed = pipeline.echoed_request_id(data)

    assert (echoed, built) == ("r-1", [])


def test_a_refused_code_far_from_every_known_one_is_not_rated_in_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """A snapshot's 1,000 signals each rated against the 21 codes in full took ~0.75 s for 57 KB sent; difflib's
    cheap upper bounds rule out the codes that cannot reach the 0.6 a suggestion needs."""
    rated = []
    real_ratio = difflib.SequenceMatcher.ratio
    monkeypatch.setattr(difflib.SequenceMatcher, "ratio", lambda self: rated.append(1) or real_ratio(self))

    far, near = close_choices("zzzzzzzzzzzzzzzz", SIGNAL_CODES), close_choices("bank_acount_frozen", SIGNAL_CODES)

    assert (far, near) == ([], ["bank_account_frozen"])
    assert 0 < len(rated) < len(SIGNAL_CODES)
