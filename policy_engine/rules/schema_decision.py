"""The kinds that decide for one customer: scorecard, grade bands, warning signs, credit limits, review cadence,
review information, collection reminders, follow-ups and order checks."""

from __future__ import annotations

import re
from typing import Annotated, Literal, get_args

from pydantic import Field, field_validator

from policy_engine.effects.decision_actions import FIXED_ACTION_CODES
from policy_engine.rules.schema_base import (
    CODE_PATTERN,
    Grade,
    GradeClass,
    Outcome,
    Rule,
    Severity,
    Source,
    Title,
    _Model,
)
from policy_engine.rules.schema_problems import suggest


class ScoreRow(Rule):
    """A row of a 5C factor table: when it matches, the factor scores `points` (0–100)."""

    points: Annotated[float, Field(ge=0, le=100)]


FactorId = Literal["character", "capacity", "capital", "collateral", "conditions"]
FACTOR_IDS: tuple[str, ...] = get_args(FactorId)
"""The 5C factors, in the handbook's order (品质 能力 资本 抵押 经济环境)."""


class Factor(_Model):
    """One of the 5C factors: a first-hit table of rows and its weight in the score."""

    id: FactorId
    title: Title
    source: Source
    weight: Annotated[float, Field(gt=0, le=1)]
    hit: Literal["first"] = "first"
    default_points: Annotated[float, Field(ge=0, le=100)]
    rows: Annotated[list[ScoreRow], Field(max_length=100)]


class ScorecardFile(_Model):
    """kind: scorecard — the 5C evaluation (5C评估法)."""

    kind: Literal["scorecard"]
    title: Title
    source: Source
    staff_assessment_weight: Annotated[float, Field(ge=0, le=1)]
    factors: Annotated[list[Factor], Field(min_length=1, max_length=5)]


class GradeBand(Rule):
    """A band of the score that earns a grade."""

    grade: Grade


class GradeBandsFile(_Model):
    """kind: grade_bands — score → nine grades, and nine grades → three classes."""

    kind: Literal["grade_bands"]
    title: Title
    source: Source
    hit: Literal["first"] = "first"
    field: Literal["score"] = "score"
    range: Annotated[list[float], Field(min_length=2, max_length=2)] = [0.0, 100.0]
    bands: Annotated[list[GradeBand], Field(min_length=1, max_length=50)]
    classes: dict[GradeClass, list[Grade]]

    @field_validator("range")
    @classmethod
    def _covers_every_score(cls, value: list[float]) -> list[float]:
        """The score is always 0–100: a narrower range would hide a gap that fails decisions."""
        if not value[0] <= 0 < 100 <= value[1]:
            raise ValueError(f"[{value[0]:g}, {value[1]:g}] leaves scores out; the score runs from 0 to 100: "
                             "write [0, 100]")
        return value


class WarningEffects(_Model):
    """What a warning sign does to the decision."""

    downgrade: Annotated[int, Field(ge=0, le=8)] = 0
    cap_grade: Grade | None = None
    urgent_review: bool = False
    limit_factor: Annotated[float, Field(ge=0, le=1)] | None = None
    hold_orders: bool = False
    request_collateral: bool = False


class WarningRule(Rule):
    """A warning sign: a condition and its declared effects."""

    code: Annotated[str, Field(pattern=CODE_PATTERN, max_length=60)]
    severity: Severity = "warning"
    effects: WarningEffects


class WarningCombine(_Model):
    """How the effects of several warning signs that fire together combine."""

    downgrade: Literal["sum", "max"] = "sum"
    max_downgrade: Annotated[int, Field(ge=0, le=8)] = 3
    cap_grade: Literal["worst"] = "worst"
    limit_factor: Literal["min", "product"] = "min"


class WarningsFile(_Model):
    """kind: warning_signs — every matching sign fires (hit: collect)."""

    kind: Literal["warning_signs"]
    title: Title
    source: Source
    hit: Literal["collect"] = "collect"
    combine: WarningCombine = WarningCombine()
    rules: Annotated[list[WarningRule], Field(max_length=500)]


class LimitFormula(_Model):
    """A credit limit from months of purchases and a share of net worth."""

    months_of_purchases: Annotated[float, Field(ge=0, le=36)] | None = None
    share_of_net_worth: Annotated[float, Field(ge=0, le=5)] | None = None
    combine: Literal["lowest", "highest"] = "lowest"
    floor: Annotated[float, Field(ge=0, le=1e13)] = 0
    cap: Annotated[float, Field(ge=0, le=1e13)] | None = None
    round_down_to: Annotated[float, Field(gt=0, le=1e9)] = 1000


