"""Server reflection in both protocols: grpc.reflection.v1 (newer clients ask for it first, some speak
only it) and grpc.reflection.v1alpha (what grpcio-reflection ships and older clients use)."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable

import grpc
from grpc_reflection.v1alpha import reflection as v1alpha
from grpc_reflection.v1alpha import reflection_pb2 as v1alpha_pb2

from adapters.grpc.gen.grpc.reflection.v1 import reflection_pb2 as v1_pb2
from adapters.grpc.gen.grpc.reflection.v1 import reflection_pb2_grpc as v1_pb2_grpc

V1_SERVICE_NAME = v1_pb2.DESCRIPTOR.services_by_name["ServerReflection"].full_name
V1ALPHA_SERVICE_NAME = v1alpha.SERVICE_NAME


class V1ReflectionServicer(v1_pb2_grpc.ServerReflectionServicer):
    """grpc.reflection.v1 answered by grpcio-reflection's own v1alpha servicer: the two protocols are the
    same messages with the same field numbers under another package, so each request and each answer
    crosses over as its wire bytes (protos/grpc/reflection/v1/reflection.proto)."""

    def __init__(self, service_names: Iterable[str]) -> None:
        self._v1alpha = v1alpha.aio.ReflectionServicer(tuple(service_names))

    async def ServerReflectionInfo(  # noqa: N802  (the generated servicer's method name)
        self, request_iterator: AsyncIterable[v1_pb2.ServerReflectionRequest], context: grpc.aio.ServicerContext[
            v1_pb2.ServerReflectionRequest, v1_pb2.ServerReflectionResponse]
    ) -> AsyncIterator[v1_pb2.ServerReflectionResponse]:
        """Each request as v1alpha to grpcio-reflection, each answer back as v1."""

        async def as_v1alpha() -> AsyncIterator[v1alpha_pb2.ServerReflectionRequest]:
            async for request in request_iterator:
                yield v1alpha_pb2.ServerReflectionRequest.FromString(request.SerializeToString())

        # An async generator; types-grpcio-reflection declares it a coroutine that returns one.
        answers: AsyncIterable[v1alpha_pb2.ServerReflectionResponse] = self._v1alpha.ServerReflectionInfo(
            as_v1alpha(), context)  # type: ignore[assignment]
        async for response in answers:
            yield v1_pb2.ServerReflectionResponse.FromString(response.SerializeToString())


def enable_reflection(service_names: Iterable[str], server: grpc.aio.Server) -> None:
    """Serve reflection in both protocols; each lists `service_names` and both reflection services."""
    names = (*service_names, V1_SERVICE_NAME, V1ALPHA_SERVICE_NAME)
    v1alpha.enable_server_reflection(names, server)
    v1_pb2_grpc.add_ServerReflectionServicer_to_server(V1ReflectionServicer(names), server)  # type: ignore[no-untyped-call]
