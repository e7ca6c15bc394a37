"""Who a failed call's log line names (adapters/grpc/call_end.py `caller_fields`): the caller's peer, and its
`x-request-id` only when it is at most 128 printable ASCII characters (anything else could forge log lines)."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.grpc.call_end import caller_fields, log_failure, log_unexpected, stream_item


class FakeContext:
    """The two things caller_fields reads of a grpc.aio ServicerContext."""

    def __init__(self, *metadata: tuple[str, Any]):
        self.metadata = metadata

    def peer(self) -> str:
        return "ipv4:10.0.0.7:54321"

    def invocation_metadata(self) -> tuple[tuple[str, Any], ...]:
        return self.metadata


def test_a_printable_request_id_is_named_beside_the_peer() -> None:
    fields = caller_fields(FakeContext(("user-agent", "grpc-python"), ("x-request-id", "req-1 / retry 2")))

    assert fields == {"peer": "ipv4:10.0.0.7:54321", "request_id": "req-1 / retry 2"}


def test_the_first_of_several_request_ids_is_named() -> None:
    assert caller_fields(FakeContext(("x-request-id", "a"), ("x-request-id", "b")))["request_id"] == "a"


@pytest.mark.parametrize("sent", ["", "x" * 129, "a\nlevel=error forged", "caf\u00e9", "tab\there", "del\x7f",
                                  b"bytes"], ids=["empty", "too-long", "newline", "non-ascii", "tab", "del", "bytes"])
def test_a_request_id_that_is_not_a_bounded_printable_id_is_left_out(sent: Any) -> None:
    assert caller_fields(FakeContext(("x-request-id", sent))) == {"peer": "ipv4:10.0.0.7:54321"}


def test_a_call_without_metadata_names_its_peer_only() -> None:
    assert caller_fields(FakeContext()) == {"peer": "ipv4:10.0.0.7:54321"}


def test_a_context_whose_metadata_cannot_be_read_names_what_it_can() -> None:
    class Ended(FakeContext):
        def invocation_metadata(self) -> Any:
            return None  # grpc.aio gives None when the call has none to give

    assert caller_fields(Ended()) == {"peer": "ipv4:10.0.0.7:54321"}


def test_an_unexpected_error_is_logged_with_its_traceback_and_its_caller(caplog: pytest.LogCaptureFixture) -> None:
    try:
        raise KeyError("bug")
    except KeyError:
        log_unexpected("CheckOrder", FakeContext(("x-request-id", "req-9")))

    record = caplog.records[-1]
    assert record.exc_info is not None and record.getMessage() == "unexpected error in CheckOrder"
    assert record.fields == {"peer": "ipv4:10.0.0.7:54321", "request_id": "req-9"}  # type: ignore[attr-defined]


def test_a_failed_stream_items_line_names_the_item_beside_the_streams_caller(caplog: pytest.LogCaptureFixture) -> None:
    from policy_engine.domain.errors import EngineFailure

    log_failure("EvaluateCustomers", "INTERNAL", EngineFailure("boom"), FakeContext(("x-request-id", "bulk-9")),
                item=stream_item(3, "item-42"))

    fields = caplog.records[-1].fields  # type: ignore[attr-defined]
    assert (fields["request_id"], fields["item_index"], fields["item_request_id"]) == ("bulk-9", 3, "item-42")


def test_an_unexpected_error_in_a_stream_item_names_the_item(caplog: pytest.LogCaptureFixture) -> None:
    try:
        raise KeyError("bug")
    except KeyError:
        log_unexpected("a stream item", FakeContext(), item=stream_item(0, "\u5ba2\u6237-7"))

    assert caplog.records[-1].fields == {  # type: ignore[attr-defined]
        "peer": "ipv4:10.0.0.7:54321", "item_index": 0, "item_request_id": "\u5ba2\u6237-7"}


@pytest.mark.parametrize("sent", ["", "x" * 65, "a\nlevel=error forged", "bidi\u202e", "nel\x85"],
                         ids=["empty", "too-long", "newline", "bidi", "nel"])
def test_an_items_request_id_the_reply_would_not_echo_is_left_out(sent: str) -> None:
    assert stream_item(5, sent) == {"item_index": 5}
