"""The gRPC server's port: the TLS files it is bound with, the binding with what gRPC's core writes to
stderr meanwhile held back, and the reason a bind failed in the operating system's words."""

from __future__ import annotations

import errno
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import grpc


@dataclass(frozen=True)
class TlsFiles:
    """PEM files for TLS; with client_ca, clients must present a certificate (mutual TLS)."""

    cert: Path
    key: Path
    client_ca: Path | None = None

    def credentials(self) -> grpc.ServerCredentials:
        """Server credentials from the files."""
        root = self.client_ca.read_bytes() if self.client_ca else None
        return grpc.ssl_server_credentials(
            [(self.key.read_bytes(), self.cert.read_bytes())],
            root_certificates=root,
            require_client_auth=root is not None,
        )


_OS_REASONS = tuple(os.strerror(e) for e in (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES,
                                             errno.EAFNOSUPPORT))
_CORE_LOG_LINE = re.compile(r"^[EWID]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ [\w.]+:\d+\] ")
"""The head of a line gRPC's core logs on stderr (E1123 09:28:36.337146    3048 add_port.cc:83] …)."""


def add_port(server: grpc.aio.Server, address: str, tls: TlsFiles | None) -> tuple[int, str]:
    """`server.add_*_port(address)`, with what gRPC's core writes to stderr meanwhile held back: the port
    (0 if it could not bind) and gRPC's own lines. On success they are passed on to stderr; on failure
    our message says why instead (a bare `E1123 … add_port.cc:83] Failed to add port …` line first
    read as a crash), and any other line written meanwhile is passed on."""
    sys.stderr.flush()
    with tempfile.TemporaryFile() as held:
        saved = os.dup(2)
        os.dup2(held.fileno(), 2)
        try:
            port = server.add_secure_port(address, tls.credentials()) if tls else server.add_insecure_port(address)
        except RuntimeError:  # grpcio raises "Failed to bind to address …" (older releases returned 0)
            port = 0
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        held.seek(0)
        text = held.read().decode("utf-8", "replace")
    core = "\n".join(line for line in text.splitlines() if _CORE_LOG_LINE.match(line))
    passed_on = text if port else "".join(line for line in text.splitlines(keepends=True)
                                          if not _CORE_LOG_LINE.match(line))
    if passed_on:
        os.write(2, passed_on.encode())
    return port, core


def bind_reason(core_said: str, tls: bool) -> str:
    """Why gRPC could not bind, in the operating system's words when its core named them."""
    found = [reason for reason in _OS_REASONS if reason in core_said]
    if found:
        return "; ".join(found)
    said = [_CORE_LOG_LINE.sub("", line).strip() for line in core_said.splitlines()]
    if any(said):
        return "; ".join(line for line in said if line)[:500]
    return "in use, or not an address of this host" + (", or gRPC refused the TLS files" if tls else "")
