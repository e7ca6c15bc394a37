"""The `--processes N` model: N complete server processes sharing one port, and their supervisor.

Each server process runs the in-process model (adapters/grpc/server.py `run_service`, `workers=0`):
its own grpc.aio server, its own compiled Policy under its own lock, its own store connection and
its own rules-directory watcher, so a call is handled start to finish in the process whose
listening socket the kernel gave the connection to (SO_REUSEPORT balances per connection, not per
call). The supervisor (the process `credit-policy serve` started) does no gRPC work:

- it binds the port itself with SO_REUSEPORT and keeps that socket bound, never listening, for the
  life of the service, so `--port 0` works and the port stays ours while processes come and go;
- it spawns the processes ("spawn": nothing of this process, durable_rules least of all, is
  inherited), waits until each reports over its pipe that it serves (pid, port, policy version),
  and only then logs the one `serving` event;
- it forwards SIGHUP (each process reloads) and turns SIGTERM/SIGINT into SIGTERM for every process
  (each drains for --grace), then exits 0. The processes ignore SIGINT, so Ctrl-C, which the
  terminal sends to the whole process group, stops the service once, through here;
- it restarts a process that dies (logged at ERROR with pid and exit code), at once if it had
  served for a while, else after a growing pause (0.5 s doubling to 30 s). The replacement starts
  from the last good rule files, not from the rules directory: every process sends the files
  ({relative path: text}, size-bounded by the rules loader) of each version it loads from the
  directory, with its `serving` message and after each reload, and the supervisor keeps the latest.
  So a broken rule set lying in the directory (which the running processes refused) cannot keep
  the replacement from serving the version its siblings serve; its watcher then reads the
  directory as every process does. The first start of the service compiles the directory (and
  does not happen if it is broken);
- with --metrics-port it serves /metrics for all processes from prometheus_client's
  multiprocess directory (adapters/grpc/metrics.py).

A process whose supervisor disappears (its pipe reads EOF) stops as on SIGTERM.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adapters.grpc import runtime
from adapters.grpc.logs import configure_logging, event
from adapters.grpc.runtime import CannotListen
from policy_engine.build import build_id

if TYPE_CHECKING:
    from adapters.grpc.metrics import MultiProcessEndpoint

STABLE_SECONDS = 10.0
"""A process that served at least this long before dying is restarted at once."""
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 30.0
"""Pauses before restarting a process that keeps dying early: 0.5 s, doubling, at most 30 s."""
START_TIMEOUT = 120.0
"""How long the first start of every process may take."""
KILL_AFTER = 10.0
"""Seconds past --grace before a process that has not stopped is killed."""
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


class StartupFailed(Exception):
    """A server process could not start (the service then does not start either)."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or []


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


# ---- the server process ----


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

    return open_store(store_url, upgrade=False, background_audit=True)  # the supervisor migrated it


def process_main(conn: Any, config: ProcessConfig, index: int = 0, files: dict[str, str] | None = None,
                 backlog: Any = None) -> None:
    """A server process (spawned) in slot `index`: serve until SIGTERM or until the supervisor is gone.

    With `files` (the last good rule files, from the supervisor) it starts from those instead of
    compiling the rules directory. Messages to the supervisor: `("serving", pid, port, version,
    files)` once (files None when it started from the supervisor's), `("loaded", pid, version,
    files)` after each reload, `("failed", error, problems, traceback)` if it could not start.
    `backlog` (shared memory) is kept equal to its decision-log writer's backlog.
    """
    # SIGINT is the supervisor's (Ctrl-C reaches the whole group); SIGHUP waits for the reload
    # handler run_service installs. The supervisor started us with SIGINT blocked and ignored.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGHUP, signal.SIGTERM})
    configure_logging(config.log_level)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_PidFilter(index))
    serving = False
    loaded: dict[str, str] | None = None  # the version's files, sent with `serving`

    def on_loaded(version: str, loaded_files: dict[str, str]) -> None:
        nonlocal loaded
        if not serving:
            loaded = loaded_files
            return
        try:
            conn.send(("loaded", os.getpid(), version, loaded_files))
        except OSError:
            pass  # the supervisor is gone: the pipe's EOF stops us

    def on_serving(port: int, version: str) -> None:
        nonlocal serving
        serving = True
        event("process serving", port=port, version=version, event_loop=runtime.loop_name(asyncio.get_running_loop()),
              python=runtime.interpreter(), build=build_id())
        conn.send(("serving", os.getpid(), port, version, None if files is not None else loaded))

    from adapters.grpc.host import EngineBroken

    try:
        runtime.run(_serve_process(conn, config, index, files, on_serving, on_loaded, backlog), config.event_loop)
    except EngineBroken:  # logged (`engine closed`, `process stopped`); the supervisor starts a fresh process
        raise SystemExit(runtime.ENGINE_BROKEN_EXIT) from None
    except BaseException as exc:
        if serving:
            event("process failed", logging.ERROR, error=f"{type(exc).__name__}: {exc}",
                  exception=traceback.format_exc())
        else:  # the supervisor reports it (once, not once per process)
            problems = [str(p) for p in getattr(exc, "problems", None) or []]
            detail = "" if problems else traceback.format_exc()
            try:
                conn.send(("failed", f"{type(exc).__name__}: {exc}" if not problems else "the rules have problems",
                           problems, detail))
            except OSError:
                pass
        raise SystemExit(1) from None


