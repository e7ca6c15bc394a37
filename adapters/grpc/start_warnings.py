"""The warnings `serve` logs once the service is about to serve: who may call it, and who may read its TLS key."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from adapters.grpc.logs import event
from adapters.grpc.serve_options import exposure_warning, key_permissions_warning


def warnings_before_serving(host: str, *, tls_key: Path | None, mutual_tls: bool) -> Callable[[], None]:
    """What logs, once the service is about to serve, `tls key not private` (warning) when group or others may
    read or write --tls-key and `callers not authenticated` (warning) when any host that reaches the port may call.

    The default (`[::]`, plaintext) is kept for containers and the README's commands, and a key mounted
    0644 (a container's secret, often) still serves: each line says so at every start rather than leave
    it to be found in the docs. Both wait for the start to succeed: they are about what the service serves
    with, a start that fails (its rules, its store, a port in use) serves nothing and prints its error
    alone, and a warning above that error read as its cause. The key's mode is read at start, when the key is."""
    key_fields = key_permissions_warning(tls_key) if tls_key is not None else None
    fields = exposure_warning(host, tls=tls_key is not None, mutual_tls=mutual_tls)

    def warn() -> None:
        if key_fields is not None:
            event("tls key not private", logging.WARNING, **key_fields)
        if fields is not None:
            event("callers not authenticated", logging.WARNING, **fields)

    return warn
