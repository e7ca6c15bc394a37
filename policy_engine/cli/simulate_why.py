"""What `simulate` says of the rules a candidate changes that decide nothing in this portfolio, and why.

A risk officer who raises the AA limit on a book with no AA customer saw "0 changed" and no word on why, and read
"my change does nothing". The lines say what simulate knows from the engine (adapters/batch/simulate_rules.py):
the grades a rule applies to and that no customer holds them, or else that it fired for no customer either way.
"""

from __future__ import annotations

from typing import Any

from policy_engine.words import plural

SHOWN = 12
"""Rules named on screen; --json lists them all."""


def why_lines(result: dict[str, Any]) -> list[str]:
    """One line per changed rule that fired for no customer, live or candidate (the grades no customer holds when
    they are known), and, when no customer changed, one per changed rule that fired and decided the same."""
    rows = result.get("changed_rules") or []
    if result.get("order_check") is None:  # an order step fires only for an order: the line above says so
        rows = [r for r in rows if r["kind"] != "order_checks"]
    idle = [_idle(r) for r in rows if not r["live"] and not r["candidate"]]
    same = [_same(r) for r in rows if r["live"] or r["candidate"]] if not result["changed"] else []
    lines = idle + same
    if len(lines) > SHOWN:
        more = len(lines) - SHOWN
        lines = [*lines[:SHOWN], f"… and {more} more changed {plural(more, 'rule')} (--json lists them all)"]
    return lines


def _idle(row: dict[str, Any]) -> str:
    """`the changed rule limit.aa applies to grade AA only, and no customer in this portfolio is graded AA, …`."""
    rule = f"the {row['status']} rule {row['rule_id']}"
    grades, graded = row["grades"], row["graded"]
    if grades and graded and not graded["live"] and not graded["candidate"]:
        which = " or ".join(grades)
        return (f"{rule} applies to {plural(len(grades), 'grade')} {' and '.join(grades)} only, and no customer in "
                f"this portfolio is graded {which}, live or candidate: it decides nothing here")
    return f"{rule} fired for no customer in this portfolio, live or candidate: it decides nothing here"


def _same(row: dict[str, Any]) -> str:
    """`the changed rule limit.a fired for 67 customers live and 67 with the candidate, and …`."""
    live, cand = row["live"], row["candidate"]
    return (f"the {row['status']} rule {row['rule_id']} fired for {live:,} {plural(live, 'customer')} live and "
            f"{cand:,} with the candidate, and changed none of what is compared for them")
