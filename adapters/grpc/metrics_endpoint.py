"""The /metrics HTTP endpoint: prometheus_client's WSGI app behind a server that bounds what one caller may hold.

prometheus_client's own `start_http_server` starts a thread per connection and never times one out: a caller
that opened connections and sent nothing held a thread and a file descriptor each for as long as it liked. The
endpoint takes no authentication and listens on every IPv4 interface by default, and the descriptors are the
serving process's: 400 idle connections under a 400-file limit made every policy reload fail with `Too many
open files` (measured), and at the limit new gRPC connections and store files cannot be opened either."""

from __future__ import annotations

import socket
import threading
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app

from adapters.grpc.runtime import CannotListen

MAX_CONNECTIONS = 32
"""Connections served at once; one past it is closed as soon as it is accepted. A Prometheus server scrapes over
one connection at a time (each closed after its answer: HTTP/1.0), so 32 leave room for several scrapers and a
person with curl."""
CONNECTION_TIMEOUT_S = 5.0
"""Seconds a connection may keep silent while its request is read or its answer written; then it is closed. An
answer takes milliseconds, and a scrape's own timeout is 10 s by default."""


class _Handler(WSGIRequestHandler):
    """One connection: a socket timeout of CONNECTION_TIMEOUT_S (StreamRequestHandler sets `timeout` on it)."""

    timeout = CONNECTION_TIMEOUT_S

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """No line per scrape (as prometheus_client's own handler)."""


class _BoundedServer(ThreadingMixIn, WSGIServer):
    """A thread per connection, at most MAX_CONNECTIONS at once."""

    daemon_threads = True  # a scrape under way never holds up the service's exit

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Serve `request` on a thread of its own, or close it at once when every slot is taken."""
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:  # no thread started: nothing else gives the slot back
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        """ThreadingMixIn's, giving the connection's slot back however it ends."""
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


def start_endpoint(port: int, address: str, registry: CollectorRegistry) -> Any:
    """The HTTP endpoint for `registry`, serving on a daemon thread; CannotListen naming the port if it is taken."""
    try:
        family = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
        server_class = type("MetricsServer", (_BoundedServer,), {"address_family": family})
        server: WSGIServer = make_server(address, port, make_wsgi_app(registry), server_class, handler_class=_Handler)
    except OSError as exc:
        raise CannotListen(f"cannot serve metrics on {address}:{port}: {exc.strerror or exc}") from exc
    threading.Thread(target=server.serve_forever, name="metrics-endpoint", daemon=True).start()
    return server
