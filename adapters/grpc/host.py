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
a newer good one). `on_loaded(version, files)` is told of every version it loads, the first included.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters.grpc.compile_child import compile_in_child
from adapters.grpc.engines import DEFAULT_FILES_LOADER, Engine, InProcessEngine, WorkerPoolEngine
from adapters.grpc.logs import event
from adapters.grpc.memory_store import BoundedMemoryStore
from adapters.grpc.metrics import ServiceMetrics
from policy_engine.ports import CustomerStore, InMemoryStore
from policy_engine.rules.loader import scan_rules_dir


class EngineBroken(RuntimeError):
    """The server process stopped because its in-process engine closed after repeated failures."""


@dataclass(frozen=True)
class RefusedAttempt:
    """A reload that was refused, with every problem found."""

    attempted_at: datetime
    problems: list[Any]
    error: str = ""


@dataclass
class Served:
    """The version being served: its policy (for GetPolicy) and the engine that decides."""

    policy: Any
    engine: Engine
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))


DIR_SERVED, DIR_REFUSED, DIR_NOT_READ = "SERVED", "REFUSED", "NOT_READ"
"""GetPolicy's `rules_dir_state`: the rules directory, as last read, holds the version served / a rule
set that was refused / has not been read by this process yet."""

Fingerprint = tuple[tuple[Any, ...], ...]
_NOT_READ: Fingerprint = (("not read",),)
"""The fingerprint of a directory not read yet: differs from every real one, so the watcher reloads."""


def _fingerprint(rules_dir: Path) -> Fingerprint:
    """What the watcher compares: the files a reload reads (rule files and test cases, as
    `scan_rules_dir` lists them) with their inode, size, mode and change times, and what could not
    be read. The ctime moves on every change to a file, its permissions included, even when a tool
    puts its mtime back (`cp -p`, `rsync -t`, `tar`); the inode, when a file is replaced by a rename.
    Other files are not looked at: a log written next to the rules, or a `.git/` with thousands of
    objects, neither costs the scan time nor holds a reload back. Never raises for the file system."""
    tree = scan_rules_dir(rules_dir)
    entries: list[tuple[Any, ...]] = []
    for path in (*tree.rule_files, *tree.case_files):
        try:
            st = path.stat()
        except OSError as exc:  # gone since it was listed, or unreadable: part of what changed
            entries.append((str(path), "error", exc.errno))
            continue
        entries.append((str(path), st.st_ino, st.st_size, st.st_mode, st.st_mtime_ns, st.st_ctime_ns))
    entries.extend(("problem", str(p)) for p in (*tree.problems, *tree.case_problems))
    return tuple(entries)


@dataclass(frozen=True)
class PolicySummary:
    """What the front process keeps of a version read in a child process: what GetPolicy, the store
    and `on_loaded` need, and the compiled program's bytes (empty when the loader's policy has none)
    from which a serving process builds the engine in ~2 ms, without reading the files again."""

    version: str
    rule_ids: list[str]
    files: dict[str, str]
    program: bytes = b""


def summarise_policy(load_policy: Callable[[Path], Any], rules_dir: Path) -> PolicySummary:
    """Run in a child process: read, lint and compile the directory (and run its cases, with
    --rule-tests) as `load_policy` does; PolicyLoadError with every problem, else the summary."""
    from policy_engine.api import program_bytes

    policy = load_policy(rules_dir)
    try:
        try:
            program = program_bytes(policy) if hasattr(policy, "program") else b""
        except Exception:  # a loader of another kind: the serving processes compile from the files
            program = b""
        return PolicySummary(policy.version, list(policy.rule_ids), dict(policy.files), program)
    finally:
        policy.close()


def _picklable(value: Any) -> bool:
    """Can `value` go to a child process (a module-level function can; a lambda a test passes cannot)?"""
    import pickle

    try:
        pickle.dumps(value)
    except Exception:
        return False
    return True


def rule_tests_option(rule_tests: bool) -> dict[str, Any]:
    """PolicyHost options for `serve --rule-tests` (off by default): a rule set read from the directory (at start or
    on a reload) is taken only if the cases in its tests/ pass; a failing or malformed case is a
    problem like a rule-file problem, so the reload is refused and the old version keeps serving."""
    if not rule_tests:
        return {}
    from policy_engine.casetests import load_tested_policy

    return {"load_policy": load_tested_policy}


