"""Which changed customers `simulate` lists: its filters (`--segment`, `--grade-class`, `--grade-moved`, `--gains`,
`--loses`, `--limit-cut-over`), what they select and how the output names them.

A head of credit asks "which A-class customers of the hospitals move down a grade?" and "who newly gets
HOLD_ORDERS?". Before, `--limit-cut-over` was the only filter and the rest had to be picked out of the CSV. The
filters narrow the customers listed (screen, `--csv`, `--json`'s `changes`) and the selection's totals; the counts and
tables of the whole portfolio stay whole. Values of one option are alternatives (`--segment a --segment b`: either);
different options must all hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import typer

from policy_engine.domain.suggest import close_choices, did_you_mean
from policy_engine.domain.values import GRADE_RANK

URGENT_REVIEW = "CREDIT_REVIEW urgent"
"""The urgent review, a row of its own in the actions table: every decision carries a CREDIT_REVIEW."""


class GradeClass(StrEnum):
    """A credit grade class."""

    A = "A"
    B = "B"
    C = "C"


class Direction(StrEnum):
    """Which way a grade moves: down is worse (AA → BBB)."""

    down = "down"
    up = "up"


SegmentOption = Annotated[list[str] | None, typer.Option(
    "--segment", metavar="NAME", help="list only customers of this segment, as recorded (repeat for several)")]
GradeClassOption = Annotated[list[GradeClass] | None, typer.Option(
    "--grade-class", help="list only customers of this grade class under the live rules (repeat for several)")]
GradeMovedOption = Annotated[Direction | None, typer.Option(
    "--grade-moved", help="list only customers whose grade the candidate moves down (worse) or up")]
GainsOption = Annotated[list[str] | None, typer.Option(
    "--gains", metavar="CODE", help="list only customers who newly get an action of this code with the candidate "
                                    "(HOLD_ORDERS, 'CREDIT_REVIEW urgent', ...; repeat for any of several)")]
LosesOption = Annotated[list[str] | None, typer.Option(
    "--loses", metavar="CODE", help="list only customers who no longer get an action of this code")]


@dataclass(frozen=True)
class Selection:
    """The filters given; an empty one selects every changed customer."""

    segments: tuple[str, ...] = ()
    grade_classes: tuple[str, ...] = ()
    grade_moved: str | None = None
    gains: tuple[str, ...] = ()
    loses: tuple[str, ...] = ()
    limit_cut_over_pct: float | None = None

    def given(self) -> bool:
        """Whether any filter was given."""
        return bool(self.said())

    def said(self) -> str:
        """The filters as typed: `--segment hospital --grade-moved down`."""
        pct = self.limit_cut_over_pct
        words = [*(f"--segment {_quoted(s)}" for s in self.segments),
                 *(f"--grade-class {c}" for c in self.grade_classes),
                 *([f"--grade-moved {self.grade_moved}"] if self.grade_moved else []),
                 *(f"--gains {_quoted(c)}" for c in self.gains), *(f"--loses {_quoted(c)}" for c in self.loses),
                 *([f"--limit-cut-over {pct:g}"] if pct is not None else [])]  # fmt: skip
        return " ".join(words)

    def keeps(self, change: dict[str, Any]) -> bool:
        """Whether the changed customer passes every filter given."""
        from policy_engine.cli.simulate_changes import relative_change

        gained, lost = code_delta(change)
        cut = self.limit_cut_over_pct
        return ((not self.segments or change.get("segment") in self.segments)
                and (not self.grade_classes or change.get("live_grade_class") in self.grade_classes)
                and (self.grade_moved is None or grade_direction(change) == self.grade_moved)
                and (not self.gains or bool(gained & set(self.gains)))
                and (not self.loses or bool(lost & set(self.loses)))
                and (cut is None or relative_change(change) < -cut / 100))  # fmt: skip


def _quoted(value: str) -> str:
    return repr(value) if not value or " " in value else value


def key_code(key: str) -> str:
    """The action code of an action key: `COLLECTION_REMINDER INV-7 due 2026-12-01` → COLLECTION_REMINDER; the urgent
    review's key is its own code, as in the actions table."""
    return key if key == URGENT_REVIEW else key.split(" ", 1)[0]


