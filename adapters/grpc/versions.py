"""What the policy host knows of versions: the one served, the last refused reload, and the rules
directory's state as GetPolicy reports it (adapters/grpc/host.py keeps them; the servicer reads them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from adapters.grpc.engines import Engine
from adapters.grpc.problem_lists import KEPT_PROBLEM_BYTES as KEPT_PROBLEM_BYTES
from adapters.grpc.problem_lists import leading, listed
from adapters.grpc.rule_info import rules_message


class EngineBroken(RuntimeError):
    """The server process stopped because its in-process engine closed after repeated failures."""


@dataclass(frozen=True)
class RefusedAttempt:
    """A reload that was refused: the first of its problems (up to KEPT_PROBLEM_BYTES) and how many it had."""

    attempted_at: datetime
    problems: list[Any]
    error: str = ""
    note: str = ""
    """What was not checked and why (PolicyLoadError's note, as lint prints it after the problems): some
    rule file could not be read, so the checks across files wait. Empty otherwise."""
    count: int = 0
    """How many problems refused it, all counted (an `error` without problems is one)."""
    version: str = ""
    """The policy_version the refused rule files would have had (PolicyLoadError's); empty when some could not be
    read, or the refusal was not the compiler's (a memory bound, a loader's own error)."""

    @classmethod
    def of(cls, exc: BaseException) -> RefusedAttempt:
        """The refusal `exc` (PolicyLoadError, or another error from reading the rules) stands for, now."""
        problems = list(getattr(exc, "problems", []) or [])
        note = str(getattr(exc, "note", "") or "")
        version = str(getattr(exc, "version", "") or "")
        return cls(datetime.now(UTC), leading(problems), "" if problems else repr(exc), note, len(problems) or 1,
                   version)

    def log_fields(self, rules_dir: object = "RULES") -> dict[str, Any]:
        """The `policy reload refused` line's account of it (problem_lists.listed); `version` and `note` when set."""
        version = {"version": self.version} if self.version else {}
        note = {"note": self.note} if self.note else {}
        problems = listed("problems", self.problems or [self.error], self.count, "last_refused", rules_dir)
        return {**version, **problems, **note}


@dataclass(frozen=True)
class ServedWarnings:
    """Lint's warnings on the version served: the first of them (up to KEPT_PROBLEM_BYTES) and how many it has."""

    warnings: tuple[Any, ...] = ()
    count: int = 0

    @classmethod
    def of(cls, policy: Any) -> ServedWarnings:
        """The warnings of `policy` (a Policy, all of them; or a summary, which kept the first: rules_source.py)."""
        warnings = tuple(getattr(policy, "warnings", ()))
        return cls(tuple(leading(warnings)), max(getattr(policy, "warning_count", 0), len(warnings)))

    def log_fields(self, rules_dir: object = "RULES") -> dict[str, Any]:
        """The `policy warnings` line's fields (problem_lists.listed); none for a version without warnings."""
        return listed("warnings", self.warnings, self.count, "warnings", rules_dir) if self.count else {}


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
    warnings: ServedWarnings = field(init=False, repr=False)
    """Lint's warnings on this version, kept within bounds once here: GetPolicy's `warnings`, `policy warnings`."""

    def __post_init__(self) -> None:
        self.rules = rules_message(self.policy)
        self.warnings = ServedWarnings.of(self.policy)


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
