"""Long lists of rule-file problems kept within bounds: a refused reload's problems and a served version's lint
warnings. The rule-file bounds (1 MiB in all) do not bound how many there are: 1 MiB of one-letter unknown keys is
211,377 problems, and 1,000 rules each comparing a ratio with 200 whole percentages are 200,000 warnings (53 MB
of text). So a log line lists the first SAID_PROBLEMS (policy_engine's, which the batch's and simulate's output
use too) with the exact count (a rule set of 3,000 problems made a ~300-KB `policy reload refused` line, which log
shippers split or drop), and GetPolicy keeps the leading ones
up to KEPT_PROBLEM_BYTES of their text with the count; `credit-policy lint` prints them all."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from policy_engine.rules.problems import SAID_PROBLEMS

KEPT_PROBLEM_BYTES = 1 << 20
"""Text (`str(problem)`, UTF-8) of the problems GetPolicy holds in one list (`last_refused`, `warnings`), the
first ones in lint's order: ~15,000 typical problems, ~4,000 `likely_percent` warnings. Unbounded, 211,377 problems
made a 13.6-MiB last_refused, past gRPC's 8-MiB reply bound, so GetPolicy failed for as long as it was kept."""


def leading(problems: Sequence[Any], budget: int = KEPT_PROBLEM_BYTES) -> list[Any]:
    """The leading `problems` whose text fits in `budget` bytes (at least one)."""
    for kept, problem in enumerate(problems):
        budget -= len(str(problem).encode())
        if budget < 0:
            return list(problems[:max(kept, 1)])
    return list(problems)


def listed(name: str, kept: Sequence[Any], count: int, held_by: str, rules_dir: object) -> dict[str, Any]:
    """A log line's account of `count` problems of which GetPolicy's `held_by` keeps `kept`: `count`, the first
    SAID_PROBLEMS as `name`, and when there were more, `more` and where to read them all (`see`)."""
    shown = [str(p) for p in kept[:SAID_PROBLEMS]]
    if count <= len(shown):
        return {"count": count, name: shown}
    has = f"has all {count}" if len(kept) == count else f"has the first {len(kept)} (1 MiB of them)"
    see = f"GetPolicy's {held_by} {has}; `credit-policy lint {rules_dir}` prints all {count}"
    return {"count": count, name: shown, "more": count - len(shown), "see": see}
