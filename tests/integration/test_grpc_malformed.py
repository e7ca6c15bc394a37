# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""Malformed requests (bad decimals, bad dates, huge lists, unknown signals) generated with hypothesis:
always INVALID_ARGUMENT with a field violation naming the path; the server never crashes or hangs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from google.protobuf.message import DecodeError
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from policy_engine.domain.values import (
    MAX_FINANCIALS,
    MAX_INVOICES,
    MAX_ORDERS,
    MAX_SIGNALS,
    NOT_A_DECIMAL,
    SIGNAL_CODES,
    parse_decimal,
    parse_iso_date,
)
from tests.integration.conftest_grpc import (
    AS_OF,
    ServerProcess,
    grpc_server,  # noqa: F401  (fixtures: pytest finds them by name)
    sample_snapshot,
    server_factory,  # noqa: F401
)
from tests.integration.test_grpc_service import violations_of

Request = pb.CheckOrderRequest | pb.EvaluateCustomerRequest
Corruption = tuple[Callable[[Request], None], str]


def _rejected_by(parse: Callable[[Any], Any]) -> Callable[[str], bool]:
    def rejected(value: str) -> bool:
        try:
            parse(value)
        except ValueError:
            return True
        return False

    return rejected


bad_decimals = st.one_of(
    st.sampled_from(["abc", "1e5", "1,000.00", "NaN", "Infinity", "0x10", "1.2.3", "--1", "12.1234567",
                     "99999999999999999", "1_000", "½", " ", "+-0"]),
    st.text(min_size=1, max_size=24),
).filter(_rejected_by(parse_decimal))

bad_dates = st.one_of(
    st.sampled_from(["2026-02-30", "2026-13-01", "20261122", "22/11/2026", "1899-12-31", "2201-01-01",
                     "2026-1-1", "yesterday", "2026-11-22T00:00:00", "0000-00-00"]),
    st.text(min_size=1, max_size=12),
).filter(_rejected_by(parse_iso_date))

unknown_codes = st.text(max_size=30).filter(lambda c: c.strip() not in SIGNAL_CODES)

_CONTROL = [chr(c) for c in (*range(0x20), 0x7F)]
_LETTERS = st.text("ABCxyz019-", min_size=1, max_size=10)


def _with_control(allowed: str = "") -> st.SearchStrategy[str]:
    """Text with a control character inside (PostgreSQL would refuse a NUL in the decision log)."""
    return st.builds(lambda a, c, b: a + c + b, _LETTERS,
                     st.sampled_from([c for c in _CONTROL if c not in allowed]), _LETTERS)


def _set(*path: Any) -> Callable[[Any], Callable[[Request], None]]:
    """A setter of request.<path> (ints index repeated fields) to a drawn value."""

    def with_value(value: Any) -> Callable[[Request], None]:
        def apply(request: Request) -> None:
            target: Any = request
            for part in path[:-1]:
                target = target[part] if isinstance(part, int) else getattr(target, part)
            setattr(target, path[-1], value)

        return apply

    return with_value


