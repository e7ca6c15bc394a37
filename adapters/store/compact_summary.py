"""What a decision log compaction reports (compact.py): each chunk's outcome and the run's summary, with
the entries whose own copy was kept and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_REFUSED_LISTED = 1_000
"""The summary lists this many refused entries; all of them still hold their copy (see the docs' query)."""

HASH_MISMATCH = "hash_mismatch"
SHARED_COPY_DIFFERS = "shared_copy_differs"


@dataclass(frozen=True)
class Refused:
    """An entry whose own copy was kept, and why."""

    id: int
    reason: str


@dataclass
class CompactSummary:
    """What a run moved (or, with dry_run, would move)."""

    dry_run: bool
    rows_with_own_copy: int
    """Entries holding their own copy when the run started (moved, refused or left for a later run)."""
    rows_examined: int = 0
    rows_moved: int = 0
    snapshots_added: int = 0
    """Distinct texts that were not in decision_snapshots yet."""
    bytes_moved: int = 0
    """UTF-8 bytes of the copies set to NULL (the text's size; PostgreSQL stores it compressed)."""
    refused_count: int = 0
    refused: list[Refused] = field(default_factory=list)
    chunks: int = 0
    seconds: float = 0.0

    def add(self, outcome: ChunkOutcome) -> None:
        """Count one chunk's outcome in; list its refused entries while fewer than MAX_REFUSED_LISTED are."""
        self.chunks += 1
        self.rows_examined += outcome.examined
        self.rows_moved += outcome.moved
        self.snapshots_added += outcome.added
        self.bytes_moved += outcome.bytes_moved
        self.refused_count += len(outcome.refused)
        room = MAX_REFUSED_LISTED - len(self.refused)
        self.refused.extend(outcome.refused[: max(room, 0)])

    def as_json(self) -> dict[str, Any]:
        """The summary as the command prints it."""
        return {
            "status": "dry_run" if self.dry_run else "done",
            "rows_with_own_copy": self.rows_with_own_copy,
            "rows_examined": self.rows_examined,
            "rows_moved": self.rows_moved,
            "snapshots_added": self.snapshots_added,
            "bytes_moved": self.bytes_moved,
            "rows_refused": self.refused_count,
            "refused": [{"id": r.id, "reason": r.reason} for r in self.refused],
            "refused_listed": len(self.refused),
            "chunks": self.chunks,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class ChunkOutcome:
    """One chunk's result."""

    examined: int
    moved: int
    added: int
    bytes_moved: int
    refused: list[Refused]
    last_id: int
