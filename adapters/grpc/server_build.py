"""Build the gRPC server (`create_server`; its port in server_port.py): its options (message size, SO_REUSEPORT,
flow control, keepalive), the service, health and reflection registered. Run as a service by server.py."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.grpc.handlers import add_service
from adapters.grpc.health_watch import HealthService
from adapters.grpc.keepalive import Keepalive, keepalive_options
from adapters.grpc.metrics import CannotListen
from adapters.grpc.reflection import enable_reflection
from adapters.grpc.server_port import TlsFiles, add_port, bind_reason
from adapters.grpc.servicer import CreditPolicyServicer

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["CreditPolicyService"].full_name
MAX_MESSAGE_BYTES = 8 * 1024 * 1024
"""Largest request or response: a snapshot at its list bounds fits; anything bigger is refused."""
REUSE_PORT_CONNECTION_AGE_MS = 120_000
"""With SO_REUSEPORT (the `--processes` model) the kernel gives each connection to one process for its
whole life: after about this long (gRPC adds ±10% jitter) a connection is asked to go away (GOAWAY;
calls on it finish, however long) and the client reconnects, so a lopsided spread, or one left by a
replaced process, evens out."""


def add_reflection(server: grpc.aio.Server) -> None:
    """Register server reflection (v1 and v1alpha) so grpcurl works without the .proto."""
    enable_reflection((SERVICE_NAME, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name), server)


CONTROL_CALLS = 100
"""Calls gRPC takes beyond the servicer's max_in_flight and the open health Watch streams: health checks,
reflection, GetPolicy, and calls on their way to being refused."""


def create_server(
    address: str,
    servicer: CreditPolicyServicer,
    *,
    health_servicer: HealthService | None = None,
    tls: TlsFiles | None = None,
    max_message_bytes: int = MAX_MESSAGE_BYTES,
    reuse_port: bool = False,
    keepalive: Keepalive | None = None,
) -> tuple[grpc.aio.Server, int]:
    """A grpc.aio server bound to `address` (port 0 picks one); start it with `await server.start()`.

    SO_REUSEPORT stays off unless asked for (`reuse_port`, the `--processes` model, where the
    supervisor holds the port): otherwise a second server could silently share our port.
    `keepalive` None: gRPC's own (a quiet connection pinged after two hours). `health_servicer` None: one
    with the default bound on open Watch streams.
    """
    options = _server_options(max_message_bytes, reuse_port) + keepalive_options(keepalive)
    health_servicer = health_servicer or HealthService(servicer.metrics)
    # The servicer refuses decision calls past its own max_in_flight, the health service Watch streams past
    # its max_watches (each counted, logged, a message that names the flag); gRPC's limit, just above their
    # sum, is the backstop for everything else, and leaves room for health checks, reflection and GetPolicy
    # while both are at their limits. Before, the Watches counted against max_in_flight + 100: past 100 of
    # them (one per client connection) they took the decision calls' places and health checks were refused.
    limit = servicer.max_in_flight + health_servicer.max_watches + CONTROL_CALLS
    server = grpc.aio.server(options=options, maximum_concurrent_rpcs=limit)
    add_service(servicer, server)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    add_reflection(server)
    port, core_said = add_port(server, address, tls)
    if port == 0:
        raise CannotListen(f"cannot listen on {address}: {bind_reason(core_said, tls is not None)}")
    return server, port


def _server_options(max_message_bytes: int, reuse_port: bool) -> list[tuple[str, int]]:
    """The grpc.aio server's channel options: message size limits, SO_REUSEPORT, flow control."""
    options = [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
        ("grpc.so_reuseport", 1 if reuse_port else 0),
        # No BDP probing: each stream's and connection's receive window stays at gRPC's 64 KiB instead
        # of growing to megabytes, so a caller that streams requests and never reads the replies makes
        # the server hold ~64 KiB a stream, not ~4 MB (200 such streams: ~100 MB against ~930 MB).
        # On a LAN it changes nothing measurable; a big request over a long path takes more round trips.
        ("grpc.http2.bdp_probe", 0),
    ]
    if reuse_port:
        options.append(("grpc.max_connection_age_ms", REUSE_PORT_CONNECTION_AGE_MS))
    return options
