"""The `serve` command (typer): wires the store, the policy host and the gRPC server."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from adapters.grpc.keepalive import DEFAULT_INTERVAL_S, DEFAULT_TIMEOUT_S, Keepalive
from adapters.grpc.runtime import DEFAULT_MAX_IN_FLIGHT, MAX_MAX_IN_FLIGHT, raise_open_files_limit
from adapters.grpc.serve_options import (
    check_event_loop,
    check_keepalive,
    check_ports,
    check_process_counts,
    check_seconds,
    check_tls_options,
)
from adapters.grpc.serve_store import MEMORY, db_source, migrate_store, open_serve_store, require_store
from adapters.grpc.start_warnings import warnings_before_serving

if TYPE_CHECKING:
    from adapters.grpc.server import TlsFiles

DEFAULT_WORKERS = max(os.cpu_count() or 1, 2)
"""One engine process per CPU (at least two): measured best on 2 cores, see docs/service.md."""


class LogLevel(StrEnum):
    """--log-level."""

    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


def _check_log_linger() -> None:
    """Refuse a bad $CREDIT_POLICY_LOG_LINGER_MS at start, before any process opens the store."""
    try:
        from adapters.store.audit_writer import linger_from_env
    except ImportError:
        return  # serve_store.store_or_exit reports the missing store
    try:
        linger_from_env()
    except ValueError as exc:
        typer.echo(f"serve: {exc}", err=True)
        raise typer.Exit(2) from None


def serve(
    rules: Annotated[Path | None, typer.Option(
        "--rules", metavar="DIR", help="rules directory (default: the shipped rules/)")] = None,
    port: Annotated[int, typer.Option(min=0, max=65535, help="port to listen on; 0 picks a free one")] = 50051,
    host: Annotated[str, typer.Option(metavar="HOST", help="address to bind")] = "[::]",
    db: Annotated[str | None, typer.Option(
        metavar="URL", help="SQLAlchemy URL of the store (default: $CREDIT_POLICY_DB, else the embedded SQLite file "
             "var/credit-policy.sqlite); `memory` for an in-memory store that only takes full snapshots")] = None,
    create_store: Annotated[bool, typer.Option(
        "--create-store", help="start a new, empty SQLite store when --db's file is not there "
                               "(refused otherwise); not with --db memory, which keeps no store")] = False,
    workers: Annotated[int | None, typer.Option(
        help="engine worker processes behind one gRPC server process (default: one per CPU, at least 2); "
             "0 = in-process, one lock", show_default=False)] = None,
    processes: Annotated[int | None, typer.Option(
        help="N complete server processes sharing the port (SO_REUSEPORT), each evaluating in-process; "
             "not with --workers N", show_default=False)] = None,
    tls_cert: Annotated[Path | None, typer.Option(metavar="FILE", help="PEM server certificate (enables TLS)")] = None,
    tls_key: Annotated[Path | None, typer.Option(metavar="FILE", help="PEM private key of --tls-cert")] = None,
    tls_client_ca: Annotated[Path | None, typer.Option(
        metavar="FILE", help="PEM CA of client certificates (mutual TLS)")] = None,
    metrics_port: Annotated[int | None, typer.Option(
        min=0, max=65535, help="Prometheus /metrics port; 0 picks one")] = None,
    watch_interval: Annotated[float, typer.Option(
        metavar="SECONDS", help="seconds between rules-dir polls, 0 to 86400; 0 = SIGHUP only")] = 1.0,
    grace: Annotated[float, typer.Option(
        metavar="SECONDS", help="seconds in-flight calls get to finish on SIGTERM, 0 to 86400")] = 20.0,
    log_level: Annotated[LogLevel, typer.Option(case_sensitive=False, help="the least severe level logged")] = (
        LogLevel.INFO),
    event_loop: Annotated[str, typer.Option(
        "--event-loop", help="auto (uvloop when installed, else asyncio), uvloop or asyncio")] = "auto",
    rule_tests: Annotated[bool, typer.Option(
        "--rule-tests/--no-rule-tests",
        help="take a rule set (at start and on every reload) only if the test cases in its tests/ pass; "
             "recommended in production")] = False,
    max_in_flight: Annotated[int, typer.Option(
        min=1, max=MAX_MAX_IN_FLIGHT,
        help="decision calls (and streams) a server process takes at once; past that a call gets "
             "RESOURCE_EXHAUSTED at once instead of waiting (health checks and GetPolicy still answer)")] = (
        DEFAULT_MAX_IN_FLIGHT),
    keepalive: Annotated[float, typer.Option(
        metavar="SECONDS", help="ping a connection quiet this long, so that a caller gone without closing it "
             "(power loss, a partition) is let go with its calls; 1 to 86400, 0 = gRPC's own two hours")] = (
        DEFAULT_INTERVAL_S),
    keepalive_timeout: Annotated[float, typer.Option(
        metavar="SECONDS", help="how long the answer to that ping may take, 1 to 86400")] = DEFAULT_TIMEOUT_S,
) -> None:
    """Serve credit decisions over gRPC (health, reflection, hot reload, metrics)."""
    from adapters.grpc.logs import configure_logging
    from policy_engine.api import DEFAULT_RULES_DIR

    level = LogLevel(log_level).value
    configure_logging(level)
    check_seconds(("--watch-interval", watch_interval), ("--grace", grace))
    check_ports(port, metrics_port)
    check_keepalive(keepalive, keepalive_timeout)
    pings = Keepalive(keepalive, keepalive_timeout)
    check_process_counts(processes, workers)
    check_tls_options(tls_cert, tls_key, tls_client_ca)
    check_event_loop(event_loop)
    db_from = db_source(db)
    db = _store_url_checked(db)
    require_store(db, db_from, create=create_store)
    warn = warnings_before_serving(host, tls_key=tls_key, mutual_tls=tls_client_ca is not None)
    raise_open_files_limit()  # before any process starts: they inherit it
    if processes is not None:
        # The supervisor never imports gRPC (its threads would only slow the exit); the processes do.
        tls_files = (tls_cert, tls_key, tls_client_ca) if tls_cert and tls_key else None
        _serve_processes(processes, rules=rules or DEFAULT_RULES_DIR, host=host, port=port, db=db, db_from=db_from,
                         tls=tls_files,
                         metrics_port=metrics_port, watch_interval=watch_interval, grace=grace, log_level=level,
                         event_loop=event_loop, rule_tests=rule_tests, max_in_flight=max_in_flight, keepalive=pings,
                         before_serving=warn)
        return
    from adapters.grpc.server import TlsFiles

    _serve_one_process(rules=rules or DEFAULT_RULES_DIR, address=f"{host}:{port}", db=db, db_from=db_from,
                       workers=DEFAULT_WORKERS if workers is None else workers,
                       tls=TlsFiles(tls_cert, tls_key, tls_client_ca) if tls_cert and tls_key else None,
                       metrics_port=metrics_port, watch_interval=watch_interval, grace=grace,
                       event_loop=event_loop, rule_tests=rule_tests, max_in_flight=max_in_flight, keepalive=pings,
                       before_serving=warn)


def _store_url_checked(db: str | None) -> str:
    """--db, or the default store's URL; for a SQL store, $CREDIT_POLICY_LOG_LINGER_MS checked too."""
    if db is None:
        from adapters.store.engine import resolve_db_url

        db = resolve_db_url(None)
    if db != MEMORY:
        _check_log_linger()
    return db


