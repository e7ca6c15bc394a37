"""The `serve` command (typer): wires the store, the policy host and the gRPC server."""

from __future__ import annotations

import math
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from adapters.grpc.runtime import DEFAULT_MAX_IN_FLIGHT, MAX_MAX_IN_FLIGHT

DEFAULT_WORKERS = max(os.cpu_count() or 1, 2)
"""One engine process per CPU (at least two): measured best on 2 cores, see docs/service.md."""
MAX_PROCESSES = max(8, 4 * (os.cpu_count() or 1))
"""--workers and --processes: more than four per CPU only adds memory (each holds a compiled policy)."""
MAX_SECONDS = 86_400.0
"""--watch-interval and --grace: at most a day."""


class LogLevel(StrEnum):
    """--log-level."""

    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


MEMORY = "memory"


def _store_or_exit(db: str, **options: Any) -> Any:
    """open_store(db, **options), or a one-line error naming the store (never its password) and exit 2."""
    try:
        from adapters.store import open_store
        from adapters.store.engine import resolve_db_url, safe_url, scrub_password
    except ImportError as exc:
        raise typer.BadParameter(f"--db needs the SQL store (adapters.store), which is not available: {exc}",
                                 param_hint="--db") from exc
    try:
        return open_store(db, **options)
    except Exception as exc:  # a bad URL, an unreachable server, a failed migration: no traceback
        url = resolve_db_url(db)
        detail = scrub_password(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, url)
        typer.echo(f"serve: cannot open the store {safe_url(url)}: {detail}", err=True)
        raise typer.Exit(2) from None


def _check_log_linger() -> None:
    """Refuse a bad $CREDIT_POLICY_LOG_LINGER_MS at start, before any process opens the store."""
    try:
        from adapters.store.audit_writer import linger_from_env
    except ImportError:
        return  # _store_or_exit reports the missing store
    try:
        linger_from_env()
    except ValueError as exc:
        typer.echo(f"serve: {exc}", err=True)
        raise typer.Exit(2) from None


def _migrate_store(db: str) -> None:
    """Bring the SQL store's schema to head once, before the server processes open it."""
    _store_or_exit(db, upgrade=True).close()


def _open_store(db: str | None) -> Any:
    """The SQL store (adapters.store), migrated here once; workers open their own too. `memory`: none."""
    if not db or db == MEMORY:
        return None
    return _store_or_exit(db, upgrade=True, background_audit=True)


def serve(
    rules: Annotated[Path | None, typer.Option("--rules", help="rules directory (default: the shipped rules/)")] = None,
    port: Annotated[int, typer.Option(min=0, max=65535, help="port to listen on; 0 picks a free one")] = 50051,
    host: Annotated[str, typer.Option(help="address to bind")] = "[::]",
    db: Annotated[str | None, typer.Option(
        help="SQLAlchemy URL of the store (default: $CREDIT_POLICY_DB, else the embedded SQLite file "
             "var/credit-policy.sqlite); `memory` for an in-memory store that only takes full snapshots")] = None,
    workers: Annotated[int | None, typer.Option(
        help="engine worker processes behind one gRPC server process (default: one per CPU, at least 2); "
             "0 = in-process, one lock", show_default=False)] = None,
    processes: Annotated[int | None, typer.Option(
        help="N complete server processes sharing the port (SO_REUSEPORT), each evaluating in-process; "
             "not with --workers N", show_default=False)] = None,
    tls_cert: Annotated[Path | None, typer.Option(help="PEM server certificate (enables TLS)")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="PEM private key of --tls-cert")] = None,
    tls_client_ca: Annotated[Path | None, typer.Option(help="PEM CA of client certificates (mutual TLS)")] = None,
    metrics_port: Annotated[int | None, typer.Option(
        min=0, max=65535, help="Prometheus /metrics port; 0 picks one")] = None,
    watch_interval: Annotated[float, typer.Option(
        help="seconds between rules-dir polls, 0 to 86400; 0 = SIGHUP only")] = 1.0,
    grace: Annotated[float, typer.Option(
        help="seconds in-flight calls get to finish on SIGTERM, 0 to 86400")] = 20.0,
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
) -> None:
    """Serve credit decisions over gRPC (health, reflection, hot reload, metrics)."""
    from adapters.grpc.logs import configure_logging
    from policy_engine.api import DEFAULT_RULES_DIR, PolicyLoadError

    level = LogLevel(log_level).value
    configure_logging(level)
    for name, value in (("--watch-interval", watch_interval), ("--grace", grace)):
        # Checked here rather than by the option's range: that said "should be less than or equal to
        # 86400" of nan.
        if math.isnan(value):
            raise typer.BadParameter(f"not a number of seconds: {value}", param_hint=name)
        if not 0 <= value <= MAX_SECONDS:
            raise typer.BadParameter(f"{value:g} is not between 0 and {MAX_SECONDS:.0f} seconds (a day)",
                                     param_hint=name)
    if processes is not None and processes < 1:
        raise typer.BadParameter("give at least 1 server process", param_hint="--processes")
    for name, count in (("--processes", processes), ("--workers", workers)):
        if count is not None and count > MAX_PROCESSES:
            raise typer.BadParameter(f"at most {MAX_PROCESSES} (four per CPU): each one holds a compiled policy "
                                     "and its own memory", param_hint=name)
    if processes is not None and workers:
        raise typer.BadParameter(
            "--processes N runs N server processes that each evaluate in-process; it cannot be combined with "
            "engine worker processes (--workers N): give one or the other", param_hint="--workers")
    if workers is not None and workers < 0:
        raise typer.BadParameter("give 0 or more worker processes", param_hint="--workers")
    if (tls_cert is None) != (tls_key is None):
        raise typer.BadParameter("give both --tls-cert and --tls-key", param_hint="--tls-cert")
    if tls_client_ca and not tls_cert:
        raise typer.BadParameter("mutual TLS needs --tls-cert and --tls-key", param_hint="--tls-client-ca")
    if tls_cert is not None and tls_key is not None:
        _check_tls(tls_cert, tls_key, tls_client_ca)
    from adapters.grpc.runtime import EventLoopUnavailable, resolve

    try:
        resolve(event_loop)
    except (ValueError, EventLoopUnavailable) as exc:
        raise typer.BadParameter(str(exc), param_hint="--event-loop") from exc
    if db is None:
        from adapters.store.engine import resolve_db_url

        db = resolve_db_url(None)
    if db != MEMORY:
        _check_log_linger()
    if processes is not None:
        # The supervisor never imports gRPC (its threads would only slow the exit); the processes do.
        tls_files = (tls_cert, tls_key, tls_client_ca) if tls_cert and tls_key else None
        _serve_processes(processes, rules=rules or DEFAULT_RULES_DIR, host=host, port=port, db=db, tls=tls_files,
                         metrics_port=metrics_port, watch_interval=watch_interval, grace=grace, log_level=level,
                         event_loop=event_loop, rule_tests=rule_tests, max_in_flight=max_in_flight)
        return
    from adapters.grpc import runtime
    from adapters.grpc.host import EngineBroken, rule_tests_option
    from adapters.grpc.metrics import CannotListen
    from adapters.grpc.runtime import ENGINE_BROKEN_EXIT
    from adapters.grpc.server import TlsFiles, run_service
    from adapters.store.engine import scrub_password
    from policy_engine.domain.errors import EngineFailure

    tls = TlsFiles(tls_cert, tls_key, tls_client_ca) if tls_cert and tls_key else None
    if workers is None:
        workers = DEFAULT_WORKERS
    store = _open_store(db)
    if db == MEMORY:
        db = None
    try:
        runtime.run(run_service(rules_dir=rules or DEFAULT_RULES_DIR, store=store, store_url=db or None,
                              address=f"{host}:{port}",
                              workers=workers, tls=tls, metrics_port=metrics_port,
                              watch_interval=watch_interval, grace=grace, max_in_flight=max_in_flight,
                              host_options=rule_tests_option(rule_tests)), event_loop)
    except PolicyLoadError as exc:
        for problem in getattr(exc, "problems", []):
            typer.echo(str(problem), err=True)
        raise typer.Exit(1) from exc
    except CannotListen as exc:
        typer.echo(f"serve: {exc}", err=True)
        raise typer.Exit(1) from None
    except EngineBroken as exc:
        typer.echo(f"serve: stopped: the rule engine {exc}; restart the service (a service manager's "
                   "Restart=on-failure does it)", err=True)
        raise typer.Exit(ENGINE_BROKEN_EXIT) from None
    except EngineFailure as exc:  # the engine workers could not start (their store, a spawn, a timeout)
        detail = scrub_password(str(exc), db) if db else str(exc)
        typer.echo(f"serve: the engine workers could not start: {detail}", err=True)
        raise typer.Exit(1) from None


