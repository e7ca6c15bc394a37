"""The shapes of the rule files, one pydantic model per rule kind (`credit-policy schema` prints them).

The models live beside this module by what they hold (`schema_base`, `schema_decision`, `schema_pack`), and the
translation of pydantic's errors into located problems in `schema_problems`; this module ties each `kind` to its
model, validates a parsed file and builds the JSON Schema. Import the rule-file shapes from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from policy_engine.rules.echo_yaml import as_written
from policy_engine.rules.problems import Problem
from policy_engine.rules.schema_base import (
    Condition,
    Grade,
    GradeClass,
    Outcome,
    Rule,
    RuleId,
    Severity,
    Source,
    Title,
    _Model,
)
from policy_engine.rules.schema_decision import (
    FACTOR_IDS,
    CadenceRow,
    CollectionFile,
    Factor,
    FactorId,
    FollowUpRule,
    FollowUpsFile,
    GatherRow,
    GradeBand,
    GradeBandsFile,
    LimitFormula,
    LimitRow,
    LimitsFile,
    OrdersFile,
    OrderStep,
    ReminderRow,
    ReviewInformationFile,
    ReviewsFile,
    ScorecardFile,
    ScoreRow,
    WarningCombine,
    WarningEffects,
    WarningRule,
    WarningsFile,
)
from policy_engine.rules.schema_pack import FeatureWindows, PolicyFile, PortfolioFile, ValueClasses
from policy_engine.rules.schema_problems import problems_from, suggest

if TYPE_CHECKING:  # the evaluator reads these models; only the compiler needs the loader
    from policy_engine.rules.loader import Document

__all__ = [
    "FACTOR_IDS",
    "CadenceRow",
    "CollectionFile",
    "FactorId",
    "Condition",
    "FILE_MODELS",
    "Factor",
    "FeatureWindows",
    "FollowUpRule",
    "FollowUpsFile",
    "GatherRow",
    "Grade",
    "GradeBand",
    "GradeBandsFile",
    "GradeClass",
    "LimitFormula",
    "LimitRow",
    "LimitsFile",
    "OrderStep",
    "OrdersFile",
    "Outcome",
    "PolicyFile",
    "PortfolioFile",
    "ReminderRow",
    "ReviewInformationFile",
    "ReviewsFile",
    "Rule",
    "RuleId",
    "OPTIONAL_KINDS",
    "SINGLE_KINDS",
    "ScoreRow",
    "ScorecardFile",
    "Severity",
    "Source",
    "Title",
    "ValueClasses",
    "WarningCombine",
    "WarningEffects",
    "WarningRule",
    "WarningsFile",
    "json_schema",
    "suggest",
    "validate_document",
]


FILE_MODELS: dict[str, type[_Model]] = {
    "policy": PolicyFile,
    "scorecard": ScorecardFile,
    "grade_bands": GradeBandsFile,
    "warning_signs": WarningsFile,
    "credit_limits": LimitsFile,
    "review_cadence": ReviewsFile,
    "review_information": ReviewInformationFile,
    "collection_reminders": CollectionFile,
    "follow_ups": FollowUpsFile,
    "order_checks": OrdersFile,
    "portfolio": PortfolioFile,
}
SINGLE_KINDS = frozenset(
    {
        "policy",
        "scorecard",
        "grade_bands",
        "credit_limits",
        "review_cadence",
        "review_information",
        "collection_reminders",
        "order_checks",
        "portfolio",
    }
)
OPTIONAL_KINDS = frozenset({"review_information"})
"""Kinds a rules directory may leave out: added after rule sets were stored and deployed, which still load."""


def validate_document(doc: Document) -> tuple[BaseModel | None, list[Problem]]:
    """Check a parsed file against its kind's model; every problem located and coded."""
    data = doc.data
    if data is None:  # nothing but comments, or nothing at all: a file started and not yet written
        return None, [doc.problem((), "missing_field", "empty rule file: expected a mapping with a `kind` (one of "
                                                       f"{', '.join(FILE_MODELS)}); write one, or remove the file")]
    if not isinstance(data, dict):
        what = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
        return None, [doc.problem((), "type_mismatch", f"a rule file must be a mapping with a `kind`; got {what}")]
    kind = data.get("kind")
    model = FILE_MODELS.get(kind) if isinstance(kind, str) else None
    if model is None:
        msg = f"unknown kind {as_written(kind)}; expected one of {', '.join(FILE_MODELS)}"
        return None, [doc.problem(("kind",), "unknown_kind", msg + suggest(str(kind), list(FILE_MODELS)))]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, problems_from(doc, model, list(exc.errors(include_url=False)))


def json_schema() -> dict[str, Any]:
    """JSON Schema of every rule file kind, for editors."""
    schema: dict[str, Any] = TypeAdapter(
        Annotated[
            PolicyFile
            | ScorecardFile
            | GradeBandsFile
            | WarningsFile
            | LimitsFile
            | ReviewsFile
            | ReviewInformationFile
            | CollectionFile
            | FollowUpsFile
            | OrdersFile
            | PortfolioFile,
            Field(discriminator="kind"),
        ]
    ).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "credit-policy rule file"
    return schema
