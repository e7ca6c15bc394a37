"""A value beyond its bound says the same wherever it comes in (a gRPC request, a snapshot file, `--order-id`), for
every bounded field: the bound, then what was sent, long text cut short (`at most 64 characters, got 70: 'C…'`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from typer.testing import CliRunner

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from policy_engine.cli import build_app
from tests.unit.test_refused_dates import EXAMPLES
from tests.unit.test_refused_dates import _violations as grpc_violations

LONG_ID, LONG_TEXT = "C" * 65, "n" * 201
ID_SAID = f"at most 64 characters, got 65: '{'C' * 64}…'"
TEXT_SAID = f"at most 200 characters, got 201: '{'n' * 64}…'"
ITEMS = {"invoices": {"invoice_id": "I1", "issued_on": "2026-10-01", "due_on": "2026-10-31", "amount": "10"},
         "orders": {"order_id": "O1", "ordered_on": "2026-10-01", "amount": "10"},
         "financials": {"period_end": "2025-12-31"},
         "signals": {"code": "bad_rumours", "observed_on": "2026-10-01"}}
SCORES = ("character", "capacity", "capital", "collateral", "conditions")

# (path in the snapshot, value sent, what the violation says); a list's value is how many items it holds.
SNAPSHOT_CASES: list[tuple[tuple[Any, ...], Any, str]] = [
    (("customer_id",), LONG_ID, ID_SAID),
    (("name",), LONG_TEXT, TEXT_SAID),
    (("segment",), LONG_TEXT, TEXT_SAID),
    (("invoices", 0, "invoice_id"), LONG_ID, ID_SAID),
    (("invoices", 0, "payment_term_days"), 3651, "at most 3650, got 3651"),
    (("invoices", 0, "payment_term_days"), -1, "at least 0, got -1"),
    (("invoices", 0, "due_date_changes"), 1001, "at most 1000, got 1001"),
    (("invoices", 0, "due_date_changes"), -3, "at least 0, got -3"),
    (("orders", 0, "order_id"), LONG_ID, ID_SAID),
    (("signals", 0, "note"), LONG_TEXT, TEXT_SAID),
    *[(("assessment", score), 101, "at most 100, got 101") for score in SCORES],
    (("assessment", "capital"), -1, "at least 0, got -1"),
    (("invoices",), 10_001, "at most 10000 items, got 10001"),
    (("orders",), 10_001, "at most 10000 items, got 10001"),
    (("financials",), 81, "at most 80 items, got 81"),
    (("signals",), 1_001, "at most 1000 items, got 1001"),
]


def _field(path: tuple[Any, ...]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".")


def _snapshot(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A valid snapshot (one item in each list, every score) but for `value` at `path`."""
    data: dict[str, Any] = {"customer_id": "C1", **{name: [dict(item)] for name, item in ITEMS.items()},
                            "assessment": dict.fromkeys(SCORES, 50)}
    if len(path) == 1 and path[0] in ITEMS:
        data[path[0]] = [dict(ITEMS[path[0]], **_unique(path[0], i)) for i in range(value)]
        return data
    place: Any = data
    for part in path[:-1]:
        place = place[part]
    place[path[-1]] = value
    return data


def _unique(name: str, index: int) -> dict[str, str]:
    key = {"invoices": "invoice_id", "orders": "order_id"}.get(name)
    return {key: f"X{index}"} if key else {}


@pytest.mark.parametrize(("path", "value", "said"), SNAPSHOT_CASES,
                         ids=[_field(path) for path, _, _ in SNAPSHOT_CASES])
def test_a_bounded_field_of_a_snapshot_file_beyond_its_bound_says_the_same(
    tmp_path: Path, path: tuple[Any, ...], value: Any, said: str,
) -> None:
    """A list over its bound said `List should have at most 80 items after validation, not 81` there."""
    file = tmp_path / "snap.json"
    file.write_text(json.dumps(_snapshot(path, value)))

    result = CliRunner().invoke(build_app(), ["evaluate", str(file)])

    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"{file}: {_field(path)}: {said}\n"


Request = pb.EvaluateCustomerRequest | pb.CheckOrderRequest
REQUEST_CASES: list[tuple[dict[str, Any], str, str]] = [  # (the request's fields, the field refused, its violation)
    ({"customer_id": LONG_ID}, "customer_id", ID_SAID),
    ({"customer_id": "C1", "request_id": LONG_ID}, "request_id", ID_SAID),
    ({"customer_id": "C1", "amount": "10", "order_id": LONG_ID}, "order_id", ID_SAID),
    ({"customer_id": "C1", "amount": "10", "payment_term_days": 3651}, "payment_term_days", "at most 3650, got 3651"),
    ({"customer_id": "C1", "amount": "10", "payment_term_days": -30}, "payment_term_days", "at least 0, got -30"),
    *[({"snapshot": (path, value)}, f"snapshot.{_field(path)}", said) for path, value, said in SNAPSHOT_CASES],
]


def _request(fields: dict[str, Any]) -> Request:
    """A CheckOrderRequest when `fields` has an amount, else an EvaluateCustomerRequest (with request_id)."""
    if "snapshot" in fields:
        return pb.EvaluateCustomerRequest(snapshot=json_format.ParseDict(_snapshot(*fields["snapshot"]),
                                                                         pb.CustomerSnapshot()))
    return (pb.CheckOrderRequest if "amount" in fields else pb.EvaluateCustomerRequest)(**fields)


@pytest.mark.parametrize(("fields", "field", "said"), REQUEST_CASES,
                         ids=[field for _, field, _ in REQUEST_CASES])
def test_a_request_field_beyond_its_bound_says_the_bound_and_the_value_sent(
    fields: dict[str, Any], field: str, said: str,
) -> None:
    """`customer_id` said `longer than 64 characters`, `order_id` pydantic's `String should have at most 64
    characters`, term days and scores `Input should be less than or equal to 3650`: no value, other words."""
    request = _request(fields)

    found = grpc_violations(request)

    assert found == {field: said}


def test_an_order_id_option_beyond_its_bound_is_echoed_once() -> None:
    result = CliRunner().invoke(build_app(), ["check-order", str(EXAMPLES / "past-due.json"), "--amount", "5",
                                              "--order-id", LONG_ID])

    assert result.exit_code == 2
    assert result.stderr == f"error: --order-id: {ID_SAID}\n"
