"""A refused request costs about what its size does: no input makes validation quadratic or its error unbounded."""

from __future__ import annotations

import time

from adapters.grpc import mapping, pipeline
from adapters.grpc.errors import rich_status
from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from policy_engine.domain.errors import InvalidInput


def _refusal(request: pb.EvaluateCustomerRequest) -> tuple[InvalidInput, float]:
    started = time.perf_counter()
    try:
        mapping.evaluate_request(pipeline.parse_request("evaluate", request.SerializeToString()))
    except InvalidInput as exc:
        return exc, time.perf_counter() - started
    raise AssertionError("the request was accepted")


def test_many_tiny_bad_invoices_are_refused_in_linear_time() -> None:
    snapshot = pb.CustomerSnapshot(customer_id="C1")
    for _ in range(4000):  # ~44 KB on the wire, 16,000 refused fields; the quadratic check took ~40 s
        snapshot.invoices.add(invoice_id="", issued_on="x", due_on="y", amount="z")

    refused, seconds = _refusal(pb.EvaluateCustomerRequest(snapshot=snapshot))

    assert len(refused.violations) == 16_000
    assert seconds < 8
    assert len(rich_status(refused).details) < 1024


def test_an_amount_longer_than_money_is_written_gets_no_hint_so_it_is_not_searched() -> None:
    snapshot = pb.CustomerSnapshot(customer_id="C1")
    for text in ("1,000,000", " " * 100 + "1,000,000"):  # the second one's hint cost 4 regex passes over all of it
        snapshot.invoices.add(invoice_id=f"I{len(text)}", issued_on="2026-01-01", due_on="2026-02-01", amount=text)

    refused, _ = _refusal(pb.EvaluateCustomerRequest(snapshot=snapshot))

    described = {v.field: v.description for v in refused.violations}
    assert described["snapshot.invoices[0].amount"].endswith("; write 1000000")
    assert "; write" not in described["snapshot.invoices[1].amount"]

