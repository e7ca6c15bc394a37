"""The `serve` command's options as typer declares them: each flag's metavar, bounds and help. serve
(command.py) takes them with their defaults; serve_options.py checks what typer cannot."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from adapters.grpc.runtime import MAX_MAX_HEALTH_WATCHES, MAX_MAX_IN_FLIGHT


class LogLevel(StrEnum):
    """--log-level."""

    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


RulesDir = Annotated[Path | None, typer.Option(
    "--rules", metavar="DIR", help="rules directory (default: the shipped rules/)")]
Port = Annotated[int, typer.Option(min=0, max=65535, help="port to listen on; 0 picks a free one")]
BindHost = Annotated[str, typer.Option(metavar="HOST", help="address to bind")]
StoreUrl = Annotated[str | None, typer.Option(
    metavar="URL", help="SQLAlchemy URL of the store (default: $CREDIT_POLICY_DB, else the embedded SQLite file "
         "var/credit-policy.sqlite); `memory` for an in-memory store that only takes full snapshots")]
CreateStore = Annotated[bool, typer.Option(
    "--create-store", help="start a new, empty SQLite store when --db's file is not there "
                           "(refused otherwise); not with --db memory, which keeps no store")]
EngineWorkers = Annotated[int | None, typer.Option(
    help="engine worker processes behind one gRPC server process (default: one per CPU, at least 2); "
         "0 = in-process, one lock", show_default=False)]
ServerProcesses = Annotated[int | None, typer.Option(
    help="N complete server processes sharing the port (SO_REUSEPORT), each evaluating in-process; "
         "not with --workers N", show_default=False)]
TlsCert = Annotated[Path | None, typer.Option(metavar="FILE", help="PEM server certificate (enables TLS)")]
TlsKey = Annotated[Path | None, typer.Option(metavar="FILE", help="PEM private key of --tls-cert")]
TlsClientCa = Annotated[Path | None, typer.Option(metavar="FILE", help="PEM CA of client certificates (mutual TLS)")]
MetricsPort = Annotated[int | None, typer.Option(min=0, max=65535, help="Prometheus /metrics port; 0 picks one")]
WatchInterval = Annotated[float, typer.Option(
    metavar="SECONDS", help="seconds between rules-dir polls, 0 to 86400; 0 = SIGHUP only")]
Grace = Annotated[float, typer.Option(
    metavar="SECONDS", help="seconds in-flight calls get to finish on SIGTERM, 0 to 86400")]
LeastLevel = Annotated[LogLevel, typer.Option(case_sensitive=False, help="the least severe level logged")]
EventLoop = Annotated[str, typer.Option(
    "--event-loop", help="auto (uvloop when installed, else asyncio), uvloop or asyncio")]
RuleTests = Annotated[bool, typer.Option(
    "--rule-tests/--no-rule-tests",
    help="take a rule set (at start and on every reload) only if the test cases in its tests/ pass; "
         "recommended in production")]
MaxInFlight = Annotated[int, typer.Option(
    min=1, max=MAX_MAX_IN_FLIGHT,
    help="decision calls (and streams) a server process takes at once; past that a call gets "
         "RESOURCE_EXHAUSTED at once instead of waiting (health checks and GetPolicy still answer)")]
MaxHealthWatches = Annotated[int, typer.Option(
    min=1, max=MAX_MAX_HEALTH_WATCHES,
    help="health Watch streams a server process holds open at once (gRPC's client-side health checking keeps "
         "one per connection); past that a Watch gets RESOURCE_EXHAUSTED. Outside --max-in-flight")]
KeepaliveSeconds = Annotated[float, typer.Option(
    metavar="SECONDS", help="ping a connection quiet this long, so that a caller gone without closing it "
         "(power loss, a partition) is let go with its calls; 1 to 86400, 0 = gRPC's own two hours")]
KeepaliveTimeout = Annotated[float, typer.Option(
    metavar="SECONDS", help="how long the answer to that ping may take, 1 to 86400")]
