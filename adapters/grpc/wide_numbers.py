"""Request messages whose int32 fields read the whole number the caller sent.

An int32 and an int64 go on the wire alike (a varint), and protobuf reads a value too big for an int32 by
keeping its low 32 bits, as a C cast does: a `payment_term_days` of 4294967326 from a client whose stubs say
int64 (or one built by hand) read as 30, and was decided as 30 days without a word; 4294967295 read as -1 and
was refused as `at least 0, got -1`, a number the caller never sent. The service parses requests with
classes built from the contract's own descriptors with every int32 made an int64: the same parse in C, at the
same cost, and each bound check (`payment_term_days: at most 3650, got 4294967326`) sees the number sent. A
value that fits an int32 reads the same either way, a negative int32 included (it is sent sign-extended to
64 bits). The published contract stays int32: only the server reads wider.
"""

from __future__ import annotations

import functools
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, struct_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb


@functools.cache
def read_whole(message_type: Any) -> Any:
    """The class that parses `message_type` (one of credit_policy.v1's) with its int32 fields read as int64."""
    descriptor: Descriptor = message_type.DESCRIPTOR
    if not _has_int32(descriptor, set()):
        return message_type  # nothing to widen (GetPolicyRequest): the generated class itself
    return message_factory.GetMessageClass(_wide_pool().FindMessageTypeByName(descriptor.full_name))


def contract_field(field: FieldDescriptor) -> FieldDescriptor:
    """`field` as the contract declares it (an int32 where the widened class reads an int64)."""
    return pb.DESCRIPTOR.pool.FindFieldByName(field.full_name)


@functools.cache
def _wide_pool() -> descriptor_pool.DescriptorPool:
    """A pool of its own holding the contract's file with every int32 field made an int64 (and struct.proto,
    which it imports); built once per process, at the first request (~1 ms)."""
    pool = descriptor_pool.DescriptorPool()
    for file in (struct_pb2.DESCRIPTOR, pb.DESCRIPTOR):
        proto = descriptor_pb2.FileDescriptorProto()
        file.CopyToProto(proto)
        _widen(proto.message_type)
        pool.Add(proto)
    return pool


def _widen(messages: Any) -> None:
    for message in messages:
        for field in message.field:
            if field.type == FieldDescriptor.TYPE_INT32:
                field.type = FieldDescriptor.TYPE_INT64
        _widen(message.nested_type)


def _has_int32(descriptor: Descriptor, seen: set[str]) -> bool:
    """Whether `descriptor` or a message it holds has an int32 field."""
    seen.add(descriptor.full_name)
    return any(field.type == FieldDescriptor.TYPE_INT32
               or (field.message_type is not None and field.message_type.full_name not in seen
                   and _has_int32(field.message_type, seen))
               for field in descriptor.fields)
