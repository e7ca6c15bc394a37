"""What every rule file kind shares: the value types, the strict base model and a rule's id, title, source and
condition."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from policy_engine.domain.values import IDENTIFIER_PATTERN

Grade = Literal["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C"]
GradeClass = Literal["A", "B", "C"]
Severity = Literal["info", "warning", "urgent"]
Outcome = Literal["APPROVE", "HOLD", "SPECIAL_APPROVAL", "CASH_IN_ADVANCE", "REJECT"]
RULE_ID_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"
"""A rule id: small letters, digits and _, in parts joined by dots (warn.pays_late)."""
CODE_PATTERN = r"^[A-Z][A-Z0-9_]*$"
"""A reason or action code: capital letters, digits and _, a letter first (PAYS_LATE)."""
RuleId = Annotated[str, Field(pattern=RULE_ID_PATTERN, max_length=80)]
Source = Annotated[str, Field(min_length=3, max_length=500)]
OneLine = Annotated[str, Field(min_length=1, max_length=200, pattern=IDENTIFIER_PATTERN)]
"""Text every decision, log line, CSV and terminal shows (a title, the pack's name): one line, and no control
or invisible formatting character that could colour a terminal, forge a line or show other text than is there."""
Condition = Annotated[
    Any,
    Field(
        description=(
            "A condition: {all: [...]}, {any: [...]}, {not: {...}}, {signal: CODE}, or "
            "{FIELD: {OP: VALUE}} with OP one of eq ne lt lte gt gte between in not_in exists "
            "at_least at_most (grades); {FIELD: VALUE} means eq."
        ),
        json_schema_extra={"type": "object"},
    ),
]


class _Model(BaseModel):
    # allow_inf_nan: YAML's .nan and .inf are floats; no setting of a rule file can take them
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class Title(_Model):
    """A rule's title in Chinese and English."""

    zh: OneLine
    en: OneLine


class Rule(_Model):
    """What every rule has: a stable id, a bilingual title, the seed passage it encodes, a condition."""

    id: RuleId
    title: Title
    source: Source
    when: Condition = None
    note: str = ""
