"""The policy host: serves one compiled version, reloads a new one off to the side, swaps atomically.

A reload compiles and lints the rules directory in a child process, without touching the version
being served; a version with problems is refused (every `file:line:col: code: message` is logged and
kept for GetPolicy) and the old version keeps serving. A good version gets its engine fully ready
(built into the running engine workers, or a new set of them started) before one assignment makes
it current; an old engine that is not the new one then drains.

A host can also start from given rule files (`initial_files`, {relative path: text}) instead of the
directory: the `--processes` supervisor starts a replacement server process from the files its
siblings serve, so a broken rule set lying in the directory cannot keep it from starting. Its
watcher then reads the directory at its first tick like any reload (refusing a broken set, taking
a newer good one). `on_loaded(version, files)` is told of every version it loads, the first included, and so is
`on_warnings(version, fields)`, with the `policy warnings` line's fields of lint's warnings on it (`{}` when none:
versions.ServedWarnings); without it, a version with warnings is logged as `policy warnings` (a `--processes`
server process leaves that to its supervisor, once per version).

Beside it: the reloads and their outcomes (adapters/grpc/host_reload.py), its store and the store file
going and coming back (adapters/grpc/host_store.py), the watcher
(adapters/grpc/rules_watch.py), reading a version off to the side (adapters/grpc/rules_source.py) and
what is kept of versions (adapters/grpc/versions.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adapters.grpc import rules_watch
from adapters.grpc.compile_memory import COMPILE_MEMORY_MB
from adapters.grpc.compile_zygote import RulesCompiler
from adapters.grpc.engines import DEFAULT_FILES_LOADER, Engine, InProcessEngine, WorkerPoolEngine
from adapters.grpc.host_reload import PolicyReloads
from adapters.grpc.host_store import HostStore
from adapters.grpc.logs import event, policy_warnings
from adapters.grpc.metrics import ServiceMetrics
from adapters.grpc.rules_content import content_digest
from adapters.grpc.rules_source import PolicySummary as PolicySummary
from adapters.grpc.rules_source import picklable, policy_loaders, program_of, read_rules_dir
from adapters.grpc.rules_source import rule_tests_option as rule_tests_option
from adapters.grpc.start_stop import on_daemon_thread
from adapters.grpc.store_watch import StoreGoneEngine
from adapters.grpc.versions import DIR_NOT_READ as DIR_NOT_READ
from adapters.grpc.versions import DIR_SERVED, Served
from adapters.grpc.versions import EngineBroken as EngineBroken
from policy_engine.domain.errors import StoreUnavailable
from policy_engine.ports import CustomerStore


class PolicyHost(HostStore, PolicyReloads):
    """Owns the served version and every reload of the rules directory."""

    def __init__(
        self,
        rules_dir: str | Path,
        *,
        workers: int = 0,
        store: CustomerStore | None = None,
        store_url: str | None = None,
        metrics: ServiceMetrics | None = None,
        load_policy: Callable[[Path], Any] | None = None,
        files_loader: str = DEFAULT_FILES_LOADER,
        initial_files: dict[str, str] | None = None,
        load_policy_from_files: Callable[[dict[str, str]], Any] | None = None,
        on_loaded: Callable[[str, dict[str, str]], None] | None = None,
        on_warnings: Callable[[str, dict[str, Any]], None] = policy_warnings,
        load_in_child: bool = True,
        compile_memory_mb: int = COMPILE_MEMORY_MB,
    ):
        load_policy, load_policy_from_files = policy_loaders(load_policy, load_policy_from_files)
        self.rules_dir = Path(rules_dir)
        self.workers = workers
        self._hold_store(store, store_url)
        self.metrics = metrics or ServiceMetrics()
        if workers > 0:
            self.metrics.track_engine_workers(workers, self._live_workers, self._worker_pids)
        self._load_policy = load_policy
        self._load_in_child = load_in_child and picklable(load_policy)
        # its process starts at the first reload (compile_zygote.py says why); compile_memory.py bounds each compile
        self._compiler = RulesCompiler(memory_mb=compile_memory_mb)
        self._load_policy_from_files = load_policy_from_files
        self._files_loader = files_loader
        self._initial_files = initial_files
        self._on_loaded = on_loaded
        self._on_warnings = on_warnings
        self._served: Served | None = None
        self._set_up_reloads()
        self.broken: str | None = None
        """Set when the served in-process engine closed after repeated failures (`Policy.engine_broken`):
        this process cannot decide any more and should be replaced (run_service stops it, exit code 3)."""
        self.on_engine_broken: Callable[[str], None] | None = None
        """Told once, with the reason, when `broken` is set."""

    @property
    def served(self) -> Served:
        """The version being served right now."""
        if self._served is None:
            raise RuntimeError("PolicyHost.start() was not awaited")
        return self._served

    @property
    def engine(self) -> Engine:
        """The engine of the version being served (read once per call: the swap is atomic)."""
        return self.served.engine

    def _read_directory(self, serving: bool) -> Any:
        """Load the rules directory (on a thread; PolicyLoadError if it has problems): while serving, in a
        child process (`read_rules_dir` says why)."""
        return read_rules_dir(self._load_policy, self.rules_dir, serving=serving, in_child=self._load_in_child,
                              workers=self.workers, compile_off_to_the_side=self._compiler.compile)

    async def start(self) -> None:
        """Load the first version: from `initial_files` if given, else from the rules directory (a
        broken one raises PolicyLoadError)."""
        files, self._initial_files = self._initial_files, None
        if files is None:
            self._fingerprint = await asyncio.to_thread(rules_watch.fingerprint, self.rules_dir)
            content = await asyncio.to_thread(content_digest, self.rules_dir)
            policy = await on_daemon_thread(self._read_directory, False)  # a stop meanwhile does not wait for it
            if await self._held_still(self._fingerprint):
                self._settled = content
        else:
            self._fingerprint = rules_watch.NOT_READ  # the watcher's first tick reads the directory
            policy = await on_daemon_thread(self._load_policy_from_files, files)
        await self._record_policy(policy)
        self._served = Served(policy, await self._engine_for(policy))
        self._dir_state(DIR_SERVED if files is None else DIR_NOT_READ)
        self._watch_store()
        self.metrics.policy_loaded(policy.version)
        event("policy loaded", version=policy.version, rules_dir=str(self.rules_dir),
              rules=len(policy.rule_ids), workers=self.workers,
              source="rules directory" if files is None else "given files")
        self._loaded(policy)

    def _loaded(self, policy: Any) -> None:
        """Said once a version serves (started or reloaded): lint's warnings on it, then `on_loaded`."""
        self._on_warnings(policy.version, self.served.warnings.log_fields(self.rules_dir))
        if self._on_loaded is None:
            return
        try:
            self._on_loaded(policy.version, dict(getattr(policy, "files", {})))
        except Exception as exc:  # the version is served either way; only the listener missed it
            event("policy load not reported", logging.ERROR, version=policy.version,
                  error=f"{type(exc).__name__}: {exc}")

    async def _engine_for(self, policy: Any, serving: Engine | None = None) -> Engine:
        """The engine for a new version: the serving worker pool itself when the version could be
        swapped into its running workers (`WorkerPoolEngine.load`), else a new one."""
        if isinstance(serving, StoreGoneEngine):  # new workers would make an empty store at the path
            raise StoreUnavailable("the store file is gone from its path")
        if self.workers <= 0:
            return InProcessEngine(policy, self.store, self._store_thread, on_broken=self._engine_broken)
        # Compiled once, here at start or in the reload's child: every worker, and every replacement, builds
        # the engine from this program (~3 ms) and comes up on exactly this version, whatever the directory
        # holds by then; each used to read, lint and compile the files itself (~0.13 CPU-s, and its imports).
        program = program_of(policy)
        if isinstance(serving, WorkerPoolEngine) and program:
            if await serving.load(program, policy.version, dict(policy.files)):
                return serving
        pool = WorkerPoolEngine(dict(policy.files), self.workers, self._files_loader, self.store_url,
                                on_log_loss=self.metrics.log_failures.inc,
                                on_restart=self.metrics.worker_restart_counted, program=program,
                                version=policy.version)
        return await pool.start()

    def _engine_broken(self, engine: InProcessEngine, reason: str) -> None:
        """The in-process engine's ruleset closed after repeated failures: every call would fail from
        now on, and the memory the failures left in the engine only comes back with a fresh process.
        (Worker processes handle this themselves: such a worker exits and the pool replaces it.)"""
        if self.broken is not None or self._served is None or engine is not self._served.engine:
            return  # already reported, or a version a reload has swapped out
        self.broken = reason
        event("engine closed", logging.ERROR, version=engine.version, reason=reason,
              action="this server process stops, to be replaced by a fresh one")
        if self.on_engine_broken is not None:
            self.on_engine_broken(reason)

    def _live_workers(self) -> int:
        """The served version's engine workers taking calls (the metrics' gauge, read at a scrape)."""
        return int(getattr(self._served.engine, "live_workers", 0)) if self._served is not None else 0

    def _worker_pids(self) -> dict[str, int]:
        """The served version's engine workers, {place in the pool: pid} (the metrics' process figures)."""
        return dict(getattr(self._served.engine, "worker_pids", {})) if self._served is not None else {}

    def log_backlog(self) -> int:
        """Decisions answered and not yet written to the decision log (the metrics' gauge; any thread)."""
        if self._served is None:
            return 0
        if self.workers <= 0:  # one store, and one writer, for every version
            return int(self._served.engine.log_backlog())
        engines = [self._served.engine, *list(self._retired.values())]
        return sum(e.log_backlog() for e in engines)

    async def aclose(self) -> None:
        """Stop the served engine and any engine still draining, and the compile process (not waiting for it)."""
        self._stopping = True  # first: a reload the close below cuts short is not logged as a failure
        self._compiler.close()
        if self._store_watch is not None:
            self._store_watch.cancel()
        if self._retired:
            await asyncio.gather(*self._retired, return_exceptions=True)
        if self._served is not None:
            await self._served.engine.aclose()
        if self._store_thread is not None:
            self._store_thread.shutdown(wait=True)
        if hasattr(self.store, "close"):
            self.store.close()
