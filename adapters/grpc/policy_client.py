"""A client of the running service's GetPolicy, connected as the README's client is (plaintext, TLS or mutual
TLS), every call under a deadline; a call that gets no answer is an Unreachable naming the address and what to
check, never a hang."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import grpc

    from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb

MAX_REPLY_BYTES = 8 * 1024 * 1024
"""The service's own bound (docs/service.md, "How big GetPolicy gets"): gRPC's default 4 MiB is too small for
the worst GetPolicy (~6 MB)."""

GET_POLICY = "/credit_policy.v1.CreditPolicyService/GetPolicy"
"""The method, as the generated stub names it."""

_RECONNECT_MS = 250
"""gRPC waits up to two minutes before it tries a refused address again; a wait for a restarted service asks
every half second or so."""


@dataclass(frozen=True)
class Target:
    """Where the service listens and how to speak to it: plaintext, TLS (`tls`, or a CA), mutual TLS (a key pair)."""

    host: str
    port: int
    tls: bool = False
    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None
    server_name: str | None = None

    @property
    def address(self) -> str:
        """host:port, an IPv6 address in brackets."""
        host = f"[{self.host}]" if ":" in self.host and not self.host.startswith("[") else self.host
        return f"{host}:{self.port}"

    @property
    def secure(self) -> bool:
        """True when the channel speaks TLS."""
        return self.tls or self.ca is not None or self.cert is not None


class Unreachable(Exception):
    """No answer from the service: `why` as gRPC said it, `check` what the caller may look at."""

    def __init__(self, target: Target, why: str, check: str):
        self.target, self.why, self.check = target, why, check
        super().__init__(f"{target.address}: {why}; {check}")


def open_channel(target: Target) -> grpc.Channel:
    """A channel to `target` with the service's reply bound and a short reconnect back-off."""
    import grpc

    options: list[tuple[str, Any]] = [
        ("grpc.max_receive_message_length", MAX_REPLY_BYTES),
        ("grpc.initial_reconnect_backoff_ms", _RECONNECT_MS),
        ("grpc.min_reconnect_backoff_ms", _RECONNECT_MS),
        ("grpc.max_reconnect_backoff_ms", 4 * _RECONNECT_MS),
        ("grpc.service_config", json.dumps({"methodConfig": []})),  # no retry policy: each poll is one call
    ]
    if not target.secure:
        return grpc.insecure_channel(target.address, options=options)
    if target.server_name:
        options.append(("grpc.ssl_target_name_override", target.server_name))
    credentials = grpc.ssl_channel_credentials(
        root_certificates=target.ca.read_bytes() if target.ca else None,  # None: the system's trusted CAs
        private_key=target.key.read_bytes() if target.key else None,
        certificate_chain=target.cert.read_bytes() if target.cert else None,
    )
    return grpc.secure_channel(target.address, credentials, options=options)


def get_policy(channel: grpc.Channel, target: Target, deadline_s: float, brief: bool = False) -> pb.PolicyInfo:
    """GetPolicy (without the files' text; `brief`: without any list) within `deadline_s` seconds, or raise
    Unreachable."""
    import grpc

    from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb

    call = channel.unary_unary(GET_POLICY, request_serializer=pb.GetPolicyRequest.SerializeToString,
                               response_deserializer=pb.PolicyInfo.FromString)
    try:
        reply: pb.PolicyInfo = call(pb.GetPolicyRequest(brief=brief), timeout=deadline_s)
    except grpc.RpcError as exc:
        code = exc.code() if callable(getattr(exc, "code", None)) else None
        details = exc.details() if callable(getattr(exc, "details", None)) else str(exc)
        raise unreachable(target, getattr(code, "name", "UNKNOWN"), str(details or ""), deadline_s) from None
    return reply


def unreachable(target: Target, code: str, details: str, deadline_s: float) -> Unreachable:
    """The Unreachable for a failed call: gRPC's words, and what to check for them."""
    if code == "DEADLINE_EXCEEDED":
        return Unreachable(target, f"no answer within {deadline_s:g} s", _SILENT)
    if code == "UNIMPLEMENTED":
        return Unreachable(target, f"UNIMPLEMENTED: {details}", "a gRPC server answers there, but not "
                           "credit_policy.v1.CreditPolicyService: check --port")
    if code != "UNAVAILABLE":
        return Unreachable(target, f"GetPolicy answered {code}: {details}", "see docs/service.md, Errors")
    why = details.removeprefix("failed to connect to all addresses; ").removeprefix("last error: ")
    return Unreachable(target, why, _unavailable(target, details))


_SILENT = ("something took the connection and did not answer it: a stopped or overloaded service, or not a gRPC "
           "service (a TLS one asked in plaintext?); check --host, --port and --tls*")


def _unavailable(target: Target, details: str) -> str:
    """What to check for an UNAVAILABLE, from gRPC's words (docs/service.md, Client examples, has them)."""
    words = details.lower()
    if "connection refused" in words:
        return ("nothing listens there: is `credit-policy serve` running on that host, on that --port? (its "
                "`serving` log line names the port)")
    if "timed out" in words or "settings frame" in words:  # no HTTP/2 answer to the connection within the deadline
        return _SILENT
    if "resolv" in words or "lookup" in words:
        return f"the name {target.host!r} does not resolve: check --host"
    if "handshake" in words or "verif" in words or "certificate" in words:
        return ("the TLS handshake failed: --tls-ca must be the CA that signed the service's certificate, the "
                "certificate must name --host (else give --tls-server-name), and --tls-cert/--tls-key must be this "
                "client's certificate and its key; a service without --tls-cert takes plaintext only (no --tls*)")
    if "socket closed" in words or "reset" in words:
        if not target.secure:
            return ("the service closed the connection: if it runs with --tls-cert, give --tls-ca (the CA that "
                    "signed its certificate)")
        if target.cert is None:
            return ("the service closed the connection: if it runs with --tls-client-ca (mutual TLS), give this "
                    "client's --tls-cert and --tls-key")
    return "check --host, --port and the --tls* options against the service's `serving` log line"
