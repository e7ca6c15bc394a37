"""Ports the policy core needs from the outside world; adapters/ implements them."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Protocol

from policy_engine.domain.errors import CustomerNotFound
from policy_engine.domain.models import CustomerDecision, CustomerSnapshot, OrderDecision, OrderRequest


class PolicyFiles(Protocol):
    """What the store keeps of a policy: its version and rule files (api.Policy has both)."""

    @property
    def version(self) -> str:
        """Content hash of the rule files."""

    @property
    def files(self) -> Mapping[str, str]:
        """Relative path → YAML text."""


class CustomerStore(abc.ABC):
    """Where customer snapshots come from and where decisions are recorded."""

    @abc.abstractmethod
    def get_snapshot(self, customer_id: str, as_of: date | None = None) -> CustomerSnapshot:
        """Load one customer's snapshot as known on `as_of` (default: the latest); raise CustomerNotFound when
        there is none. A store that holds only one contact and one 5C assessment a customer returns those."""

    def record_decision(
        self,
        snapshot: CustomerSnapshot,
        decision: CustomerDecision,
        *,
        source: str,
        order: OrderDecision | None = None,
        order_request: OrderRequest | None = None,
    ) -> None:
        """Append a decision to the audit log (no-op where the store keeps none).

        Pass `order_request` with an order decision so the log can replay the order check.
        """
        return None

    def record_decisions(self, decisions: Sequence[tuple[CustomerSnapshot, CustomerDecision]], *, source: str) -> None:
        """Append many customer decisions at once (the batch); SQL stores write them in one transaction."""
        for snapshot, decision in decisions:
            self.record_decision(snapshot, decision, source=source)

    def get_snapshots(self, customer_ids: Sequence[str], as_of: date | None = None) -> list[CustomerSnapshot]:
        """Load several snapshots as known on `as_of` (unknown ids are left out); SQL stores do it in one round."""
        found = []
        for customer_id in customer_ids:
            try:
                found.append(self.get_snapshot(customer_id, as_of))
            except CustomerNotFound:
                continue
        return found

    def iter_customer_ids(self, chunk_size: int = 1000) -> Iterator[list[str]]:
        """Every customer id the store holds, in ascending order, in lists of at most `chunk_size`."""
        return iter(())

    def save_profile(self, decision: CustomerDecision) -> None:
        """Make `decision` the credit the customer holds now (no-op where the store keeps none)."""
        return None

    def record_policy(self, policy: PolicyFiles | str, files: Mapping[str, str] | None = None) -> None:
        """Keep the rule files of a policy version so its decisions can be replayed (no-op here).

        Pass the Policy itself, or its version and files.
        """
        return None


class InMemoryStore(CustomerStore):
    """A store held in a dict: for tests and for callers that always send full snapshots."""

    def __init__(self, snapshots: Iterable[CustomerSnapshot] = ()):
        self._snapshots = {s.customer_id: s for s in snapshots}
        self.decisions: list[tuple[str, CustomerDecision, OrderDecision | None]] = []

    def put(self, snapshot: CustomerSnapshot) -> None:
        """Add or replace one customer's snapshot."""
        self._snapshots[snapshot.customer_id] = snapshot

    def get_snapshot(self, customer_id: str, as_of: date | None = None) -> CustomerSnapshot:
        """Return the stored snapshot (as it is: the policy cuts it at its as_of) or raise CustomerNotFound."""
        try:
            return self._snapshots[customer_id]
        except KeyError:
            raise CustomerNotFound(customer_id) from None

    def record_decision(
        self,
        snapshot: CustomerSnapshot,
        decision: CustomerDecision,
        *,
        source: str,
        order: OrderDecision | None = None,
        order_request: OrderRequest | None = None,
    ) -> None:
        """Keep the decision in memory."""
        self.decisions.append((source, decision, order))

    def iter_customer_ids(self, chunk_size: int = 1000) -> Iterator[list[str]]:
        """The ids held, sorted, in chunks."""
        ids = sorted(self._snapshots)
        for start in range(0, len(ids), chunk_size):
            yield ids[start : start + chunk_size]