class PolicyHost:
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
        load_in_child: bool = True,
    ):
        if load_policy is None:
            from policy_engine.api import load_policy as default_loader

            load_policy = default_loader
        if load_policy_from_files is None:
            from policy_engine.api import load_policy_from_files as default_files_loader

            load_policy_from_files = default_files_loader
        self.rules_dir = Path(rules_dir)
        self.workers = workers
        # `store` keeps each version's rule files; with workers=0 it also serves the decisions
        # (a SQL one on a thread of its own: it blocks). With workers>0 each worker opens
        # `store_url` itself (none: an in-memory store of its own) for customers and the audit log.
        self.store: CustomerStore = store if store is not None else BoundedMemoryStore()
        self.store_url = store_url
        self._store_thread = (None if isinstance(self.store, InMemoryStore)
                              else ThreadPoolExecutor(1, thread_name_prefix="store"))
        self.metrics = metrics or ServiceMetrics()
        self._load_policy = load_policy
        self._load_in_child = load_in_child and _picklable(load_policy)
        self._load_policy_from_files = load_policy_from_files
        self._files_loader = files_loader
        self._initial_files = initial_files
        self._on_loaded = on_loaded
        self._served: Served | None = None
        self.last_refused: RefusedAttempt | None = None
        """The last reload that was refused (history: kept after a later success)."""
        self.rules_dir_state = DIR_NOT_READ
        """What the rules directory held when last read: DIR_SERVED, DIR_REFUSED or DIR_NOT_READ."""
        self._reload_lock = asyncio.Lock()
        self._fingerprint: Fingerprint = ()
        self._retired: dict[asyncio.Task[None], Engine] = {}
        """Engines swapped out and still draining (their workers' decision logs included)."""
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
        """Load the rules directory (on a thread; PolicyLoadError if it has problems). While serving, the
        rule set is read, linted and compiled in a child process: compiled on a thread here it held the
        GIL for a few hundred ms a reload (far longer for a big rule set), and every call in flight
        waited behind it (bench/bench_reload_under_load.py). The child sends back the version's summary
        and its compiled program: with engine workers that is all the front process keeps (the workers
        build the engine from the program), and an in-process engine is built from it here in ~2 ms.
        Before the first version serves there is nobody to keep waiting, and a thread starts the
        service ~0.5 s sooner."""
        if serving and self._load_in_child:
            summary = compile_in_child(self._load_policy, self.rules_dir)
            if self.workers > 0:
                return summary
            if summary.program:
                from policy_engine.api import policy_from_program

                return policy_from_program(summary.program)
        return self._load_policy(self.rules_dir)

    async def start(self) -> None:
        """Load the first version: from `initial_files` if given, else from the rules directory (a
        broken one raises PolicyLoadError)."""
        files, self._initial_files = self._initial_files, None
        if files is None:
            self._fingerprint = await asyncio.to_thread(_fingerprint, self.rules_dir)
            policy = await asyncio.to_thread(self._read_directory, False)
        else:
            self._fingerprint = _NOT_READ  # the watcher's first tick reads the directory
            policy = await asyncio.to_thread(self._load_policy_from_files, files)
        await self._record_policy(policy)
        self._served = Served(policy, await self._engine_for(policy))
        self._dir_state(DIR_SERVED if files is None else DIR_NOT_READ)
        self.metrics.policy_loaded(policy.version)
        event("policy loaded", version=policy.version, rules_dir=str(self.rules_dir),
              rules=len(policy.rule_ids), workers=self.workers,
              source="rules directory" if files is None else "given files")
        self._loaded(policy)

    def _loaded(self, policy: Any) -> None:
        if self._on_loaded is None:
            return
        try:
            self._on_loaded(policy.version, dict(getattr(policy, "files", {})))
        except Exception as exc:  # the version is served either way; only the listener missed it
            event("policy load not reported", logging.ERROR, version=policy.version,
                  error=f"{type(exc).__name__}: {exc}")

    async def _record_policy(self, policy: Any) -> None:
        """Keep the version's rule files in the store, so its decisions can be replayed."""
        record = getattr(self.store, "record_policy", None)
        if record is None:
            return
        if self._store_thread is None:
            record(policy)
        else:
            await asyncio.get_running_loop().run_in_executor(self._store_thread, record, policy)

    async def _engine_for(self, policy: Any, serving: Engine | None = None) -> Engine:
        """The engine for a new version: the serving worker pool itself when the version could be
        swapped into its running workers (`WorkerPoolEngine.load`), else a new one."""
        if self.workers <= 0:
            return InProcessEngine(policy, self.store, self._store_thread, on_broken=self._engine_broken)
        program = getattr(policy, "program", b"")
        if isinstance(serving, WorkerPoolEngine) and isinstance(program, bytes) and program:
            if await serving.load(program, policy.version, dict(policy.files)):
                return serving
        pool = WorkerPoolEngine(dict(policy.files), self.workers, self._files_loader, self.store_url,
                                on_log_loss=self.metrics.log_failures.inc)
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

    async def reload(self, trigger: str = "manual") -> bool:
        """Compile the rules directory off to the side; swap it in if it is good. True if swapped."""
        async with self._reload_lock:
            self._fingerprint = await asyncio.to_thread(_fingerprint, self.rules_dir)
            try:
                policy = await asyncio.to_thread(self._read_directory, True)
            except Exception as exc:
                self._refuse(trigger, exc)
                return False
            if policy.version == self.served.policy.version:
                was: dict[str, Any] = {"was": "refused"} if self.rules_dir_state == DIR_REFUSED else {}
                event("policy unchanged", version=policy.version, trigger=trigger, **was)
                self._dir_state(DIR_SERVED)
                self._discard(policy)
                return False
            try:
                await self._record_policy(policy)
                engine = await self._engine_for(policy, self.served.engine)
            except Exception as exc:
                self._discard(policy)
                self._refuse(trigger, exc)
                return False
            old = self.served
            self._served = Served(policy, engine)  # the atomic swap: one assignment
            self._dir_state(DIR_SERVED)
            self.metrics.reload_counted("success")
            self.metrics.policy_loaded(policy.version)
            in_place = engine is old.engine
            detail: dict[str, Any] = {"workers": "kept"} if in_place else {}
            event("policy reloaded", version=policy.version, previous=old.policy.version, trigger=trigger, **detail)
            self._loaded(policy)
            if self.workers > 0:
                self._discard(old.policy)  # the server's copy only ever answered GetPolicy
            if in_place:  # the same workers serve the new version; nothing to drain
                return True
            task = asyncio.create_task(old.engine.aclose())
            self._retired[task] = old.engine
            task.add_done_callback(self._retired.pop)
            return True

    def _dir_state(self, state: str) -> None:
        self.rules_dir_state = state
        self.metrics.rules_dir_refused.set(1 if state == DIR_REFUSED else 0)

    def _discard(self, policy: Any) -> None:
        close = getattr(policy, "close", None)
        if close is not None:
            close()

    def _refuse(self, trigger: str, exc: Exception) -> None:
        problems = list(getattr(exc, "problems", []) or [])
        self.last_refused = RefusedAttempt(datetime.now(UTC), problems, "" if problems else repr(exc))
        self._dir_state(DIR_REFUSED)
        self.metrics.reload_counted("failure")
        event("policy reload refused", logging.ERROR, trigger=trigger, rules_dir=str(self.rules_dir),
              serving=self.served.policy.version, problems=[str(p) for p in problems] or [repr(exc)])

    async def watch(self, interval: float = 1.0, settle: float = 0.3) -> None:
        """Poll the rules directory; reload when its files change (runs until cancelled). The directory is
        read on a thread, not the event loop. Nothing stops the watching but cancellation: an error is
        logged (`rules watch failed`, once until it changes or clears) and the next tick tries again."""
        failing = ""
        while True:
            await asyncio.sleep(interval)
            try:
                current = await asyncio.to_thread(_fingerprint, self.rules_dir)
                if current != self._fingerprint:
                    await asyncio.sleep(settle)  # let an editor or a copy finish writing
                    if await asyncio.to_thread(_fingerprint, self.rules_dir) == current:
                        await self.reload("watch")
                if failing:
                    failing = ""
                    event("rules watch recovered", rules_dir=str(self.rules_dir))
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                if error != failing:
                    failing = error
                    event("rules watch failed", logging.ERROR, rules_dir=str(self.rules_dir), error=error,
                          action="still watching: tried again every interval; SIGHUP reloads too")

    def log_backlog(self) -> int:
        """Decisions answered and not yet written to the decision log (the metrics' gauge; any thread)."""
        if self._served is None:
            return 0
        if self.workers <= 0:  # one store, and one writer, for every version
            return int(self._served.engine.log_backlog())
        engines = [self._served.engine, *list(self._retired.values())]
        return sum(e.log_backlog() for e in engines)

    async def aclose(self) -> None:
        """Stop the served engine and any engine still draining."""
        if self._retired:
            await asyncio.gather(*self._retired, return_exceptions=True)
        if self._served is not None:
            await self._served.engine.aclose()
        if self._store_thread is not None:
            self._store_thread.shutdown(wait=True)
        if hasattr(self.store, "close"):
            self.store.close()
