"""The service's default store: snapshots in memory, a bounded tail of recorded decisions."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import date

from policy_engine.domain.errors import CustomerNotFound
from policy_engine.domain.models import CustomerSnapshot
from policy_engine.ports import InMemoryStore

KEPT_DECISIONS = 0
"""What `--db memory` keeps of the decisions it makes: none. Nothing could read them back (the
service has no call for it), and a tail of 1,000 kept ~60,000 objects alive that every garbage
collection had to walk, in pauses of up to 30 ms under load (docs/service.md, "Process runtime").
A SQL store (`--db URL`) is the audit log."""

NO_STORE_HINT = "this service runs without a customer store (--db memory); send the customer's snapshot instead"
"""Why a `customer_id` is NOT_FOUND under `--db memory`: nobody has been left out of a database, there is none."""


class BoundedMemoryStore(InMemoryStore):
    """InMemoryStore whose decision log keeps only the last `kept` (a long run must not grow)."""

    def __init__(self, snapshots: Iterable[CustomerSnapshot] = (), kept: int = KEPT_DECISIONS):
        super().__init__(snapshots)
        self.decisions = deque(maxlen=kept)  # type: ignore[assignment]

    def get_snapshot(self, customer_id: str, as_of: date | None = None) -> CustomerSnapshot:
        """The snapshot held for `customer_id`; CustomerNotFound saying that there is no store when it holds none."""
        try:
            return super().get_snapshot(customer_id, as_of)
        except CustomerNotFound:
            if self._snapshots:
                raise
            raise CustomerNotFound(customer_id, NO_STORE_HINT) from None
