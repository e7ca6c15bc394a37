"""Which way an attempt walks its part's customers, so that two processes on one run and part meet, not trail.

The same command started twice (a timer firing while the last run still goes, an operator by hand) walked
the customers in the same order: both evaluated each chunk, the done markers refused one of the two commits,
and each process evaluated every customer (20,000 customers: 40,000 evaluations). The part's attempt number,
which counts every process that began it, now picks the way:
- odd attempts walk up the key, even ones down it: two processes, started together or hours apart, walk
  towards each other and meet once, wasting at most the chunks in hand where they meet;
- from the third attempt on, the walk starts at the middle of the customers still pending when it begins and
  wraps round, so a third process takes the gap between two others rather than trail one of them.
Each chunk skips the customers settled meanwhile before it evaluates (worker.py), so a walk that reaches
what another process settled passes over it. The order changes no decision: a customer's evaluation reads
only its own data and the run's portfolio pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Engine

from adapters.batch.runs import Partition, iter_customers

PAGE = 5_000
"""Customers read at a time (with their done flags): a page read after another process settled part of it
yields no chunk for those customers."""


@dataclass(frozen=True)
class Walk:
    """Where an attempt starts on its part's customers (by key) and which way it goes."""

    descending: bool = False
    start: str | None = None
    """the customer id the walk starts at, wrapping round to just before it; None: the first that way"""

    def segments(self) -> list[tuple[str | None, str | None]]:
        """The key ranges walked one after the other, as (from, included; to, excluded)."""
        return [(None, None)] if self.start is None else [(self.start, None), (None, self.start)]


def walk_for(attempt: int, engine: Engine, run_id: str, part: Partition, pending: int) -> Walk:
    """The walk of the part's `attempt` (1 for the first), `pending` customers of it not yet settled."""
    descending = attempt % 2 == 0
    if attempt < 3:
        return Walk(descending)
    return Walk(descending, middle_pending(engine, run_id, part, pending))


def middle_pending(engine: Engine, run_id: str, part: Partition, pending: int) -> str | None:
    """The customer halfway along the part's pending ones by key (one walk of the part); None when
    none is pending any more."""
    seen = 0
    for page in iter_customers(engine, run_id, part, PAGE):
        for customer_id, done in page:
            if not done:
                if seen >= pending // 2:
                    return customer_id
                seen += 1
    return None


def pending_chunks(engine: Engine, run_id: str, part: Partition, size: int,
                   walk: Walk = Walk()) -> Iterator[list[str]]:  # fmt: skip
    """The part's customers not yet settled in this run, in chunks of `size`, in the order of `walk`."""
    chunk: list[str] = []
    for bounds in walk.segments():
        for page in iter_customers(engine, run_id, part, max(size, PAGE), walk.descending, bounds):
            for customer_id, done in page:
                if not done:
                    chunk.append(customer_id)
                    if len(chunk) >= size:
                        yield chunk
                        chunk = []
    if chunk:
        yield chunk
