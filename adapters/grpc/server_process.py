"""A `--processes` server process: the in-process model (adapters/grpc/server.py `run_service`,
`workers=0`) in a process the supervisor spawned (adapters/grpc/supervisor.py), and `ProcessConfig`,
what the supervisor hands it. It tells the supervisor over its pipe when it serves, each version it
loads and why it could not start; a process whose supervisor disappears (its pipe reads EOF) stops
as on SIGTERM.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.grpc import runtime
from adapters.grpc.keepalive import Keepalive
from adapters.grpc.logs import configure_logging, event
from adapters.grpc.start_stop import DURING, StopWhileStarting
from policy_engine.build import build_id


@dataclass(frozen=True)
class ProcessConfig:
    """What every server process needs (pickled to it at spawn)."""

    rules_dir: Path
    host: str
    port: int
    store_url: str | None = None
    tls: tuple[Path, Path, Path | None] | None = None
    """certificate, key and client CA (mutual TLS) files, read by each process"""
    watch_interval: float = 1.0
    grace: float = 20.0
    log_level: str = "INFO"
    event_loop: str = "auto"
    """adapters/grpc/runtime.py: the event loop each server process runs on"""
    rule_tests: bool = False
    """load a rule set from the directory only if its tests/ cases pass (serve --rule-tests)"""
    max_in_flight: int = runtime.DEFAULT_MAX_IN_FLIGHT
    """decision calls each server process takes at once (serve --max-in-flight)"""
    max_health_watches: int = runtime.DEFAULT_MAX_HEALTH_WATCHES
    """health Watch streams each server process holds open at once (serve --max-health-watches)"""
    keepalive: Keepalive = Keepalive()
    """when a quiet connection is pinged, and how long its answer may take (serve --keepalive)"""


class _PidFilter(logging.Filter):
    """Add the process id and slot index to every log line of a server process (their lines interleave)."""

    def __init__(self, index: int):
        super().__init__()
        self.index = index

    def filter(self, record: logging.LogRecord) -> bool:
        record.fields = {**getattr(record, "fields", {}), "pid": os.getpid(), "process": self.index}
        return True


def _open_process_store(store_url: str | None) -> Any:
    if not store_url:
        return None  # PolicyHost's own in-memory store
    from adapters.store import open_store

    return open_store(store_url, upgrade=False, background_audit=True, require_head=True)  # the supervisor migrated it


def process_main(conn: Any, config: ProcessConfig, index: int = 0, files: dict[str, str] | None = None,
                 backlog: Any = None) -> None:
    """A server process (spawned) in slot `index`: serve until SIGTERM or until the supervisor is gone.

    With `files` (the last good rule files, from the supervisor) it starts from those instead of
    compiling the rules directory. Messages to the supervisor: `("serving", pid, port, version,
    files)` once (files None when it started from the supervisor's), `("loaded", pid, version,
    files)` after each reload, `("warnings", pid, version, fields)` for every version it loads (the
    `policy warnings` line's fields of lint's warnings, `{}` when none: the supervisor logs them once per
    version), `("failed", error, problems, traceback)` if it could not start.
    `backlog` (shared memory) is kept equal to its decision-log writer's backlog.
    """
    _take_signals()
    configure_logging(config.log_level)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_PidFilter(index))
    reports = _Reports(conn, files)
    from adapters.grpc.host import EngineBroken

    try:
        runtime.run(_serve_process(conn, config, index, files, reports, backlog),
                    config.event_loop)
    except EngineBroken:  # logged (`engine closed`, `process stopped`); the supervisor starts a fresh process
        raise SystemExit(runtime.ENGINE_BROKEN_EXIT) from None
    except StopWhileStarting:  # SIGTERM (or the supervisor gone) while starting: what started is stopped; exit 0
        event("process stopped", during=DURING)
    except BaseException as exc:
        reports.failed(exc)
        raise SystemExit(1) from None


def _take_signals() -> None:
    """SIGINT is the supervisor's (Ctrl-C reaches the whole group); SIGHUP waits for the reload
    handler run_service installs. The supervisor started us with SIGINT blocked and ignored, and SIGTERM
    blocked: it stays so (pending, if one came) until run_service takes it (start_stop.py), which
    makes a stop while this process starts a clean one, not the end by SIGTERM's default action."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(runtime.NOW_SIGNAL, signal.SIG_IGN)  # until run_service takes it: never the end of a starting process
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGHUP})


class _Reports:
    """What a server process tells its supervisor over the pipe (`process_main` lists the messages)."""

    def __init__(self, conn: Any, files: dict[str, str] | None):
        self._conn = conn
        self._files = files
        self.serving = False
        self._loaded: dict[str, str] | None = None
        """The version's files, sent with `serving`."""

    def on_loaded(self, version: str, loaded_files: dict[str, str]) -> None:
        """A version loaded: kept for `serving` until the process serves, then sent as `loaded`."""
        if not self.serving:
            self._loaded = loaded_files
            return
        try:
            self._conn.send(("loaded", os.getpid(), version, loaded_files))
        except OSError:
            pass  # the supervisor is gone: the pipe's EOF stops us

    def on_warnings(self, version: str, fields: dict[str, Any]) -> None:
        """A version loaded (before serving too): its `policy warnings` fields, for the supervisor to log once per
        version (bounded: the first 50 warnings and the count)."""
        try:
            self._conn.send(("warnings", os.getpid(), version, fields))
        except OSError:
            pass  # the supervisor is gone: the pipe's EOF stops us

    def on_serving(self, port: int, version: str) -> None:
        """The process serves: the `process serving` event and the `serving` message."""
        self.serving = True
        event("process serving", port=port, version=version, event_loop=runtime.loop_name(asyncio.get_running_loop()),
              python=runtime.interpreter(), build=build_id())
        self._conn.send(("serving", os.getpid(), port, version, None if self._files is not None else self._loaded))

    def failed(self, exc: BaseException) -> None:
        """The process ends on `exc` (call it while handling it): logged once it served; before, told to
        the supervisor, which reports it (once, not once per process)."""
        if self.serving:
            event("process failed", logging.ERROR, error=f"{type(exc).__name__}: {exc}",
                  exception=traceback.format_exc())
            return
        problems = [str(p) for p in getattr(exc, "problems", None) or []]
        note = str(getattr(exc, "note", "") or "")
        if problems and note:  # printed after them, as lint and a single-process serve do
            problems.append(f"note: {note}")
        detail = "" if problems else traceback.format_exc()
        try:
            self._conn.send(("failed", f"{type(exc).__name__}: {exc}" if not problems else "the rules have problems",
                             problems, detail))
        except OSError:
            pass


async def _serve_process(conn: Any, config: ProcessConfig, index: int, files: dict[str, str] | None,
                         reports: _Reports, backlog: Any = None) -> None:
    from adapters.grpc.metrics import ServiceMetrics
    from adapters.grpc.server import TlsFiles, run_service

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    fd = conn.fileno()

    def supervisor_gone() -> None:  # the supervisor never writes: readable means EOF
        loop.remove_reader(fd)
        event("supervisor gone", logging.ERROR)
        stop.set()

    runtime.watch_readable(loop, fd, supervisor_gone)  # blocking mode kept: rule sets are sent on this pipe
    store = _open_process_store(config.store_url)
    if backlog is not None and hasattr(store, "mirror_log_backlog"):
        store.mirror_log_backlog(backlog)
    from adapters.grpc.host import rule_tests_option

    host_options = {"initial_files": files, "on_loaded": reports.on_loaded, "on_warnings": reports.on_warnings,
                    "metrics": ServiceMetrics(process=str(index)),
                    **rule_tests_option(config.rule_tests)}
    await run_service(rules_dir=config.rules_dir, address=f"{config.host}:{config.port}", store=store,
                      store_url=config.store_url, workers=0, tls=TlsFiles(*config.tls) if config.tls else None,
                      metrics_port=None, host_options=host_options, max_in_flight=config.max_in_flight,
                      max_health_watches=config.max_health_watches, keepalive=config.keepalive,
                      watch_interval=config.watch_interval, grace=config.grace, reuse_port=True,
                      on_serving=reports.on_serving, stop=stop, stop_signals=(signal.SIGTERM,),
                      now_signal=runtime.NOW_SIGNAL,
                      event_prefix="process ")
