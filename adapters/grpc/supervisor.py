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

The parts: the server process in server_process.py, the port in shared_port.py, the process slots
(spawn, reap, restart back-off) in process_slots.py and the thread receiving each process's messages
in process_messages.py; `Supervisor` here runs them, and `run_supervised` is the entry point.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import shutil
import signal
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from adapters.grpc.logs import event
from adapters.grpc.process_messages import ProcessMessages
from adapters.grpc.process_slots import StartupFailed, _Slot
from adapters.grpc.runtime import NOW_SIGNAL, open_files_limit, store_shown
from adapters.grpc.server_process import ProcessConfig
from adapters.grpc.shared_port import reserve_port
from adapters.grpc.start_stop import DURING, take_kept_signal
from policy_engine.build import build_id

if TYPE_CHECKING:
    from adapters.grpc.metrics_multiprocess import MultiProcessEndpoint

__all__ = ["ProcessConfig", "StartupFailed", "Supervisor", "reserve_port", "run_supervised"]

START_TIMEOUT = 120.0
"""How long the first start of every process may take."""
KILL_AFTER = 10.0
"""Seconds past --grace before a process that has not stopped is killed."""
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


class Supervisor(ProcessMessages):
    """Spawns, watches, restarts and stops the server processes."""

    def __init__(self, config: ProcessConfig, processes: int, *, address: str = "",
                 metrics: MultiProcessEndpoint | None = None, metrics_port: int | None = None,
                 before_serving: Callable[[], None] | None = None):
        self.config = config
        self.before_serving = before_serving
        """Called once every process serves, just before `serving` is logged (serve's start-up warnings)."""
        self.address = address or f"{config.host}:{config.port}"
        self.metrics = metrics
        self.metrics_port = metrics_port
        self._ctx = multiprocessing.get_context("spawn")
        self._slots = [_Slot(i) for i in range(processes)]
        if metrics is not None:
            metrics.track_processes(processes, self._serving_processes, self._process_pids)
        self._good: tuple[str, dict[str, str]] | None = None
        """The last good version some process loaded from the rules directory, and its files."""
        self._warnings_version: str | None = None
        """The version a process last told its lint warnings of: said once (process_messages.py)."""
        self._stopping = False
        self._announced = False
        self._stop = asyncio.Event()
        self._stop_signal: str | None = None
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
        kept = take_kept_signal()  # one that came while the store was migrated (start_stop.py)
        if kept is not None:
            self._request_stop(kept)
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

    def _serving_processes(self) -> int:
        """Processes that have reported serving and are not yet reaped (the metrics' gauge: any thread)."""
        return sum(1 for s in list(self._slots) if s.process is not None and s.serving_since is not None)

    def _process_pids(self) -> dict[str, int]:
        """The slots' processes not yet reaped, {slot: pid} (the metrics' process figures: any thread)."""
        return {str(s.index): s.pid for s in list(self._slots) if s.process is not None and s.pid}

    def _request_stop(self, sig: signal.Signals) -> None:
        if self._stop.is_set():  # a second one means now: NOW_SIGNAL, not SIGTERM (server_stop.py says why)
            event("stopping now", logging.WARNING, signal=sig.name, pids=[s.pid for s in self._slots if s.process])
            for slot in self._slots:
                if slot.process is not None:
                    _signal(slot.pid, NOW_SIGNAL)
            return
        event("stop requested", signal=sig.name)
        self._stop_signal = sig.name
        self._stop.set()

    def _forward_reload(self) -> None:
        pids = [s.pid for s in self._slots if s.process is not None and s.serving_since is not None]
        event("reload requested", trigger="SIGHUP", pids=pids)
        for pid in pids:
            _signal(pid, signal.SIGHUP)

    def _announce(self) -> None:
        self._announced = True
        if self.before_serving is not None:
            self.before_serving()
        versions = Counter(s.version for s in self._slots)
        tls = self.config.tls
        event("serving", port=self.config.port, address=self.address,
              tls=tls is not None, mutual_tls=bool(tls and tls[2]), workers=0,
              processes=len(self._slots), metrics_port=self.metrics_port, store=store_shown(self.config.store_url),
              version=versions.most_common(1)[0][0],
              pids=[s.pid for s in self._slots], build=build_id(), open_files_limit=open_files_limit())

    # -- stopping --

    def stop_fields(self) -> dict[str, Any]:
        """`during` for the `stopping` and `stopped` lines of a stop before `serving`: the processes were starting."""
        return {} if self._announced else {"during": DURING}

    async def _shutdown(self) -> None:
        self._stopping = True
        if self._started is not None and not self._started.done():
            self._started.cancel()
        live = [s for s in self._slots if s.process is not None]
        event("stopping", grace_seconds=self.config.grace, pids=[s.pid for s in live], signal=self._stop_signal,
              **self.stop_fields())
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


def run_supervised(config: ProcessConfig, processes: int, metrics_port: int | None = None,
                   before_serving: Callable[[], None] | None = None) -> None:
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
            from adapters.grpc.metrics import metrics_host
            from adapters.grpc.metrics_multiprocess import MultiProcessEndpoint

            endpoint = MultiProcessEndpoint(metrics_dir)
            metrics_port = endpoint.serve(metrics_port, metrics_host(address))
        else:
            os.environ.pop(MULTIPROC_ENV, None)  # no stale directory of someone else's
        supervisor = Supervisor(replace(config, port=port), processes, address=address, metrics=endpoint,
                                metrics_port=metrics_port, before_serving=before_serving)
        asyncio.run(supervisor.run())
        event("stopped", **supervisor.stop_fields())
    finally:
        if endpoint is not None:
            endpoint.close()
        if metrics_dir is not None:
            os.environ.pop(MULTIPROC_ENV, None)
            shutil.rmtree(metrics_dir, ignore_errors=True)
        for sock in sockets:
            sock.close()
