"""Reloading the policy host's rules directory: compile it off to the side, swap a good version in,
refuse a broken one (the served version keeps serving), try again after a failure that is not about the
rules, and the watcher that starts reloads. `PolicyHost` (adapters/grpc/host.py) is built on this class
and sets up its state.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adapters.grpc import rules_source, rules_watch
from adapters.grpc.engines import Engine
from adapters.grpc.logs import event
from adapters.grpc.metrics import ServiceMetrics
from adapters.grpc.reload_progress import ENGINE, STORE, ReloadProgress
from adapters.grpc.rules_content import content_digest
from adapters.grpc.rules_source import without_store_password
from adapters.grpc.versions import (
    DIR_NOT_READ,
    DIR_PENDING,
    DIR_REFUSED,
    DIR_SERVED,
    FailedAttempt,
    RefusedAttempt,
    Served,
    discard,
)
from policy_engine.ports import CustomerStore


class PolicyReloads:
    """Reloads of the rules directory and their outcomes; the state is set up by `PolicyHost.__init__`."""

    rules_dir: Path
    workers: int
    store: CustomerStore
    store_url: str | None
    metrics: ServiceMetrics
    last_refused: RefusedAttempt | None
    """The last reload that was refused (history: kept after a later success)."""
    last_failed: FailedAttempt | None = None
    """The last reload that failed for a reason other than the rules (GetPolicy shows it while PENDING)."""
    rules_dir_state: str
    """What the rules directory held when last read: DIR_SERVED, DIR_REFUSED, DIR_PENDING or DIR_NOT_READ."""
    _served: Served | None
    _reload_lock: asyncio.Lock
    _fingerprint: rules_watch.Fingerprint
    """The rules directory as the last reload (or start) read it."""
    _retry: rules_watch.Retry | None
    """Set while the last reload failed for a reason other than the rules (`_fail`)."""
    _watching: bool
    _stopping: bool
    """Set by `PolicyHost.aclose`: a reload that fails from then on failed because the service stops."""
    _retired: dict[asyncio.Task[None], Engine]
    """Engines swapped out and still draining (their workers' decision logs included)."""
    _settled: str | None = None
    """The content (rules_content.content_digest) of the directory as last read, when that ended served or
    refused; set at start too."""
    _clock: Callable[[], float] = time.monotonic
    """What the back-off is timed by (a test's fake clock moves on without sleeping)."""
    progress: ReloadProgress
    """The reload under way, if any (GetPolicy's `reloading`, its gauge, `policy reload slow`)."""

    if TYPE_CHECKING:  # the host's (host.py)

        @property
        def served(self) -> Served: ...

        def _read_directory(self, serving: bool) -> Any: ...

        async def _record_policy(self, policy: Any) -> None: ...

        async def _engine_for(self, policy: Any, serving: Engine | None = None) -> Engine: ...

        def _loaded(self, policy: Any) -> None: ...

    def _set_up_reloads(self) -> None:
        """The state before the first version: the directory not read, nothing refused, retried or draining."""
        self.last_refused = None
        self.rules_dir_state = DIR_NOT_READ
        self._reload_lock = asyncio.Lock()
        self._fingerprint = ()
        self._retry = None
        self._watching = False
        self._stopping = False
        self._retired = {}
        self.progress = ReloadProgress()
        self.metrics.track_reload(self.progress.seconds)

    async def reload(self, trigger: str = "manual") -> bool:
        """Compile the rules directory off to the side; swap it in if it is good. True if swapped. The
        watcher's reload of the very bytes last served or refused is skipped, unlogged; a SIGHUP's is not."""
        async with self._reload_lock:
            with self.progress.under_way(trigger, rules_dir=str(self.rules_dir), serving=self.served.policy.version):
                return await self._reload(trigger)

    async def _reload(self, trigger: str) -> bool:
        """`reload`, under its lock."""
        read = self._fingerprint = await asyncio.to_thread(rules_watch.fingerprint, self.rules_dir)
        content = await asyncio.to_thread(content_digest, self.rules_dir)
        if trigger == "watch" and content == self._settled:
            return False  # a touch, or identical files written again: nothing new to say about them
        self._settled = None
        swapped = await self._take(trigger, read)
        if self.rules_dir_state in (DIR_SERVED, DIR_REFUSED) and await self._held_still(read):
            self._settled = content  # a PENDING one is not: its retry must read the files again
        return swapped

    async def _held_still(self, read: rules_watch.Fingerprint) -> bool:
        """Whether the directory is as it was before the read: else `content` may not be what was read."""
        return await asyncio.to_thread(rules_watch.fingerprint, self.rules_dir) == read

    async def _take(self, trigger: str, read: rules_watch.Fingerprint) -> bool:
        """Read the directory (`read` as the watcher saw it) and take, refuse or retry what it holds."""
        try:
            policy = await asyncio.to_thread(self._read_directory, True)
        except Exception as exc:
            self._not_read(trigger, read, exc)
            return False
        if policy.version == self.served.policy.version:
            self._unchanged(policy, trigger)
            return False
        try:
            # Neither step is about the rule files (they compiled and linted clean): a store that is
            # away, an engine worker that failed. Not a refusal; the watcher tries again (`_fail`).
            self.progress.at(STORE, policy.version)
            await self._record_policy(policy)
            self.progress.at(ENGINE, policy.version)
            engine = await self._engine_for(policy, self.served.engine)
        except Exception as exc:
            discard(policy)
            self._fail(trigger, policy.version, read, exc)
            return False
        self._retry = None
        self._swap(policy, engine, trigger)
        return True

    def _not_read(self, trigger: str, read: rules_watch.Fingerprint, exc: Exception) -> None:
        """The directory could not be loaded: refused for its rules, or tried again for anything else."""
        if rules_source.not_about_the_rules(exc):  # the compile child died or timed out: tried again (`_fail`)
            self._fail(trigger, "", read, exc)
        else:
            self._retry = None  # the rule set is refused: only a change to the directory helps
            self._refuse(trigger, exc)

    def _unchanged(self, policy: Any, trigger: str) -> None:
        """The directory holds the version served: logged (with a refused or pending state it ends), dropped."""
        was: dict[str, Any] = ({"was": self.rules_dir_state.lower()}
                               if self.rules_dir_state in (DIR_REFUSED, DIR_PENDING) else {})
        event("policy unchanged", version=policy.version, trigger=trigger, **was)
        self._retry = None
        self._dir_state(DIR_SERVED)
        discard(policy)

    def _swap(self, policy: Any, engine: Engine, trigger: str) -> None:
        """Make the new version current (one assignment); let an old engine that is not the new one drain."""
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
            discard(old.policy)  # the server's copy only ever answered GetPolicy
        if in_place:  # the same workers serve the new version; nothing to drain
            return
        task = asyncio.create_task(old.engine.aclose())
        self._retired[task] = old.engine
        task.add_done_callback(self._retired.pop)

    def _fail(self, trigger: str, version: str, read: rules_watch.Fingerprint, exc: Exception) -> None:
        """A reload that failed for a reason other than the rules: a good rule set (`version`) the store or
        the engine workers could not take, or one never checked (no `version`) because its compile child
        died. Logged as `policy reload failed`, not refused, and tried again by the watcher after a
        back-off (rules_watch.next_retry: longer for a compile child failing the same way again and again)."""
        # a store driver's words may carry its URL, password and all
        error = without_store_password(f"{type(exc).__name__}: {exc}", self.store, self.store_url)
        if self._stopping:  # the stop killed its compile process or engine: neither a failure nor to retry
            event("policy reload abandoned", trigger=trigger, reason="the service is stopping", error=error)
            return
        self._retry = rules_watch.next_retry(self._retry, read, error, self._clock(), rules_suspect=not version)
        self.last_failed = FailedAttempt(version, error, self._retry.failures)
        self._dir_state(DIR_PENDING)
        self.metrics.reload_counted("failure")
        retry: dict[str, Any] = ({"retry_in_seconds": self._retry.delay()} if self._watching
                                 else {"action": "not watching the rules directory: SIGHUP tries again"})
        event("policy reload failed", logging.ERROR, trigger=trigger, rules_dir=str(self.rules_dir),
              **({"version": version} if version else {}), serving=self.served.policy.version,
              attempt=self._retry.failures, failed_same_way=self._retry.same_way, will_retry=self._watching,
              **retry, error=error)

    def _dir_state(self, state: str) -> None:
        self.rules_dir_state = state
        self.metrics.rules_dir_refused.set(1 if state == DIR_REFUSED else 0)

    def _refuse(self, trigger: str, exc: Exception) -> None:
        self.last_refused = RefusedAttempt.of(exc)
        self._dir_state(DIR_REFUSED)
        self.metrics.reload_counted("failure")
        event("policy reload refused", logging.ERROR, trigger=trigger, rules_dir=str(self.rules_dir),
              serving=self.served.policy.version, **self.last_refused.log_fields(self.rules_dir))

    async def watch(self, interval: float = 1.0, settle: float = 0.3) -> None:
        """Poll the rules directory; reload when its files change, or when a failed reload's back-off has
        run out (runs until cancelled; never stops for an error: adapters/grpc/rules_watch.py)."""
        self._watching = True
        try:
            await rules_watch.watch_rules(self.rules_dir, self._reload_due, self.reload, interval, settle)
        finally:
            self._watching = False

    def _reload_due(self, current: rules_watch.Fingerprint) -> bool:
        return rules_watch.reload_due(current, self._fingerprint, self._retry, self._clock())
