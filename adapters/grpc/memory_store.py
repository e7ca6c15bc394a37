"""The service's default store: snapshots in memory, a bounded tail of recorded decisions."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from policy_engine.domain.models import CustomerSnapshot
from policy_engine.ports import InMemoryStore

KEPT_DECISIONS = 1000


class BoundedMemoryStore(InMemoryStore):
    """InMemoryStore whose decision log keeps only the last KEPT_DECISIONS (a long run must not grow)."""

    def __init__(self, snapshots: Iterable[CustomerSnapshot] = (), kept: int = KEPT_DECISIONS):
        super().__init__(snapshots)
        self.decisions = deque(maxlen=kept)  # type: ignore[assignment]
