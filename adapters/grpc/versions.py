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


LOGGED_PROBLEMS = 50
"""Problems a `policy reload refused` line lists; `count` and `more` say how many there were in all. A rule set
of 3,000 problems made a ~300-KB line, which log shippers split or drop (and people cannot read)."""
KEPT_PROBLEM_BYTES = 1 << 20
"""Text (`str(problem)`, UTF-8) of the problems GetPolicy's last_refused holds, the first ones in lint's order:
~15,000 typical problems. The 1-MiB bound on rule files does not bound them: 1 MiB of one-letter unknown keys
is 211,377 problems, a 13.6-MiB last_refused, past gRPC's 8-MiB reply bound, so GetPolicy failed for as long as
that refusal was the last one. `count` keeps the exact number; `credit-policy lint` prints them all."""


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

    @classmethod
    def of(cls, exc: BaseException) -> RefusedAttempt:
        """The refusal `exc` (PolicyLoadError, or another error from reading the rules) stands for, now."""
        problems = list(getattr(exc, "problems", []) or [])
        note = str(getattr(exc, "note", "") or "")
        return cls(datetime.now(UTC), _first(problems, KEPT_PROBLEM_BYTES), "" if problems else repr(exc), note,
                   len(problems) or 1)

    def log_fields(self, rules_dir: object = "RULES") -> dict[str, Any]:
        """The `policy reload refused` line's account of it: `count`, the first LOGGED_PROBLEMS `problems`, and
        when there were more, `more` and where to read them all (`see`); `note` when there is one."""
        shown = [str(p) for p in self.problems[:LOGGED_PROBLEMS]] or [self.error]
        note = {"note": self.note} if self.note else {}
        if self.count <= len(shown):
            return {"count": self.count, "problems": shown, **note}
        kept = (f"has all {self.count}" if len(self.problems) == self.count
                else f"has the first {len(self.problems)} (1 MiB of them)")
        see = f"GetPolicy's last_refused {kept}; `credit-policy lint {rules_dir}` prints all {self.count}"
        return {"count": self.count, "problems": shown, "more": self.count - len(shown), "see": see, **note}


def _first(problems: list[Any], budget: int) -> list[Any]:
    """The leading `problems` whose text fits in `budget` bytes (at least one)."""
    for kept, problem in enumerate(problems):
        budget -= len(str(problem).encode())
        if budget < 0:
            return problems[:max(kept, 1)]
    return problems


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
