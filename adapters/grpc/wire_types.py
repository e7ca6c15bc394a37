"""Fields a caller's stubs encode with another wire type than the contract's (an `as_of` declared as an
int32, an `amount` as a double). The protobuf parser keeps such a field aside as an unknown field, so the
request would read as if the field were not sent: a decision as of today, an amount "required". Here each
is named by its path instead; a field number the contract does not have (one added by a newer client)
is still ignored, as proto3 wants. So is a oneof sent with more than one of its members (`customer_id` and
`snapshot`): protobuf keeps the last on the wire and drops the others without a word, and the caller
would get a decision on a customer it may not have meant."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from google.protobuf import empty_pb2
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.unknown_fields import UnknownFieldSet

from adapters.grpc.wide_numbers import contract_field
from policy_engine.domain.errors import FieldViolation
from policy_engine.domain.violation_reasons import BOTH_SET, WRONG_WIRE_TYPE

_WIRE_TYPES = {0: "a varint (an integer, bool or enum)", 1: "a 64-bit value (a double or fixed64)",
               2: "a length-delimited value (a string, bytes or a message)", 3: "a group", 4: "a group",
               5: "a 32-bit value (a float or fixed32)"}

_TYPE_NAMES = {FieldDescriptor.TYPE_STRING: "a string", FieldDescriptor.TYPE_BOOL: "a bool",
               FieldDescriptor.TYPE_INT32: "an int32", FieldDescriptor.TYPE_INT64: "an int64"}

CONTRACT = "protos/credit_policy/v1/credit_policy.proto"


def wire_violations(message: Any, data: bytes) -> list[FieldViolation]:
    """Every field of `message`, parsed from `data`, that came with the wrong wire type, and each of its
    oneofs sent with more than one member (its unknown fields are dropped on the way: nothing downstream
    reads them).

    The common case costs one recursive pass in C: without unknown fields or a dropped oneof member a
    message re-encodes to as many bytes as it came in; only when it does not are the bytes parsed again and
    walked to tell which field."""
    message.DiscardUnknownFields()
    if message.ByteSize() == len(data):
        return []
    violations = _oneof_clashes(message, data)
    _walk(type(message).FromString(data), "", violations)
    return violations


def _oneof_clashes(message: Any, data: bytes) -> list[FieldViolation]:
    """A violation at each oneof of `message` (top level: only the requests have one) that `data` holds more
    than one member of, read as unknown fields of an empty message, so every number on the wire shows."""
    fields = cast(Iterable[Any], UnknownFieldSet(empty_pb2.Empty.FromString(data)))
    on_wire = {unknown.field_number for unknown in fields}
    clashes = []
    for oneof in message.DESCRIPTOR.oneofs:
        sent = [field.name for field in oneof.fields if field.number in on_wire]
        if len(sent) > 1:
            clashes.append(FieldViolation(oneof.name, f"{' and '.join(sent)} both sent: set only one", BOTH_SET))
    return clashes


def _walk(message: Any, path: str, out: list[FieldViolation]) -> None:
    """Append the mistyped fields of `message` and of the messages it holds, named from `path`."""
    by_number = message.DESCRIPTOR.fields_by_number
    for unknown in cast(Iterable[Any], UnknownFieldSet(message)):  # iterable; its stubs do not say so
        field = by_number.get(unknown.field_number)
        if field is not None:
            described = _description(message, field, unknown.wire_type)
            out.append(FieldViolation(path + field.name, described, WRONG_WIRE_TYPE))
    for field, value in message.ListFields():
        if field.type != FieldDescriptor.TYPE_MESSAGE or field.message_type.GetOptions().map_entry:
            continue
        if field.is_repeated:
            for index, item in enumerate(value):
                _walk(item, f"{path}{field.name}[{index}].", out)
        else:
            _walk(value, f"{path}{field.name}.", out)


def _description(message: Any, field: FieldDescriptor, wire_type: int) -> str:
    nested, declared = field.message_type, contract_field(field).type  # an int32, which the server reads wider
    expected = f"a {nested.full_name} message" if nested is not None else _TYPE_NAMES.get(declared, "another type")
    sent = _WIRE_TYPES.get(wire_type, f"wire type {wire_type}")
    return (f"sent as {sent}, but field {field.number} of {message.DESCRIPTOR.full_name} is {expected}: "
            f"build the client's stubs from {CONTRACT}")