def _path(*path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + part
    return out


@st.composite
def corruptions(draw: st.DrawFn, check_order: bool) -> Corruption:
    """One bad value put in one place, and the field path the server must name."""
    n_invoices, n_orders, n_financials = 24, 4, 2
    kind = draw(st.sampled_from(["decimal", "date", "signal", "huge", "control"]))
    if kind == "control":
        invoice = draw(st.integers(0, n_invoices - 1))
        ids = [("snapshot", "customer_id"), ("snapshot", "invoices", invoice, "invoice_id")]
        if check_order:
            ids.append(("order_id",))
        where = draw(st.sampled_from([*ids, ("snapshot", "name"), ("snapshot", "segment")]))
        value = draw(_with_control() if where in ids else _with_control(allowed="\t\n\r"))
        return _set(*where)(value), _path(*where)
    if kind == "decimal":
        places = [("snapshot", "invoices", draw(st.integers(0, n_invoices - 1)), f) for f in ("amount", "paid_amount")]
        places += [("snapshot", "orders", draw(st.integers(0, n_orders - 1)), "amount"),
                   ("snapshot", "financials", draw(st.integers(0, n_financials - 1)),
                    draw(st.sampled_from(["cash", "equity", "net_profit", "revenue"]))),
                   ("snapshot", "current_limit")]
        if check_order:
            places.append(("amount",))
        where = draw(st.sampled_from(places))
        return _set(*where)(draw(bad_decimals)), _path(*where)
    if kind == "date":
        places = [("snapshot", "invoices", draw(st.integers(0, n_invoices - 1)), f)
                  for f in ("issued_on", "due_on", "paid_on")]
        places += [("snapshot", "orders", draw(st.integers(0, n_orders - 1)), "ordered_on"),
                   ("snapshot", "financials", draw(st.integers(0, n_financials - 1)), "period_end"),
                   ("snapshot", "relationship_since"), ("snapshot", "last_review_on"),
                   ("snapshot", "assessment", "assessed_on"), ("as_of",)]
        where = draw(st.sampled_from(places))
        return _set(*where)(draw(bad_dates)), _path(*where)
    if kind == "signal":
        code = draw(unknown_codes)

        def add_signal(request: Request) -> None:
            request.snapshot.signals.add(code=code, observed_on="2026-11-01")

        return add_signal, "snapshot.signals[{last}].code"
    name, bound = draw(st.sampled_from([("invoices", MAX_INVOICES), ("orders", MAX_ORDERS),
                                        ("financials", MAX_FINANCIALS), ("signals", MAX_SIGNALS)]))
    extra = draw(st.integers(1, 40))

    def grow(request: Request) -> None:
        items = getattr(request.snapshot, name)
        for _ in range(bound + extra - len(items)):
            items.add()

    return grow, f"snapshot.{name}"


@st.composite
def malformed_requests(draw: st.DrawFn) -> tuple[Request, str]:
    """A CheckOrder or EvaluateCustomer request with exactly one bad field, and its path."""
    check_order = draw(st.booleans())
    snapshot = sample_snapshot(draw(st.integers(1, 5)))
    if check_order:
        request: Request = pb.CheckOrderRequest(snapshot=snapshot, amount="1000.00", as_of=AS_OF.isoformat())
    else:
        request = pb.EvaluateCustomerRequest(snapshot=snapshot, as_of=AS_OF.isoformat())
    corrupt, path = draw(corruptions(check_order))
    corrupt(request)
    return request, path.replace("{last}", str(len(request.snapshot.signals) - 1))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=malformed_requests())
def test_malformed_requests_are_invalid_argument_naming_the_path(grpc_server: ServerProcess, case: Any) -> None:
    request, path = case
    stub = grpc_server.stub()
    call = stub.CheckOrder if isinstance(request, pb.CheckOrderRequest) else stub.EvaluateCustomer

    try:
        call(request, timeout=10)
        raise AssertionError(f"accepted a malformed request (bad {path})")
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (path, error.code(), error.details())
        assert path in [field for field, _ in violations_of(error)], (path, violations_of(error))


@st.composite
def malformed_evaluations(draw: st.DrawFn) -> tuple[pb.EvaluateCustomerRequest, str]:
    """An EvaluateCustomer request with exactly one bad field, and its path."""
    request = pb.EvaluateCustomerRequest(snapshot=sample_snapshot(draw(st.integers(1, 5))), as_of=AS_OF.isoformat())
    corrupt, path = draw(corruptions(check_order=False))
    corrupt(request)
    return request, path.replace("{last}", str(len(request.snapshot.signals) - 1))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases=st.lists(malformed_evaluations(), min_size=1, max_size=4))
def test_malformed_stream_items_are_answered_with_invalid_argument_and_the_stream_goes_on(
    grpc_server: ServerProcess, cases: list[Any]
) -> None:
    good = pb.EvaluateCustomerRequest(snapshot=sample_snapshot(1), as_of=AS_OF.isoformat())
    requests = [request for request, _ in cases] + [good]

    responses = list(grpc_server.stub().EvaluateCustomers(iter(requests), timeout=30))

    assert len(responses) == len(requests)
    for (_, path), response in zip(cases, responses, strict=False):
        assert response.error.code == "INVALID_ARGUMENT", (path, response.error)
        assert path in [v.field for v in response.error.field_violations]
    assert responses[-1].WhichOneof("result") == "decision"