async def _serve_process(conn: Any, config: ProcessConfig, index: int, files: dict[str, str] | None,
                         on_serving: Callable[[int, str], None],
                         on_loaded: Callable[[str, dict[str, str]], None], backlog: Any = None) -> None:
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

    host_options = {"initial_files": files, "on_loaded": on_loaded, "metrics": ServiceMetrics(process=str(index)),
                    **rule_tests_option(config.rule_tests)}
    await run_service(rules_dir=config.rules_dir, address=f"{config.host}:{config.port}", store=store,
                      store_url=config.store_url, workers=0, tls=TlsFiles(*config.tls) if config.tls else None,
                      metrics_port=None, host_options=host_options, max_in_flight=config.max_in_flight,
                      watch_interval=config.watch_interval, grace=config.grace, reuse_port=True,
                      on_serving=on_serving, stop=stop, stop_signals=(signal.SIGTERM,), event_prefix="process ")


# ---- the port ----


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
    try:
        infos = list(dict.fromkeys((info[0], info[4][:2]) for info in socket.getaddrinfo(
            _bind_host(host), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)))
    except OSError as exc:  # socket.gaierror: a host name that does not resolve
        raise CannotListen(f"cannot listen on {address}: address lookup failed: {exc.strerror or exc}") from exc
    if port:
        for family, sockaddr in infos:
            probe = _socket_for(family, sockaddr, reuse_port=False)
            try:
                probe.bind(sockaddr)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:  # the same words as a single server's (server._add_port)
                    raise CannotListen(f"cannot listen on {address}: {os.strerror(exc.errno)}") from exc
            finally:
                probe.close()
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


# ---- the supervisor ----


@dataclass
class _Slot:
    """One of the N places a server process runs in; its process is replaced when it dies."""

    index: int
    process: Any = None
    conn: Any = None
    pid: int = 0
    serving_since: float | None = None
    version: str = ""
    failures: int = 0
    replaces: int | None = None
    failure: tuple[str, list[str], str] | None = None
    restart: asyncio.TimerHandle | None = None
    exited: asyncio.Event = field(default_factory=asyncio.Event)
    reader: threading.Thread | None = None
    """Receives the process's messages (_read_messages)."""
    backlog: Any = None
    """The process's decision-log backlog in shared memory (the writer keeps it): what a process that
    dies took with it unwritten."""


