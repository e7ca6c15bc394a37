"""Warnings on the financial statements written in rule test cases and fixtures that do not add up.

A case runs on such a statement all the same (it may be the point of the case); but a statement copied with
cash and stock over its current assets gave the cases built on it a quick ratio of 0 or below, and a liquidity
sign an analyst adds would fire on them for that. So `credit-policy test` says where, with the figures, and
`--strict` fails on it.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from policy_engine.casefiles import Fixtures
from policy_engine.domain.models import Financials
from policy_engine.domain.statements import INCONSISTENT_STATEMENT, inconsistencies
from policy_engine.rules.loader import Document
from policy_engine.rules.problems import Problem


def statement_warnings(docs: list[Document], fixtures: Fixtures) -> list[Problem]:
    """Each statement of a fixture or a case that does not add up, at the figure to look at. A fixture's is
    reported once, at the fixture, whichever cases take it; a case's own `financials` at the case."""
    out: list[Problem] = []
    for fixture in fixtures.values():
        if isinstance(fixture.data, dict):
            out += _rows(fixture.doc, ("fixtures", fixture.name), fixture.data, f"fixture {fixture.name}: ")
    for doc in docs:
        cases = doc.data.get("cases") if isinstance(doc.data, dict) else None
        for i, case in enumerate(cases if isinstance(cases, list) else []):
            snapshot = case.get("snapshot") if isinstance(case, dict) else None
            if isinstance(snapshot, dict):
                label = f"case {case.get('id', i)}: snapshot."
                out += _rows(doc, ("cases", i, "snapshot"), snapshot, label)
    return out


def _rows(doc: Document, loc: tuple[Any, ...], snapshot: dict[Any, Any], label: str) -> list[Problem]:
    rows = snapshot.get("financials")
    out = []
    for j, row in enumerate(rows if isinstance(rows, list) else []):
        try:
            fin = Financials.model_validate(row)
        except ValidationError:
            continue  # reported where the snapshot is read, as an invalid_value
        for gap in inconsistencies(fin):  # written by hand: exact, no rounding allowed
            message = f"{label}financials[{j}] ({fin.period_end}): {gap.message}"
            out.append(doc.problem((*loc, "financials", j, gap.field), INCONSISTENT_STATEMENT, message))
    return out