def _serve_one_process(*, rules: Path, address: str, db: str, db_from: str, workers: int, tls: TlsFiles | None,
                       metrics_port: int | None, watch_interval: float, grace: float, event_loop: str,
                       rule_tests: bool, max_in_flight: int, keepalive: Keepalive,
                       before_serving: Callable[[], None]) -> None:
    """The gRPC server in this process, with `workers` engine worker processes (0: in-process)."""
    from adapters.grpc import runtime
    from adapters.grpc.host import rule_tests_option
    from adapters.grpc.server import run_service

    store = open_serve_store(db, db_from)
    store_url = None if db == MEMORY else (db or None)
    with _service_errors_exit(store_url):
        runtime.run(run_service(rules_dir=rules, store=store, store_url=store_url, address=address,
                                workers=workers, tls=tls, metrics_port=metrics_port,
                                watch_interval=watch_interval, grace=grace, max_in_flight=max_in_flight,
                                keepalive=keepalive, host_options=rule_tests_option(rule_tests),
                                before_serving=before_serving), event_loop)


@contextmanager
def _service_errors_exit(store_url: str | None) -> Iterator[None]:
    """The errors the service is expected to end with: one line (or the rules' problems) and an exit code."""
    from adapters.grpc.host import EngineBroken
    from adapters.grpc.metrics import CannotListen
    from adapters.grpc.runtime import ENGINE_BROKEN_EXIT
    from adapters.store.engine import scrub_password
    from policy_engine.api import PolicyLoadError
    from policy_engine.domain.errors import EngineFailure

    try:
        yield
    except PolicyLoadError as exc:
        for problem in getattr(exc, "problems", []):
            typer.echo(str(problem), err=True)
        if exc.note:  # as lint says it: more problems may show once every rule file reads
            typer.echo(f"note: {exc.note}", err=True)
        raise typer.Exit(1) from exc
    except CannotListen as exc:
        typer.echo(f"serve: {exc}", err=True)
        raise typer.Exit(1) from None
    except EngineBroken as exc:
        typer.echo(f"serve: stopped: the rule engine {exc}; restart the service (a service manager's "
                   "Restart=on-failure does it)", err=True)
        raise typer.Exit(ENGINE_BROKEN_EXIT) from None
    except EngineFailure as exc:  # the engine workers could not start (their store, a spawn, a timeout)
        detail = scrub_password(str(exc), store_url) if store_url else str(exc)
        typer.echo(f"serve: the engine workers could not start: {detail}", err=True)
        raise typer.Exit(1) from None