def _check_tls(cert: Path, key: Path, client_ca: Path | None) -> None:
    """Refuse TLS files that are missing or are not a PEM certificate with its key (or a CA) before
    anything starts: gRPC would only say that it could not add the port."""
    import ssl

    for flag, path in (("--tls-cert", cert), ("--tls-key", key), ("--tls-client-ca", client_ca)):
        if path is not None and not path.is_file():
            raise typer.BadParameter(f"{path}: no such file", param_hint=flag)
    try:
        encrypted = b"ENCRYPTED" in key.read_bytes()[:4096]  # "BEGIN ENCRYPTED PRIVATE KEY", "Proc-Type: 4,ENCRYPTED"
    except OSError as exc:
        raise typer.BadParameter(f"{key}: {exc.strerror or exc}", param_hint="--tls-key") from None
    if encrypted:
        raise typer.BadParameter(f"{key} is encrypted: gRPC takes only a private key without a passphrase "
                                 f"(decrypt it with `openssl pkey -in {key} -out KEY.pem`, readable by the "
                                 "service only)", param_hint="--tls-key")
    try:
        # password: never OpenSSL's own prompt on the terminal, whatever the key file holds
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key, password=b"")
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise typer.BadParameter(f"{cert} and {key} are not a PEM certificate and its private key ({exc})",
                                 param_hint="--tls-cert/--tls-key") from None
    if client_ca is not None:
        try:
            ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_verify_locations(cafile=client_ca)
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise typer.BadParameter(f"{client_ca}: not a PEM CA certificate ({exc})",
                                     param_hint="--tls-client-ca") from None


def _serve_processes(processes: int, *, rules: Path, host: str, port: int, db: str,
                     tls: tuple[Path, Path, Path | None] | None,
                     metrics_port: int | None, watch_interval: float, grace: float, log_level: str,
                     event_loop: str, rule_tests: bool = False,
                     max_in_flight: int = DEFAULT_MAX_IN_FLIGHT) -> None:
    """The supervised model (adapters/grpc/supervisor.py): N server processes on one port."""
    from adapters.grpc.supervisor import ProcessConfig, StartupFailed, run_supervised

    store_url = None if db == MEMORY else db
    if store_url:
        _migrate_store(store_url)
    config = ProcessConfig(rules_dir=Path(rules), host=host, port=port, store_url=store_url, tls=tls,
                           watch_interval=watch_interval, grace=grace, log_level=log_level, event_loop=event_loop,
                           rule_tests=rule_tests, max_in_flight=max_in_flight)
    try:
        run_supervised(config, processes, metrics_port=metrics_port)
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