def code_delta(change: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(gained, lost): the action codes the customer has only with the candidate, only with the live rules; counted
    as the actions table's `gain it` and `lose it` are."""
    if "actions" not in change:
        return set(), set()
    live, cand = ({key_code(k) for k in keys} for keys in change["actions"])
    return cand - live, live - cand


def grade_direction(change: dict[str, Any]) -> str | None:
    """`down` (worse), `up`, or None when the grade does not change."""
    if "grade" not in change:
        return None
    live, cand = change["grade"]
    return "down" if GRADE_RANK[cand] > GRADE_RANK[live] else "up"


def action_code_problem(option: str, code: str) -> str:
    """Why a code given to --gains/--loses is refused before the run ("" when taken): a plain CREDIT_REVIEW, which
    every decision carries, or a near miss of a known code. A code of its own that a follow-up rule adds is taken."""
    if code == "CREDIT_REVIEW":
        return (f"{option} CREDIT_REVIEW: every decision carries a credit review, live and with the candidate; "
                f"write {option} '{URGENT_REVIEW}' for the customers whose review turns urgent (or periodic again)")
    from policy_engine.rules.schema_decision import KNOWN_ACTION_CODES

    known = (*KNOWN_ACTION_CODES, URGENT_REVIEW)
    if code in known:
        return ""
    if hint := did_you_mean(close_choices(code, known)):
        return f"{option} {code!r}: unknown action code; {hint}"
    if not code.replace("_", "").isalnum() or code.upper() != code:
        return f"{option} {code!r}: not an action code; write one such as HOLD_ORDERS or '{URGENT_REVIEW}'"
    return ""


def apply(result: dict[str, Any], selection: Selection) -> None:
    """Keep only the changes `selection` selects, with their totals as `selection` (null without a filter); the
    counts and tables stay the whole portfolio's."""
    from policy_engine.cli.simulate_changes import selection_totals

    if not selection.given():
        result["selection"] = None
        return
    result["changes"] = [c for c in result["changes"] if selection.keeps(c)]
    pct = selection.limit_cut_over_pct
    result["selection"] = {
        "segment": list(selection.segments) or None, "grade_class": list(selection.grade_classes) or None,
        "grade_moved": selection.grade_moved, "gains": list(selection.gains) or None,
        "loses": list(selection.loses) or None, "limit_cut_over_pct": None if pct is None else f"{pct:g}",
        "said": selection.said(), "customers": len(result["changes"]), "of": result["changed"],
        "totals": selection_totals(result["changes"]),
    }  # fmt: skip


def unknown_segments(result: dict[str, Any], selection: Selection) -> list[str]:
    """An error line per --segment no customer of the portfolio is in (a misspelling selects nobody, silently)."""
    if not selection.segments or not result["customers"]:  # none asked for; or nothing compared, as output says
        return []
    known = sorted({r["segment"] for r in result.get("segments") or ()})
    lines = []
    for segment in selection.segments:
        if segment not in known:
            hint = did_you_mean(close_choices(segment, known)) or f"its segments: {', '.join(map(repr, known))}"
            lines.append(f"error: --segment {segment!r}: no customer of this portfolio is in that segment; {hint}")
    return lines


def unseen_action_codes(result: dict[str, Any], selection: Selection) -> list[str]:
    """A warning line per --gains/--loses code no customer of the comparison has, live or with the candidate: a
    follow-up's own code cannot be checked before the run, and a misspelt one selects nobody, silently."""
    seen = result.get("action_codes")
    if not (selection.gains or selection.loses) or seen is None or not result.get("customers"):
        return []
    lines = []
    for option, codes in (("--gains", selection.gains), ("--loses", selection.loses)):
        for code in codes:
            if code not in seen:
                hint = did_you_mean(close_choices(code, seen))
                lines.append(f"warning: {option} {code!r}: no customer of this comparison has an action of that code, "
                             f"live or with the candidate; the codes seen: {', '.join(map(_quoted, seen)) or 'none'}"
                             f"{f'; {hint}' if hint else ''}")
    return lines
