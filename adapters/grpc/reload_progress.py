"""The reload under way, if any, for an operator: GetPolicy's `reloading`, the gauge
`credit_policy_reload_in_progress_seconds` and one `policy reload slow` warning once it has run SLOW_RELOAD_S.

A reload that hangs (a compile child stopped, a rule set the compiler chews on, a store that does not answer)
was invisible: the old version serves, GetPolicy said SERVED, and nothing was logged until the compile's
600-s bound (compile_child.COMPILE_TIMEOUT, left as it is: a policy call) failed it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from adapters.grpc.compile_child import COMPILE_TIMEOUT
from adapters.grpc.logs import event

SLOW_RELOAD_S = 60.0
"""Seconds after which a reload still under way is logged as slow. Compiles measured on this 2-vCPU VM: ~0.3 s
for the shipped rules, 0.9 s for 412 rules, ~7 s for a rule set of 3,000 problems; with --rule-tests the
shipped cases add ~0.6 s. 60 s is 8x the slowest of those, room for a host whose other work keeps the nice-10
compile waiting for a core, so a real rule set never warns; and it leaves nine of the compile's 600 s to act."""

COMPILE, STORE, ENGINE = "compile", "store", "engine"
"""A reload's stages: reading, linting and compiling the rules in a child of the compile process; keeping the
version's files in the store; building it into the engine (the engine workers, or this process's)."""


@dataclass
class ReloadUnderWay:
    """One reload from the moment it holds the reload lock: what started it, where it is, what it read."""

    trigger: str
    stage: str = COMPILE
    version: str = ""
    """The version being read, once its compile has answered (empty while it compiles)."""
    started: float = field(default_factory=time.monotonic)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def seconds(self) -> float:
        """How long it has run."""
        return time.monotonic() - self.started


class ReloadProgress:
    """The reload under way, if any, and the one `policy reload slow` line of each reload that runs long."""

    def __init__(self, slow_after: float = SLOW_RELOAD_S) -> None:
        self.slow_after = slow_after
        self.current: ReloadUnderWay | None = None
        self._timer: asyncio.TimerHandle | None = None

    def seconds(self) -> float:
        """Seconds the reload under way has run, 0 when none (the gauge's value, read at each scrape)."""
        current = self.current
        return current.seconds() if current is not None else 0.0

    @contextmanager
    def under_way(self, trigger: str, **context: Any) -> Iterator[ReloadUnderWay]:
        """One reload, on the event loop: `policy reload slow` (with `context`) if it runs past `slow_after`."""
        self.current = reloading = ReloadUnderWay(trigger)
        self._timer = asyncio.get_running_loop().call_later(self.slow_after, self._slow, reloading, context)
        try:
            yield reloading
        finally:
            self._timer.cancel()
            self.current = self._timer = None

    def at(self, stage: str, version: str) -> None:
        """The reload under way has compiled `version` and goes on to `stage`."""
        if self.current is not None:
            self.current.stage, self.current.version = stage, version

    def _slow(self, reloading: ReloadUnderWay, context: dict[str, Any]) -> None:
        bound = (f"; the compile is ended after {COMPILE_TIMEOUT:.0f} s (compile_child.COMPILE_TIMEOUT), a failed "
                 "reload tried again" if reloading.stage == COMPILE else "")
        event("policy reload slow", logging.WARNING, trigger=reloading.trigger, stage=reloading.stage,
              **({"version": reloading.version} if reloading.version else {}), seconds=round(reloading.seconds(), 1),
              started_at=reloading.started_at.isoformat(), **context,
              action=f"the served version serves meanwhile{bound}")
