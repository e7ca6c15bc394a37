"""What `simulate` shows of who moves: the changes per segment, the rules behind each customer's move, and the
totals of the customers its filters select."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

SEGMENTS_SHOWN = 20
"""Segments listed on screen, most changed customers first; --json lists them all."""


def _amount(text: Any, sign: bool = False) -> str:
    value = Decimal(str(text))
    return f"{value:+,}" if sign else f"{value:,}"


def segments_table(out: Console, result: dict[str, Any]) -> None:
    """Per segment and currency with a changed customer: customers, changed, grades down/up, limits cut/raised,
    the change in credit extended and in exposure over the limit of all its customers (headed so: the selection's
    totals below are the selected customers', and the two read alike)."""
    rows = [r for r in result.get("segments") or () if r["changed"]]
    if not rows:
        return
    # every customer of the segment, changed or not, and no filter: the selection's lines total the selected ones
    table = Table(title="changes per segment (whole portfolio: all customers of each segment, changed or not)")
    for name in ("segment", "customers", "changed", "grade down/up", "limit cut/raised",
                 "credit extended, all (change)", "exposure over the limit, all (change)"):  # fmt: skip
        table.add_column(name, justify="left" if name == "segment" else "right")
    for r in rows[:SEGMENTS_SHOWN]:
        table.add_row(r["segment"] or "(none)", f"{r['customers']:,}", f"{r['changed']:,}",
                      f"{r['grade_down']:,}/{r['grade_up']:,}", f"{r['limit_cut']:,}/{r['limit_raised']:,}",
                      f"{_amount(r['credit_extended']['change'], sign=True)} {r['currency']}",
                      f"{_amount(r['over_limit']['change'], sign=True)} {r['currency']}")  # fmt: skip
    out.print(table)
    if len(rows) > SEGMENTS_SHOWN:
        out.print(f"  … and {len(rows) - SEGMENTS_SHOWN} more segments (--json lists them all)")


def why_cell(change: dict[str, Any]) -> str:
    """The changed settings behind the move (`scorecard:factors.character.weight`), then the rules, the candidate's
    changed ones first: `limit.bbb*` (changed by the candidate, fired
    for the customer under both), `+warn.x*` (added, fires for it), `+limit.c` (fires only with the candidate),
    `−limit.cc` (only with the live rules)."""
    why = change.get("why")
    if not why:
        return ""
    changed = set(why["changed_rules"])
    sides = {**dict.fromkeys(why["changed_rules"], ""), **dict.fromkeys(why["fires_now"], "+"),
             **dict.fromkeys(why["no_longer_fires"], "−")}  # fmt: skip
    order = sorted(sides, key=lambda r: (r not in changed, sides[r] == "−", r))
    rules = [f"{sides[r]}{r}{'*' if r in changed else ''}" for r in order]
    return " ".join([*why.get("changed_settings", ()), *rules])  # a setting, `scorecard:factors.x.weight`, first


def selection_lines(selection: dict[str, Any] | None) -> list[str]:
    """What the filters selected: which filters, how many of the changed customers, and per currency their limit
    change, exposure and exposure over the limit under both policies."""
    if selection is None:
        return []
    head = (f"selected by {selection['said']}: {selection['customers']:,} of the {selection['of']:,} changed "
            "customers (the counts and tables above are the whole portfolio's)")
    return [head, *(f"  the {t['customers']:,} selected in {t['currency']}: limit change "
                    f"{_amount(t['limit_change'], True)}; exposure {_amount(t['exposure'])}, of which over the "
                    f"limit: {_amount(t['over_limit']['live'])} → {_amount(t['over_limit']['candidate'])} "
                    f"{t['currency']}" for t in selection["totals"])]  # fmt: skip
