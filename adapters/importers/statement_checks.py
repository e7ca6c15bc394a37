"""Warnings on imported financial statements that do not add up (domain/statements.py's identities).

Such a statement is usually a file's mistake — columns swapped, one figure in thousands among units — and it
skews every ratio the policy reads from it (quick ratio, debt ratio, working capital), so the import says
where; the row is loaded all the same unless `--strict`. Unlike a hand-written case, an exported statement is
rounded, figure by figure: a miss its rounding explains is no warning.
"""

from __future__ import annotations

from typing import Any

from adapters.importers.reader import Problem
from policy_engine.domain.statements import INCONSISTENT_STATEMENT, inconsistencies


def statement_warnings(name: str, line: int, row: Any) -> list[Problem]:
    """Each identity the statement on `line` misses by more than its own rounding, with its figures."""
    return [Problem(name, line, gap.field, INCONSISTENT_STATEMENT,
                    f"statement {row.period_end}: {gap.message}; more than its figures' rounding (to "
                    f"{gap.rounding:f}) explains")
            for gap in inconsistencies(row, rounded=True)]  # fmt: skip