class LimitRow(Rule):
    """A row of the limit table."""

    limit: LimitFormula
    validity_months: Annotated[int, Field(ge=1, le=12)]


class LimitsFile(_Model):
    """kind: credit_limits — the first matching row sets the limit and its validity."""

    kind: Literal["credit_limits"]
    title: Title
    source: Source
    hit: Literal["first"] = "first"
    rows: Annotated[list[LimitRow], Field(min_length=1, max_length=100)]


class CadenceRow(Rule):
    """A row of the review cadence table."""

    interval_months: Annotated[int, Field(ge=1, le=24)]


class ReviewsFile(_Model):
    """kind: review_cadence — how often a customer's credit is reviewed."""

    kind: Literal["review_cadence"]
    title: Title
    source: Source
    hit: Literal["first"] = "first"
    rows: Annotated[list[CadenceRow], Field(min_length=1, max_length=50)]


class GatherRow(Rule):
    """A row of the review information table: what the reviewer gathers for customers matching it."""

    gather: Annotated[list[Title], Field(min_length=1, max_length=30)]


class _FirstHitFile(_Model):
    """What a file of one first-hit table has besides its `kind` and `rows` (limits, reviews and reminders
    write the same three fields out)."""

    title: Title
    source: Source
    hit: Literal["first"] = "first"


class ReviewInformationFile(_FirstHitFile):
    """kind: review_information — what to gather at a credit review (the first matching row), by customer size."""

    kind: Literal["review_information"]
    rows: Annotated[list[GatherRow], Field(min_length=1, max_length=50)]


class ReminderRow(Rule):
    """A collection reminder lead time for invoices matching the condition."""

    lead_days: Annotated[int, Field(ge=0, le=120)]


class CollectionFile(_Model):
    """kind: collection_reminders — per open invoice, the first matching row sets the lead time."""

    kind: Literal["collection_reminders"]
    title: Title
    source: Source
    hit: Literal["first"] = "first"
    rows: Annotated[list[ReminderRow], Field(min_length=1, max_length=50)]


_ACTION_CODE = re.compile(r"[A-Z][A-Z0-9_]*")
KNOWN_ACTION_CODES = ("FOLLOW_UP", *FIXED_ACTION_CODES)
"""The action codes the decision and the work queue know; a follow-up may add its own."""


class FollowUpRule(Rule):
    """A follow-up reminder (会员管理)."""

    action: Annotated[str, Field(json_schema_extra={"pattern": "^[A-Z][A-Z0-9_]*$"})] = "FOLLOW_UP"  # for editors
    severity: Severity = "info"
    due_in_days: Annotated[int, Field(ge=0, le=365)] = 0

    @field_validator("action")
    @classmethod
    def _action_code(cls, code: str) -> str:
        """A code as codes are written, and none a slip away from a known one: `FOLLOWUP` was taken as a new code,
        which no work-queue category (follow-up, hold, review) knew. A code of the team's own is taken."""
        if not _ACTION_CODE.fullmatch(code):
            meant = re.sub(r"[^A-Z0-9]+", "_", code.upper()).strip("_")
            write = f"; write {meant}" if _ACTION_CODE.fullmatch(meant) else ""
            raise ValueError(f'"{code}" is not written as an action code (capital letters, digits and _){write}')
        hint = suggest(code, list(KNOWN_ACTION_CODES))
        if code not in KNOWN_ACTION_CODES and hint:
            raise ValueError(f'"{code}" is no known action code{hint} (a code of your own must differ from them)')
        return code


class FollowUpsFile(_Model):
    """kind: follow_ups — every matching rule adds its action (hit: collect)."""

    kind: Literal["follow_ups"]
    title: Title
    source: Source
    hit: Literal["collect"] = "collect"
    rules: Annotated[list[FollowUpRule], Field(max_length=200)]


class OrderStep(Rule):
    """An order-check step and the outcome it gives."""

    outcome: Outcome
    priority: Annotated[int, Field(ge=0, le=1000)] = 0


class OrdersFile(_Model):
    """kind: order_checks — the first (or highest-priority) matching step decides; else `default`."""

    kind: Literal["order_checks"]
    title: Title
    source: Source
    hit: Literal["first", "priority"] = "first"
    default: Outcome = "APPROVE"
    steps: Annotated[list[OrderStep], Field(min_length=1, max_length=100)]
