# ruff: noqa: F811  (test parameters named after the imported fixtures)
"""Server reflection in both protocols: v1 (grpcurl >= 1.8.8, grpcui, Postman, Kreya, Evans ask for it
first) and v1alpha (older clients), on the in-process model and under --processes."""

from __future__ import annotations

from collections.abc import Callable

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_reflection.v1alpha import reflection_pb2 as v1alpha_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from adapters.grpc.gen.grpc.reflection.v1 import reflection_pb2 as v1_pb2
from adapters.grpc.gen.grpc.reflection.v1 import reflection_pb2_grpc as v1_pb2_grpc
from tests.integration.conftest_grpc import (  # noqa: F401  (fixtures: pytest finds them by name)
    TIMEOUT,
    ServerProcess,
    grpc_server,
    server_factory,
)

SERVICE = "credit_policy.v1.CreditPolicyService"
LISTED = {SERVICE, "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
          "grpc.reflection.v1alpha.ServerReflection"}
METHODS = {"EvaluateCustomer", "CheckOrder", "EvaluateCustomers", "GetPolicy"}


def v1_answers(channel: grpc.Channel, *requests: v1_pb2.ServerReflectionRequest
               ) -> list[v1_pb2.ServerReflectionResponse]:  # fmt: skip
    """The v1 answers to `requests`, sent on one reflection stream as a v1 client does."""
    stub = v1_pb2_grpc.ServerReflectionStub(channel)
    return list(stub.ServerReflectionInfo(iter(requests), timeout=TIMEOUT))


def assert_v1_lists_and_describes_the_service(channel: grpc.Channel) -> None:
    listed, described = v1_answers(channel, v1_pb2.ServerReflectionRequest(list_services=""),
                                   v1_pb2.ServerReflectionRequest(file_containing_symbol=SERVICE))

    assert {s.name for s in listed.list_services_response.service} == LISTED
    pool = descriptor_pool.DescriptorPool()
    files = [descriptor_pb2.FileDescriptorProto.FromString(raw)
             for raw in described.file_descriptor_response.file_descriptor_proto]
    for file in sorted(files, key=lambda f: f.name != "google/protobuf/struct.proto"):  # dependencies first
        pool.Add(file)
    assert {m.name for m in pool.FindServiceByName(SERVICE).methods} == METHODS


def test_a_v1_client_lists_the_service_and_resolves_its_file_descriptor(grpc_server: ServerProcess) -> None:
    """Before, a v1 client got UNIMPLEMENTED: only v1alpha was served."""
    assert_v1_lists_and_describes_the_service(grpc_server.channel())


def test_v1_answers_an_unknown_symbol_with_not_found_and_the_stream_goes_on(grpc_server: ServerProcess) -> None:
    missing, listed = v1_answers(grpc_server.channel(),
                                 v1_pb2.ServerReflectionRequest(file_containing_symbol="no.such.Service"),
                                 v1_pb2.ServerReflectionRequest(list_services=""))

    assert missing.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]
    assert missing.original_request.file_containing_symbol == "no.such.Service"
    assert SERVICE in {s.name for s in listed.list_services_response.service}


def test_v1alpha_still_lists_every_service_and_describes_ours(grpc_server: ServerProcess) -> None:
    database = ProtoReflectionDescriptorDatabase(grpc_server.channel())

    services = set(database.get_services())
    service = descriptor_pool.DescriptorPool(database).FindServiceByName(SERVICE)

    assert services == LISTED
    assert {m.name for m in service.methods} == METHODS


def test_v1_is_served_by_every_process_under_processes(server_factory: Callable[..., ServerProcess]) -> None:
    server = server_factory(processes=2)

    for _ in range(4):  # fresh connections: the kernel spreads them over the processes
        assert_v1_lists_and_describes_the_service(server.channel())


def test_the_v1_protocol_is_v1alpha_under_another_package() -> None:
    """protos/grpc/reflection/v1/reflection.proto was written from v1alpha: the two must stay one protocol
    on the wire (the v1 servicer passes messages across as bytes)."""
    shapes = []
    for module, package in ((v1alpha_pb2, "grpc.reflection.v1alpha"), (v1_pb2, "grpc.reflection.v1")):
        file = descriptor_pb2.FileDescriptorProto()
        module.DESCRIPTOR.CopyToProto(file)
        assert file.package == package
        for field in ("name", "package", "options"):
            file.ClearField(field)
        shapes.append(str(file).replace(f".{package}.", ".PACKAGE."))

    assert shapes[0] == shapes[1]