def test_a_value_outside_its_closed_set_says_at_its_path_which_one_was_meant(grpc_server: ServerProcess) -> None:
    snapshot = sample_snapshot(1)
    snapshot.size = "Medium"
    snapshot.signals.add(code="bank_acount_frozen", observed_on="2026-11-01")
    snapshot.signals.add(code="aliens_landed", observed_on="2026-11-01")
    last = len(snapshot.signals) - 1

    try:
        grpc_server.stub().EvaluateCustomer(pb.EvaluateCustomerRequest(snapshot=snapshot), timeout=10)
        raise AssertionError("accepted unknown values")
    except grpc.RpcError as error:
        found = dict(violations_of(error))

    assert found[f"snapshot.signals[{last - 1}].code"] == ("unknown signal code 'bank_acount_frozen'; "
                                                           "did you mean 'bank_account_frozen'?")
    assert found[f"snapshot.signals[{last}].code"] == ("unknown signal code 'aliens_landed'; expected one of: "
                                                       + ", ".join(SIGNAL_CODES))
    assert found["snapshot.size"] == "Input should be 'large', 'medium' or 'small'; did you mean 'medium'?"


def test_a_required_field_left_out_is_named_as_required(grpc_server: ServerProcess) -> None:
    snapshot = pb.CustomerSnapshot(invoices=[pb.Invoice(invoice_id="I1", due_on="2026-10-01", amount="10")])

    try:  # no amount, no customer_id in the snapshot, no issued_on: proto3 sends each as ""
        grpc_server.stub().CheckOrder(pb.CheckOrderRequest(snapshot=snapshot), timeout=10)
        raise AssertionError("accepted a request without its required fields")
    except grpc.RpcError as error:
        found = dict(violations_of(error))

    assert found == {
        "snapshot.customer_id": "required",
        "snapshot.invoices[0].issued_on": "required: an ISO date (YYYY-MM-DD)",
        "amount": 'required: a decimal such as "125000.00": 1 to 16 digits, optionally "." and 1 to 6 more',
    }


def test_a_bad_date_says_what_to_write_in_its_field_violation(grpc_server: ServerProcess) -> None:
    """`as_of` and snapshot dates said only `not an ISO date (YYYY-MM-DD)`, even for `2026-02-30`."""
    snapshot = sample_snapshot(1)
    snapshot.relationship_since = "2026-02-30"

    try:
        grpc_server.stub().EvaluateCustomer(pb.EvaluateCustomerRequest(snapshot=snapshot, as_of="2026/11/01"),
                                            timeout=10)
        raise AssertionError("accepted bad dates")
    except grpc.RpcError as error:
        code, found = error.code(), dict(violations_of(error))

    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert found == {"snapshot.relationship_since": "no such day: '2026-02-30' (February 2026 has 28 days)",
                     "as_of": "not an ISO date (YYYY-MM-DD): '2026/11/01'; write 2026-11-01"}


def test_a_bad_amount_says_what_was_sent_and_what_to_write_in_its_field_violation(grpc_server: ServerProcess) -> None:
    """Amounts said only `not a decimal such as "125000.00": …`: the caller saw neither its value nor the form meant."""
    snapshot = sample_snapshot(1)
    snapshot.invoices[0].amount = "1,000.00"

    try:
        grpc_server.stub().CheckOrder(pb.CheckOrderRequest(snapshot=snapshot, order_id="O1", amount="12.5%"),
                                      timeout=10)
        raise AssertionError("accepted bad amounts")
    except grpc.RpcError as error:
        code, found = error.code(), dict(violations_of(error))

    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert found == {"snapshot.invoices[0].amount": f"{NOT_A_DECIMAL}: '1,000.00'; write 1000.00",
                     "amount": f"{NOT_A_DECIMAL}: '12.5%'"}