class Supervisor:
    """Spawns, watches, restarts and stops the server processes."""

    def __init__(self, config: ProcessConfig, processes: int, *, address: str = "",
                 metrics: MultiProcessEndpoint | None = None, metrics_port: int | None = None):
        self.config = config
        self.address = address or f"{config.host}:{config.port}"
        self.metrics = metrics
        self.metrics_port = metrics_port
        self._ctx = multiprocessing.get_context("spawn")
        self._slots = [_Slot(i) for i in range(processes)]
        self._good: tuple[str, dict[str, str]] | None = None
        """The last good version some process loaded from the rules directory, and its files."""
        self._stopping = False
        self._announced = False
        self._stop = asyncio.Event()
        self._started: asyncio.Future[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- running --

    async def run(self) -> None:
        """Start every process, announce `serving`, supervise until SIGTERM/SIGINT, stop them all."""
        loop = asyncio.get_running_loop()
        started: asyncio.Future[None] = loop.create_future()
        self._started = started
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._request_stop, sig)
        loop.add_signal_handler(signal.SIGHUP, self._forward_reload)
        stopped: asyncio.Future[Any] = loop.create_task(self._stop.wait())
        try:
            for slot in self._slots:
                self._spawn(slot)
            done, _ = await asyncio.wait({started, stopped}, timeout=START_TIMEOUT,
                                         return_when=asyncio.FIRST_COMPLETED)
            if started in done:
                started.result()  # raises StartupFailed
                self._announce()
                await self._stop.wait()
            elif stopped not in done:
                raise StartupFailed(f"the server processes did not start within {START_TIMEOUT:g} s")
        finally:
            stopped.cancel()
            await self._shutdown()

    def _request_stop(self, sig: signal.Signals) -> None:
        if not self._stop.is_set():
            event("stop requested", signal=sig.name)
        self._stop.set()

    def _forward_reload(self) -> None:
        pids = [s.pid for s in self._slots if s.process is not None and s.serving_since is not None]
        event("reload requested", trigger="SIGHUP", pids=pids)
        for pid in pids:
            _signal(pid, signal.SIGHUP)

    def _announce(self) -> None:
        self._announced = True
        versions = Counter(s.version for s in self._slots)
        tls = self.config.tls
        event("serving", port=self.config.port, address=self.address,
              tls=tls is not None, mutual_tls=bool(tls and tls[2]), workers=0,
              processes=len(self._slots), metrics_port=self.metrics_port, version=versions.most_common(1)[0][0],
              pids=[s.pid for s in self._slots], build=build_id())

    # -- one process --

    def _spawn(self, slot: _Slot) -> None:
        slot.restart = None
        if self._stopping:
            return
        loop = asyncio.get_running_loop()
        conn, child = self._ctx.Pipe(duplex=True)
        files = self._good[1] if self._good is not None else None  # none yet: the first start
        slot.backlog = self._ctx.RawValue("q", 0)
        process = self._ctx.Process(target=process_main, args=(child, self.config, slot.index, files, slot.backlog),
                                    daemon=True, name=f"credit-policy-server-{slot.index}")
        # The child inherits SIGINT ignored (and blocked, so one arriving now waits for us): Ctrl-C
        # must not interrupt it half-started; it unblocks SIGINT, still ignored, when it runs.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            process.start()
        except OSError as exc:  # out of processes or memory: try again later
            conn.close()
            if not self._announced:
                raise
            slot.failures += 1
            delay = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (slot.failures - 1))
            event("server process not started", logging.ERROR, error=str(exc), retry_in_seconds=delay)
            slot.restart = loop.call_later(delay, self._spawn, slot)
            return
        finally:
            signal.signal(signal.SIGINT, previous)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
            child.close()
        slot.process, slot.conn, slot.pid = process, conn, process.pid or 0
        slot.serving_since, slot.failure = None, None
        slot.exited = asyncio.Event()
        slot.reader = threading.Thread(target=self._read_messages, args=(slot, conn, loop), daemon=True,
                                       name=f"credit-policy-server-{slot.index}-messages")
        slot.reader.start()
        loop.add_reader(process.sentinel, self._on_exit, slot, process, conn)

    def _read_messages(self, slot: _Slot, conn: Any, loop: asyncio.AbstractEventLoop) -> None:
        """In a thread of its own, one per process: receive the process's messages until its end of the
        pipe closes, and hand each to the event loop (_handle, in order). A message can carry a whole
        rule set, up to the loader's bounds; received here, it never holds up the event loop, even if
        the process stalls halfway through sending it."""
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                return
            except Exception as exc:  # a message that does not unpickle: log it, keep reading
                error = f"{type(exc).__name__}: {exc}"
                loop.call_soon_threadsafe(functools.partial(event, "server process message unreadable",
                                                            logging.ERROR, process=slot.index, error=error))
                continue
            try:
                loop.call_soon_threadsafe(self._handle, slot, message)
            except RuntimeError:  # the loop has closed: nobody is left to tell
                return

    def _handle(self, slot: _Slot, message: tuple[Any, ...]) -> None:
        if message[0] == "serving" and message[1] == slot.pid:
            _, _pid, _port, slot.version, files = message
            if files is not None:
                self._good = (slot.version, files)
            slot.serving_since = time.monotonic()
            if slot.replaces is not None:
                event("server process replaced", pid=slot.pid, previous_pid=slot.replaces, process=slot.index,
                      version=slot.version)
                slot.replaces = None
            if (not self._announced and self._started is not None and not self._started.done()
                    and all(s.serving_since is not None for s in self._slots)):
                self._started.set_result(None)
        elif message[0] == "loaded" and message[1] == slot.pid:
            _, _pid, version, files = message
            slot.version, self._good = version, (version, files)
        elif message[0] == "failed":
            slot.failure = (message[1], list(message[2]), message[3])

    def _on_exit(self, slot: _Slot, process: Any, conn: Any) -> None:
        loop = asyncio.get_running_loop()
        loop.remove_reader(process.sentinel)
        task = loop.create_task(self._reap(slot, process, conn))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reap(self, slot: _Slot, process: Any, conn: Any) -> None:
        await asyncio.to_thread(process.join, 5)
        # The reader ends at the pipe's EOF, once it has handed over the last messages (why the process
        # failed, say): they were queued on the loop before the join returned, so they are handled first.
        if slot.reader is not None:
            await asyncio.to_thread(slot.reader.join, 5)
        await asyncio.sleep(0)
        if slot.reader is None or not slot.reader.is_alive():
            conn.close()  # else a stalled reader still holds it (a process that left the pipe open elsewhere)
        slot.reader = None
        unwritten = slot.backlog.value if slot.backlog is not None else 0  # 0 when it stopped cleanly
        if self.metrics is not None:
            self.metrics.process_gone(process.pid)
            if unwritten:
                self.metrics.count_lost(unwritten)
        slot.process, slot.conn = None, None
        slot.exited.set()
        code = process.exitcode
        if self._stopping:
            event("server process stopped", pid=process.pid, process=slot.index, exitcode=code,
                  **({"unwritten_decisions": unwritten} if unwritten else {}))
            return
        served = None if slot.serving_since is None else time.monotonic() - slot.serving_since
        if not self._announced:
            if self._started is not None and not self._started.done():
                message, problems, _detail = slot.failure or (f"a server process exited ({code})", [], "")
                self._started.set_exception(StartupFailed(message, problems))
            return
        if served is not None and served >= STABLE_SECONDS:
            slot.failures, delay = 0, 0.0
        else:
            slot.failures += 1
            delay = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (slot.failures - 1))
        fields: dict[str, Any] = {"pid": process.pid, "process": slot.index, "exitcode": code,
                                  "cause": runtime.exit_cause(code),
                                  "unwritten_decisions": unwritten, "restart_in_seconds": delay,
                                  "served_seconds": None if served is None else round(served, 3)}
        if slot.failure:
            fields |= {"error": slot.failure[0], "problems": slot.failure[1]}
            if slot.failure[2]:
                fields["exception"] = slot.failure[2]
        event("server process died", logging.ERROR, **fields)
        slot.replaces = process.pid if slot.replaces is None else slot.replaces
        slot.restart = asyncio.get_running_loop().call_later(delay, self._spawn, slot)

    # -- stopping --

    async def _shutdown(self) -> None:
        self._stopping = True
        if self._started is not None and not self._started.done():
            self._started.cancel()
        live = [s for s in self._slots if s.process is not None]
        event("stopping", grace_seconds=self.config.grace, pids=[s.pid for s in live])
        for slot in self._slots:
            if slot.restart is not None:
                slot.restart.cancel()
                slot.restart = None
        for slot in live:
            _signal(slot.pid, signal.SIGTERM)
        waits = [asyncio.ensure_future(s.exited.wait()) for s in live]
        if waits:
            _, pending = await asyncio.wait(waits, timeout=self.config.grace + KILL_AFTER)
            if pending:
                for slot in live:
                    if slot.process is not None:
                        event("server process killed", logging.ERROR, pid=slot.pid,
                              reason=f"still running {self.config.grace + KILL_AFTER:g} s after SIGTERM")
                        slot.process.kill()
                await asyncio.wait(pending, timeout=10)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def _signal(pid: int, sig: signal.Signals) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def run_supervised(config: ProcessConfig, processes: int, metrics_port: int | None = None) -> None:
    """Serve with `processes` server processes on one port until SIGTERM/SIGINT.

    Raises StartupFailed when a process cannot start (say, the rules have problems) and OSError
    when the port cannot be bound.
    """
    address = f"{config.host}:{config.port}"
    sockets, port = reserve_port(config.host, config.port)
    metrics_dir = None
    endpoint = None
    try:
        if metrics_port is not None:
            metrics_dir = tempfile.mkdtemp(prefix="credit-policy-metrics-")
            os.environ[MULTIPROC_ENV] = metrics_dir  # before any server process imports prometheus_client
            from adapters.grpc.metrics import MultiProcessEndpoint

            endpoint = MultiProcessEndpoint(metrics_dir)
            metrics_port = endpoint.serve(metrics_port)
        else:
            os.environ.pop(MULTIPROC_ENV, None)  # no stale directory of someone else's
        supervisor = Supervisor(replace(config, port=port), processes, address=address, metrics=endpoint,
                                metrics_port=metrics_port)
        asyncio.run(supervisor.run())
        event("stopped")
    finally:
        if endpoint is not None:
            endpoint.close()
        if metrics_dir is not None:
            os.environ.pop(MULTIPROC_ENV, None)
            shutil.rmtree(metrics_dir, ignore_errors=True)
        for sock in sockets:
            sock.close()