def _serve_processes(processes: int, *, rules: Path, host: str, port: int, db: str, db_from: str = "",
                     tls: tuple[Path, Path, Path | None] | None,
                     metrics_port: int | None, watch_interval: float, grace: float, log_level: str,
                     event_loop: str, rule_tests: bool = False,
                     max_in_flight: int = DEFAULT_MAX_IN_FLIGHT, keepalive: Keepalive | None = None,
                     before_serving: Callable[[], None] | None = None) -> None:
    """The supervised model (adapters/grpc/supervisor.py): N server processes on one port."""
    from adapters.grpc.supervisor import ProcessConfig, StartupFailed, run_supervised

    store_url = None if db == MEMORY else db
    if store_url:
        migrate_store(store_url, db_from)
    config = ProcessConfig(rules_dir=Path(rules), host=host, port=port, store_url=store_url, tls=tls,
                           watch_interval=watch_interval, grace=grace, log_level=log_level, event_loop=event_loop,
                           rule_tests=rule_tests, max_in_flight=max_in_flight, keepalive=keepalive or Keepalive())
    try:
        run_supervised(config, processes, metrics_port=metrics_port, before_serving=before_serving)
    except StartupFailed as exc:
        for problem in exc.problems:
            typer.echo(problem, err=True)
        typer.echo(f"serve: {exc}", err=True)
        raise typer.Exit(1) from exc
    except OSError as exc:
        typer.echo(f"serve: {exc}", err=True)
        raise typer.Exit(1) from exc


def main() -> None:
    """`python -m adapters.grpc serve …`: the same command without the rest of the CLI."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command("serve")(serve)

    @app.callback()
    def _root() -> None:
        """credit-policy gRPC service."""

    app(args=sys.argv[1:])
