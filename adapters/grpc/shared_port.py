"""The `--processes` service's port: bound by the supervisor with SO_REUSEPORT and kept bound,
never listening, while server processes come and go (each listens on it with SO_REUSEPORT too).
"""

from __future__ import annotations

import errno
import os
import socket
from typing import Any

from adapters.grpc.runtime import CannotListen


def _bind_host(host: str) -> str | None:
    name = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    return name or None


def _socket_for(family: int, sockaddr: Any, *, reuse_port: bool) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    # SO_REUSEADDR as gRPC's own listeners have it: a port whose last server left connections in
    # TIME_WAIT (for about a minute) can be bound again; one that something listens on still cannot.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    if family == socket.AF_INET6 and sockaddr[0] == "::":
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)  # dual stack, as gRPC binds [::]
    return sock


def reserve_port(host: str, port: int) -> tuple[list[socket.socket], int]:
    """Bind `host:port` with SO_REUSEPORT (port 0: the kernel picks a free one) and keep it bound.

    The sockets never listen, so they take no connections; they keep the port ours while server
    processes come and go. A port something already listens on is refused: SO_REUSEPORT would
    otherwise let us share it with another server of the same user.
    """
    address = f"{host}:{port}"
    infos = _addresses(host, port, address)
    if port:
        _refuse_if_listened_on(infos, address)
    return _bind_all(infos, port, address)


def _addresses(host: str, port: int, address: str) -> list[tuple[int, Any]]:
    """The (family, socket address) pairs `host:port` binds, each once; CannotListen if the host does not resolve."""
    try:
        return list(dict.fromkeys((info[0], info[4][:2]) for info in socket.getaddrinfo(
            _bind_host(host), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)))
    except OSError as exc:  # socket.gaierror: a host name that does not resolve
        raise CannotListen(f"cannot listen on {address}: address lookup failed: {exc.strerror or exc}") from exc


def _refuse_if_listened_on(infos: list[tuple[int, Any]], address: str) -> None:
    """CannotListen if something already listens on the port: a bind without SO_REUSEPORT tells."""
    for family, sockaddr in infos:
        probe = _socket_for(family, sockaddr, reuse_port=False)
        try:
            probe.bind(sockaddr)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:  # the same words as a single server's (server_port.bind_reason)
                raise CannotListen(f"cannot listen on {address}: {os.strerror(exc.errno)}") from exc
        finally:
            probe.close()


def _bind_all(infos: list[tuple[int, Any]], port: int, address: str) -> tuple[list[socket.socket], int]:
    """Every address bound with SO_REUSEPORT on one port (the kernel's pick for the first if 0): the
    sockets and the port; CannotListen, with each address's error, if none could be bound."""
    sockets: list[socket.socket] = []
    errors: list[str] = []
    for family, sockaddr in infos:
        sock = _socket_for(family, sockaddr, reuse_port=True)
        try:
            sock.bind((sockaddr[0], port))
        except OSError as exc:
            sock.close()
            errors.append(f"{sockaddr[0]}: {exc}")
            continue
        port = sock.getsockname()[1]  # the rest of the addresses take the same port
        sockets.append(sock)
    if not sockets:
        raise CannotListen(f"cannot listen on {address}: {'; '.join(errors)}")
    return sockets, port
