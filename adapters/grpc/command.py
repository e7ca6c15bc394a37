"""The `serve` command (typer): wires the store, the policy host and the gRPC server."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from adapters.grpc.keepalive import DEFAULT_INTERVAL_S, DEFAULT_TIMEOUT_S, Keepalive
from adapters.grpc.runtime import DEFAULT_MAX_HEALTH_WATCHES, DEFAULT_MAX_IN_FLIGHT, raise_open_files_limit
from adapters.grpc.serve_flags import (
    BindHost,
    CreateStore,
    EngineWorkers,
    EventLoop,
    Grace,
    KeepaliveSeconds,
    KeepaliveTimeout,
    LeastLevel,
    LogLevel,
    MaxHealthWatches,
    MaxInFlight,
    MetricsPort,
    Port,
    RulesDir,
    RuleTests,
    ServerProcesses,
    StoreUrl,
    TlsCert,
    TlsClientCa,
    TlsKey,
    WatchInterval,
)
from adapters.grpc.serve_options import (
    check_event_loop,
    check_keepalive,
    check_ports,
    check_process_counts,
    check_seconds,
    check_tls_options,
)
from adapters.grpc.serve_store import MEMORY, db_source, migrate_store, open_serve_store, require_store
from adapters.grpc.start_stop import keep_stop_signals, stops_while_starting
from adapters.grpc.start_warnings import warnings_before_serving

if TYPE_CHECKING:
    from adapters.grpc.server import TlsFiles

DEFAULT_WORKERS = max(os.cpu_count() or 1, 2)
"""One engine process per CPU (at least two): measured best on 2 cores, see docs/service.md."""


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


@stops_while_starting  # SIGTERM/SIGINT from here on stop the start cleanly (start_stop.py)
def serve(rules: RulesDir = None, port: Port = 50051, host: BindHost = "[::]", db: StoreUrl = None,
          create_store: CreateStore = False, workers: EngineWorkers = None, processes: ServerProcesses = None,
          tls_cert: TlsCert = None, tls_key: TlsKey = None, tls_client_ca: TlsClientCa = None,
          metrics_port: MetricsPort = None, watch_interval: WatchInterval = 1.0, grace: Grace = 20.0,
          log_level: LeastLevel = LogLevel.INFO, event_loop: EventLoop = "auto", rule_tests: RuleTests = False,
          max_in_flight: MaxInFlight = DEFAULT_MAX_IN_FLIGHT,
          max_health_watches: MaxHealthWatches = DEFAULT_MAX_HEALTH_WATCHES,
          keepalive: KeepaliveSeconds = DEFAULT_INTERVAL_S,
          keepalive_timeout: KeepaliveTimeout = DEFAULT_TIMEOUT_S) -> None:
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
    db, db_from = _store_checked(db, create_store)
    warn = warnings_before_serving(host, tls_key=tls_key, mutual_tls=tls_client_ca is not None)
    raise_open_files_limit()  # before any process starts: they inherit it
    if processes is not None:
        # The supervisor never imports gRPC (its threads would only slow the exit); the processes do.
        tls_files = (tls_cert, tls_key, tls_client_ca) if tls_cert and tls_key else None
        _serve_processes(processes, rules=rules or DEFAULT_RULES_DIR, host=host, port=port, db=db, db_from=db_from,
                         tls=tls_files, metrics_port=metrics_port, watch_interval=watch_interval, grace=grace,
                         log_level=level,
                         event_loop=event_loop, rule_tests=rule_tests, max_in_flight=max_in_flight, keepalive=pings,
                         max_health_watches=max_health_watches, before_serving=warn)
        return
    from adapters.grpc.server import TlsFiles

    _serve_one_process(rules=rules or DEFAULT_RULES_DIR, address=f"{host}:{port}", db=db, db_from=db_from,
                       workers=DEFAULT_WORKERS if workers is None else workers,
                       tls=TlsFiles(tls_cert, tls_key, tls_client_ca) if tls_cert and tls_key else None,
                       metrics_port=metrics_port, watch_interval=watch_interval, grace=grace,
                       event_loop=event_loop, rule_tests=rule_tests, max_in_flight=max_in_flight, keepalive=pings,
                       max_health_watches=max_health_watches, before_serving=warn)


def _store_checked(db: str | None, create: bool) -> tuple[str, str]:
    """(--db or the default store's URL, where it came from), the store there required (or created with
    --create-store); for a SQL store, $CREDIT_POLICY_LOG_LINGER_MS checked too."""
    db_from = db_source(db)
    if db is None:
        from adapters.store.db_env import resolve_db_url

        db = resolve_db_url(None)
    if db != MEMORY:
        _check_log_linger()
    require_store(db, db_from, create=create)
    return db, db_from


def _serve_one_process(*, rules: Path, address: str, db: str, db_from: str, workers: int, tls: TlsFiles | None,
                       metrics_port: int | None, watch_interval: float, grace: float, event_loop: str,
                       rule_tests: bool, max_in_flight: int, keepalive: Keepalive, max_health_watches: int,
                       before_serving: Callable[[], None]) -> None:
    """The gRPC server in this process, with `workers` engine worker processes (0: in-process)."""
    from adapters.grpc import runtime
    from adapters.grpc.host import rule_tests_option
    from adapters.grpc.server import run_service

    keep_stop_signals()  # a migration is never cut half-way: a stop waits for run_service (start_stop.py)
    store = open_serve_store(db, db_from)
    store_url = None if db == MEMORY else (db or None)
    with _service_errors_exit(store_url):
        runtime.run(run_service(rules_dir=rules, store=store, store_url=store_url, address=address,
                                workers=workers, tls=tls, metrics_port=metrics_port,
                                watch_interval=watch_interval, grace=grace, max_in_flight=max_in_flight,
                                max_health_watches=max_health_watches,
                                keepalive=keepalive, host_options=rule_tests_option(rule_tests),
                                before_serving=before_serving), event_loop)


@contextmanager
def _service_errors_exit(store_url: str | None) -> Iterator[None]:
    """The errors the service is expected to end with: one line (or the rules' problems) and an exit code."""
    from adapters.grpc.host import EngineBroken
    from adapters.grpc.metrics import CannotListen
    from adapters.grpc.runtime import ENGINE_BROKEN_EXIT
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
        detail = str(exc)
        if store_url:  # SQLAlchemy's URL parsing, imported only for a SQL store
            from adapters.store.engine import scrub_password

            detail = scrub_password(detail, store_url)
        typer.echo(f"serve: the engine workers could not start: {detail}", err=True)
        raise typer.Exit(1) from None


def _serve_processes(processes: int, *, rules: Path, host: str, port: int, db: str, db_from: str = "",
                     tls: tuple[Path, Path, Path | None] | None,
                     metrics_port: int | None, watch_interval: float, grace: float, log_level: str,
                     event_loop: str, rule_tests: bool = False,
                     max_in_flight: int = DEFAULT_MAX_IN_FLIGHT, keepalive: Keepalive | None = None,
                     max_health_watches: int = DEFAULT_MAX_HEALTH_WATCHES,
                     before_serving: Callable[[], None] | None = None) -> None:
    """The supervised model (adapters/grpc/supervisor.py): N server processes on one port."""
    from adapters.grpc.supervisor import ProcessConfig, StartupFailed, run_supervised

    store_url = None if db == MEMORY else db
    keep_stop_signals()  # a migration is never cut half-way: a stop waits for the supervisor's handlers
    if store_url:
        migrate_store(store_url, db_from)
    config = ProcessConfig(rules_dir=Path(rules), host=host, port=port, store_url=store_url, tls=tls,
                           watch_interval=watch_interval, grace=grace, log_level=log_level, event_loop=event_loop,
                           rule_tests=rule_tests, max_in_flight=max_in_flight, keepalive=keepalive or Keepalive(),
                           max_health_watches=max_health_watches)
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
