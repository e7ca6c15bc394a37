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
from policy_engine.domain.values import GRADE_RANK

# The first six were the file's columns before limit validity, actions and the probe order were
# compared; new columns go after them so readers that pick columns by position keep working.
_PAIRS = ("grade", "grade_class", "value_class", "credit_limit", "next_review_on", "review_rule", "limit_valid_until")
CSV_HEADER = ["customer_id", *(f"{f}_{side}" for f in _PAIRS for side in ("live", "candidate")),
              "actions_live", "actions_candidate", "actions_gained", "actions_lost",
              "order_outcome_live", "order_outcome_candidate", "credit_limit_change",
              # so that a file mailed around says which day, which two rule sets and whom it is about
              "as_of", "live_policy_version", "candidate_policy_version", "name", "currency"]  # fmt: skip


def action_delta(pair: list[list[str]]) -> tuple[list[str], list[str]]:
    """(gained, lost): the action keys only the candidate has and those only the live rules have."""
    live, cand = Counter(pair[0]), Counter(pair[1])
    return sorted((cand - live).elements()), sorted((live - cand).elements())


def changes_csv(result: dict[str, Any], path: Path) -> None:
    """One line per changed customer: live and candidate value of each compared fact (empty: unchanged),
    then the as-of day, both policy versions, the customer's name and currency."""
    context = [result["as_of"], result["live"]["policy_version"], result["candidate"]["policy_version"]]
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
            writer.writerow([*row, *context, spreadsheet_safe(change.get("name", "")), change.get("currency") or ""])


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
