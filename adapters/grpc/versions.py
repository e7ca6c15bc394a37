"""What the policy host knows of versions: the one served, the last refused reload, and the rules
directory's state as GetPolicy reports it (adapters/grpc/host.py keeps them; the servicer reads them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from adapters.grpc.engines import Engine


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


DIR_SERVED, DIR_REFUSED, DIR_NOT_READ, DIR_PENDING = "SERVED", "REFUSED", "NOT_READ", "PENDING"
"""GetPolicy's `rules_dir_state`: the rules directory, as last read, holds the version served / a rule
set that was refused / has not been read by this process yet / a good rule set whose reload failed for
another reason (the store, the engine workers) and is tried again (added after the other three)."""