def test_a_value_beyond_its_bound_says_the_bound_and_the_value_in_its_field_violation(
    grpc_server: ServerProcess,
) -> None:
    """`order_id` said pydantic's `String should have at most 64 characters`, `payment_term_days` its `Input
    should be less than or equal to 3650`, neither with the value; every bound reads alike now (all of them:
    tests/unit/test_refused_bounds.py)."""
    snapshot = sample_snapshot(1)
    snapshot.assessment.capital = 101

    try:
        grpc_server.stub().CheckOrder(pb.CheckOrderRequest(snapshot=snapshot, order_id="O" * 70, amount="10",
                                                           payment_term_days=5000), timeout=10)
        raise AssertionError("accepted values beyond their bounds")
    except grpc.RpcError as error:
        code, found = error.code(), dict(violations_of(error))

    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert found == {"snapshot.assessment.capital": "at most 100, got 101",
                     "order_id": f"at most 64 characters, got 70: '{'O' * 64}…'",
                     "payment_term_days": "at most 3650, got 5000"}


def test_after_the_malformed_requests_the_server_is_alive_and_healthy(grpc_server: ServerProcess) -> None:
    health = health_pb2_grpc.HealthStub(grpc_server.channel())

    reply = health.Check(health_pb2.HealthCheckRequest(), timeout=5)

    assert grpc_server.proc.poll() is None
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


# ---- bytes that are not a request message at all ----

def _not_a(message_type: Any) -> Callable[[bytes], bool]:
    def corrupt(data: bytes) -> bool:
        try:
            message_type.FromString(data)
        except DecodeError:
            return True
        return False

    return corrupt


corrupt_requests = st.one_of(st.just(b"\xff\xff\xff"), st.just(b"\x0a\x05abc"),  # bad tag; cut-off field
                             st.binary(min_size=1, max_size=64)).filter(_not_a(pb.CheckOrderRequest))
_METHOD = "/credit_policy.v1.CreditPolicyService/"


def _assert_corrupt_refused(server: ServerProcess, data: bytes, method: str, message_name: str) -> None:
    call = server.channel().unary_unary(_METHOD + method)  # bytes in, bytes out: nothing parsed here
    try:
        call(data, timeout=10)
        raise AssertionError(f"accepted corrupt bytes {data!r}")
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (data, error.code(), error.details())
        assert [(f, d.split(":")[0]) for f, d in violations_of(error)] == [
            ("request", f"not a valid credit_policy.v1.{message_name} message")]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=corrupt_requests)
def test_bytes_that_are_not_a_request_are_invalid_argument_in_the_worker_pool(grpc_server: ServerProcess,
                                                                              data: bytes) -> None:
    _assert_corrupt_refused(grpc_server, data, "CheckOrder", "CheckOrderRequest")
    if _not_a(pb.EvaluateCustomerRequest)(data):
        _assert_corrupt_refused(grpc_server, data, "EvaluateCustomer", "EvaluateCustomerRequest")


def test_bytes_that_are_not_a_request_are_invalid_argument_in_process_and_not_logged_as_errors(
    server_factory: Any,
) -> None:
    server: ServerProcess = server_factory("--watch-interval", "0", workers=0, name="corrupt-inproc")
    for data in (b"\xff\xff\xff", b"\x0a\x05abc"):
        _assert_corrupt_refused(server, data, "CheckOrder", "CheckOrderRequest")
        _assert_corrupt_refused(server, data, "EvaluateCustomer", "EvaluateCustomerRequest")
    good = server.stub().CheckOrder(pb.CheckOrderRequest(snapshot=sample_snapshot(2), order_id="SO-9", amount="10",
                                                         as_of=AS_OF.isoformat()), timeout=10)
    assert good.policy_version
    assert not [e for e in server.events() if e.get("level") == "error"]  # a client's garbage is not our error


def test_a_corrupt_stream_item_is_answered_with_invalid_argument_and_the_stream_goes_on(
    grpc_server: ServerProcess,
) -> None:
    good = pb.EvaluateCustomerRequest(snapshot=sample_snapshot(1), as_of=AS_OF.isoformat(), request_id="ok")
    stream = grpc_server.channel().stream_stream(_METHOD + "EvaluateCustomers",
                                                 response_deserializer=pb.EvaluateCustomersResponse.FromString)

    responses = list(stream(iter([b"\xff\xff\xff", good.SerializeToString()]), timeout=30))

    assert [r.index for r in responses] == [0, 1]
    assert responses[0].error.code == "INVALID_ARGUMENT"
    assert [v.field for v in responses[0].error.field_violations] == ["request"]
    assert responses[1].WhichOneof("result") == "decision" and responses[1].request_id == "ok"
