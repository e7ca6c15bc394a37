"""What the policy host knows of versions: the one served, the last refused reload, and the rules
directory's state as GetPolicy reports it (adapters/grpc/host.py keeps them; the servicer reads them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from adapters.grpc.engines import Engine
from adapters.grpc.rule_info import rules_message


class EngineBroken(RuntimeError):
    """The server process stopped because its in-process engine closed after repeated failures."""


@dataclass(frozen=True)
class RefusedAttempt:
    """A reload that was refused, with every problem found."""

    attempted_at: datetime
    problems: list[Any]
    error: str = ""
    note: str = ""
    """What was not checked and why (PolicyLoadError's note, as lint prints it after the problems): some
    rule file could not be read, so the checks across files wait. Empty otherwise."""

    @classmethod
    def of(cls, exc: BaseException) -> RefusedAttempt:
        """The refusal `exc` (PolicyLoadError, or another error from reading the rules) stands for, now."""
        problems = list(getattr(exc, "problems", []) or [])
        return cls(datetime.now(UTC), problems, "" if problems else repr(exc), str(getattr(exc, "note", "") or ""))

    def log_fields(self) -> dict[str, Any]:
        """The `policy reload refused` line's account of it: `problems`, and `note` when there is one."""
        note = {"note": self.note} if self.note else {}
        return {"problems": [str(p) for p in self.problems] or [self.error], **note}


@dataclass(frozen=True)
class FailedAttempt:
    """A reload that failed for a reason other than the rules (the directory is PENDING): GetPolicy's `pending`."""

    version: str
    error: str
    attempt: int
    attempted_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class Served:
    """The version being served: its policy (for GetPolicy) and the engine that decides."""

    policy: Any
    engine: Engine
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    rules: Any = field(init=False, repr=False)
    """GetPolicy's `rules` of this version (a PolicyInfo holding only them), built once here, not per call."""

    def __post_init__(self) -> None:
        self.rules = rules_message(self.policy)


DIR_SERVED, DIR_REFUSED, DIR_NOT_READ, DIR_PENDING = "SERVED", "REFUSED", "NOT_READ", "PENDING"
"""GetPolicy's `rules_dir_state`: the rules directory, as last read, holds the version served / a rule
set that was refused / has not been read by this process yet / a rule set whose reload failed for a
reason other than the rules (the store or the engine workers could not take it, its compile child died or
timed out) and is tried again (added after the other three)."""


def discard(policy: Any) -> None:
    """Close a version's policy that is not (or no longer) served, when it holds anything to close."""
    close = getattr(policy, "close", None)
    if close is not None:
        close()
