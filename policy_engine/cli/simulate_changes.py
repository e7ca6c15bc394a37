"""The customers `simulate` finds changed: how far each limit moves, the order they are shown in, and the
CSV of them (one line per changed customer)."""

from __future__ import annotations

import csv
import math
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from adapters.batch.files import spreadsheet_safe, written_whole
from adapters.batch.simulate_who import over_limit
from policy_engine.domain.values import GRADE_RANK

# The first six were the file's columns before limit validity, actions and the probe order were
# compared; new columns go after them so readers that pick columns by position keep working.
_PAIRS = ("grade", "grade_class", "value_class", "credit_limit", "next_review_on", "review_rule", "limit_valid_until")
CSV_HEADER = ["customer_id", *(f"{f}_{side}" for f in _PAIRS for side in ("live", "candidate")),
              "actions_live", "actions_candidate", "actions_gained", "actions_lost",
              "order_outcome_live", "order_outcome_candidate", "credit_limit_change",
              # so that a file mailed around says which day, which two rule sets and whom it is about
              "as_of", "live_policy_version", "candidate_policy_version", "name", "currency",
              # to filter and total without a second tool: who it is, how much is over the new limit, and why
              "segment", "size", "exposure", "available_credit_live", "available_credit_candidate",
              "over_limit_live", "over_limit_candidate", "credit_limit_change_share",
              "why_changed_rules", "why_fires_now", "why_no_longer_fires",
              # the grade held under the live rules, changed or not, and the filters that chose the lines (if any)
              "live_grade", "live_grade_class", "selected_by",
              "why_changed_settings"]  # fmt: skip


def action_delta(pair: list[list[str]]) -> tuple[list[str], list[str]]:
    """(gained, lost): the action keys only the candidate has and those only the live rules have."""
    live, cand = Counter(pair[0]), Counter(pair[1])
    return sorted((cand - live).elements()), sorted((live - cand).elements())


def changes_csv(result: dict[str, Any], path: Path) -> None:
    """One line per changed customer: live and candidate value of each compared fact (empty: unchanged),
    then the as-of day, both policy versions, the customer's name and currency, who and why, and the filters."""
    context = [result["as_of"], result["live"]["policy_version"], result["candidate"]["policy_version"]]
    said = (result.get("selection") or {}).get("said")
    selected_by = spreadsheet_safe(f"simulate {said}") if said else ""  # `--…` alone reads as a formula
    with written_whole(path, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(CSV_HEADER)
        for change in result["changes"]:
            row = [spreadsheet_safe(change["customer_id"])]
            for f in _PAIRS:
                row += change.get(f, ["", ""])
            if "actions" in change:
                gained, lost = action_delta(change["actions"])
                row += ["; ".join(keys) for keys in (*change["actions"], gained, lost)]
            else:
                row += ["", "", "", ""]
            row += change.get("order_outcome", ["", ""])
            row.append(str(limit_change(change)) if "credit_limit" in change else "")
            row += [*context, spreadsheet_safe(change.get("name", "")), change.get("currency") or ""]
            settings = "; ".join(change.get("why", {}).get("changed_settings", ()))
            writer.writerow([*row, *_who_cells(change), change.get("live_grade", ""),
                             change.get("live_grade_class", ""), selected_by, settings])


def _who_cells(change: dict[str, Any]) -> list[str]:
    """The segment, size, exposure, available credit and exposure over the limit under both, the limit's change
    as a share of the live limit (-0.25: a quarter cut; empty for a limit from nothing), and the rules why."""
    if "exposure" not in change:  # a value class moved by portfolio.yaml alone: no decision differs
        return [""] * 11
    credit = change["available_credit"]
    share = relative_change(change)
    why = change["why"]
    return [spreadsheet_safe(change["segment"]), change["size"], str(change["exposure"]), *map(str, credit),
            *(str(over_limit(c)) for c in credit), "" if math.isinf(share) else f"{share:.4f}",
            *("; ".join(why[k]) for k in ("changed_rules", "fires_now", "no_longer_fires"))]  # fmt: skip


def selection_totals(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per currency, for the changes given: customers, limit change, exposure, and exposure over the limit under
    both policies (how much of what they owe the new limit no longer covers)."""
    sums: dict[str, list[Decimal]] = {}
    count: Counter[str] = Counter()
    for c in changes:
        if "exposure" not in c:
            continue
        currency = c.get("currency") or ""
        row = sums.setdefault(currency, [Decimal(0)] * 4)
        count[currency] += 1
        for i, amount in enumerate((limit_change(c), Decimal(str(c["exposure"])),
                                    *(over_limit(a) for a in c["available_credit"]))):  # fmt: skip
            row[i] += amount
    return [{"currency": cur, "customers": count[cur], "limit_change": str(r[0]), "exposure": str(r[1]),
             "over_limit": {"live": str(r[2]), "candidate": str(r[3]), "change": str(r[3] - r[2])}}
            for cur, r in sorted(sums.items())]  # fmt: skip


def limit_change(change: dict[str, Any]) -> Decimal:
    """Candidate limit minus live limit (0 when the limit does not change)."""
    if "credit_limit" not in change:
        return Decimal(0)
    live, cand = change["credit_limit"]
    return Decimal(str(cand)) - Decimal(str(live))


def relative_change(change: dict[str, Any]) -> float:
    """The limit's change as a share of the live limit (-0.5 = halved); infinite for a limit from nothing."""
    if "credit_limit" not in change:
        return 0.0
    live, delta = Decimal(str(change["credit_limit"][0])), limit_change(change)
    if live == 0:
        return math.copysign(math.inf, delta) if delta else 0.0
    return float(delta / live)


def by_move(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The changed customers, largest relative limit move first (cut or raise), then most grade notches,
    then by id. Relative, because customers trade in their own currencies: a cut of 100,000 yuan and one
    of 25,000 dollars do not compare, a 10% cut and a 50% cut do."""
    def notches(change: dict[str, Any]) -> int:
        live, cand = change.get("grade", ["", ""])
        return abs(GRADE_RANK.get(cand, 0) - GRADE_RANK.get(live, 0))

    return sorted(changes, key=lambda c: (-abs(relative_change(c)), -notches(c), c["customer_id"]))
