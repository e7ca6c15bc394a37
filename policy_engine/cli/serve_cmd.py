"""`credit-policy serve`: the gRPC credit-decision service (implemented in adapters/grpc/command.py)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add `serve` to the app."""
    from adapters.grpc.command import serve

    app.command("serve")(serve)
