"""A snapshot's lists counted on the wire, before protobuf builds their items: an empty invoice is 2 bytes
sent and ~140 bytes built, so 8 MiB of them took ~560 MiB of memory only to be refused for their number
(mapping.snapshot.oversized_lists). Walked only in a request big enough for that to matter, and only as far
as the first list past its bound: a valid request pays nothing below the threshold, ~10 ms above it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.grpc.mapping.snapshot import LIST_BOUNDS
from policy_engine.domain.bounds import too_many
from policy_engine.domain.errors import FieldViolation
from policy_engine.domain.violation_reasons import TOO_MANY

WALKED_FROM = 1 << 20
"""Request bytes from which the lists are counted first: below it a request builds at most ~70 MiB."""

_BOUNDS = {pb.CustomerSnapshot.DESCRIPTOR.fields_by_name[name].number: (name, bound) for name, bound in LIST_BOUNDS}
_MAX_FIELDS = sum(bound for _, bound in LIST_BOUNDS) + 1000
"""Fields a request may hold on the wire, its snapshot's included: every list full and room to spare for the
others (a walk no longer than ~20 ms, however many times a field is repeated)."""


def oversized_on_wire(message_type: Any, data: bytes) -> list[FieldViolation]:
    """The violation of the first snapshot list in `data` (a request of `message_type`) past its bound; [] when
    none is, when `data` is small, or when its bytes are not what they should be (the parser then says so)."""
    snapshot = message_type.DESCRIPTOR.fields_by_name.get("snapshot")
    if snapshot is None or len(data) < WALKED_FROM:
        return []
    try:
        return _first_oversized(_snapshot_items(data, snapshot.number))
    except IndexError:  # cut short, or a group: the parser refuses such bytes in its own words
        return []


def _first_oversized(items: Iterator[int]) -> list[FieldViolation]:
    counts = dict.fromkeys(_BOUNDS, 0)
    for walked, item in enumerate(items, 1):
        if walked > _MAX_FIELDS:
            return [FieldViolation("request", f"more than {_MAX_FIELDS} fields sent", TOO_MANY)]
        if item in counts:
            counts[item] += 1
            name, bound = _BOUNDS[item]
            if counts[item] > bound:
                return [FieldViolation(f"snapshot.{name}", f"{too_many(counts[item], bound)} or more", TOO_MANY)]
    return []


def _snapshot_items(data: bytes, snapshot_number: int) -> Iterator[int]:
    """The number of each field in each snapshot `data` holds (protobuf merges them all), and 0 for each other
    field of the request."""
    for number, start, end in _fields(data, 0, len(data)):
        if number != snapshot_number:
            yield 0
            continue
        yield from (item for item, _, _ in _fields(data, start, end))


def request_id_on_wire(data: bytes) -> str:
    """The `request_id` of a stream item's bytes as protobuf would read it (the last one sent), taken off the wire
    without building the rest; "" when it is not there, not UTF-8, or past the walk's bound."""
    number = pb.EvaluateCustomerRequest.DESCRIPTOR.fields_by_name["request_id"].number
    found = b""
    try:
        for walked, (field, start, end) in enumerate(_fields(data, 0, len(data)), 1):
            if walked > _MAX_FIELDS:
                return ""
            if field == number:
                found = data[start:end]
        return found.decode()
    except (IndexError, UnicodeDecodeError):
        return ""


def _fields(data: bytes, pos: int, end: int) -> Iterator[tuple[int, int, int]]:
    """(field number, start, end of its bytes) of each field in data[pos:end]; IndexError past `end` or at a group."""
    while pos < end:
        key, pos = _varint(data, pos, end)
        wire = key & 7
        if wire == 0:
            _, pos = _varint(data, pos, end)
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        elif wire == 2:
            size, pos = _varint(data, pos, end)
            pos += size
            if pos > end:
                raise IndexError(pos)
            yield key >> 3, pos - size, pos
            continue
        else:
            raise IndexError(pos)
        yield key >> 3, pos, pos


def _varint(data: bytes, pos: int, end: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= end or shift > 63:
            raise IndexError(pos)
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if byte < 0x80:
            return value, pos
