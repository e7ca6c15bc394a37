"""The shapes of the rule files, one pydantic model per rule kind (`credit-policy schema` prints them)."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from policy_engine.rules.numbers import describe, setting_of
from policy_engine.rules.problems import Problem

if TYPE_CHECKING:  # the evaluator reads these models; only the compiler needs the loader
    from policy_engine.rules.loader import Document

Grade = Literal["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C"]
GradeClass = Literal["A", "B", "C"]
Severity = Literal["info", "warning", "urgent"]
Outcome = Literal["APPROVE", "HOLD", "SPECIAL_APPROVAL", "CASH_IN_ADVANCE", "REJECT"]
RuleId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$", max_length=80)]
Source = Annotated[str, Field(min_length=3, max_length=500)]
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

    zh: Annotated[str, Field(min_length=1, max_length=200)]
    en: Annotated[str, Field(min_length=1, max_length=200)]


class Rule(_Model):
    """What every rule has: a stable id, a bilingual title, the seed passage it encodes, a condition."""

    id: RuleId
    title: Title
    source: Source
    when: Condition = None
    note: str = ""


class ScoreRow(Rule):
    """A row of a 5C factor table: when it matches, the factor scores `points` (0–100)."""

    points: Annotated[float, Field(ge=0, le=100)]


class Factor(_Model):
    """One of the 5C factors: a first-hit table of rows and its weight in the score."""

    id: Literal["character", "capacity", "capital", "collateral", "conditions"]
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

    code: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$", max_length=60)]
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


class FollowUpRule(Rule):
    """A follow-up reminder (会员管理)."""

    action: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$")] = "FOLLOW_UP"
    severity: Severity = "info"
    due_in_days: Annotated[int, Field(ge=0, le=365)] = 0


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


class FeatureWindows(_Model):
    """Tunable windows of the feature computation."""

    signal_window_days: Annotated[int, Field(ge=1, le=3650)] = 180
    payment_window_days: Annotated[int, Field(ge=30, le=3650)] = 365
    due_change_window_days: Annotated[int, Field(ge=1, le=3650)] = 90
    lateness_gap_min_invoices: Annotated[int, Field(ge=2, le=1000)] = 4


class PolicyFile(_Model):
    """kind: policy — the pack's name and the feature windows."""

    kind: Literal["policy"]
    name: Annotated[str, Field(min_length=1, max_length=100)]
    title: Title
    source: Source
    features: FeatureWindows = FeatureWindows()


class ValueClasses(_Model):
    """ABC analysis: customers sorted by sales; A until `a_share` of cumulative sales, B until a+b, C the rest."""

    a_share: Annotated[float, Field(gt=0, lt=1)] = 0.75
    b_share: Annotated[float, Field(gt=0, lt=1)] = 0.20
    sales_window_months: Annotated[int, Field(ge=1, le=36)] = 12


class PortfolioFile(_Model):
    """kind: portfolio — policy over the whole book: ABC value classes, key-customer rankings, give-up share."""

    kind: Literal["portfolio"]
    title: Title
    source: Source
    value_classes: ValueClasses = ValueClasses()
    key_customer_ranking_size: Annotated[int, Field(ge=1, le=1000)] = 10
    give_up_share: Annotated[float, Field(ge=0, le=0.5)] = 0.05


FILE_MODELS: dict[str, type[_Model]] = {
    "policy": PolicyFile,
    "scorecard": ScorecardFile,
    "grade_bands": GradeBandsFile,
    "warning_signs": WarningsFile,
    "credit_limits": LimitsFile,
    "review_cadence": ReviewsFile,
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
        "collection_reminders",
        "order_checks",
        "portfolio",
    }
)


def _known_fields(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names allowed at `loc` (for did-you-mean on unknown keys)."""
    return list(getattr(_container(model, loc), "model_fields", {}))


def _container(model: type[BaseModel], loc: tuple[Any, ...]) -> Any:
    """The model whose field `loc[-1]` is (list indexes on the way skipped), or None."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int) or current is None:
            continue
        info = getattr(current, "model_fields", {}).get(part)
        if info is None:
            return None
        current = _inner_model(info.annotation)
    return current


def _number_problem(doc: Document, model: type[BaseModel], loc: tuple[Any, ...], err: Any) -> Problem | None:
    """A number setting's problem in plain words (numbers.py), or None when `loc` is no number setting."""
    field_loc = loc
    while field_loc and isinstance(field_loc[-1], int):  # an item of a list of numbers (range)
        field_loc = field_loc[:-1]
    info = getattr(_container(model, field_loc), "model_fields", {}).get(field_loc[-1]) if field_loc else None
    setting = setting_of(info.annotation, info.metadata) if info is not None else None
    described = describe(err, setting) if setting is not None else None
    if described is None:
        return None
    return doc.problem(loc, described[0], f"{_where(doc.data, loc)}: {described[1]}")


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    meta = getattr(annotation, "__origin__", None)
    return _inner_model(meta) if meta is not None and meta is not annotation else None


def suggest(name: str, options: list[str]) -> str:
    """` — did you mean "x"?` when a close option exists."""
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return f' — did you mean "{close[0]}"?' if close else ""


def validate_document(doc: Document) -> tuple[BaseModel | None, list[Problem]]:
    """Check a parsed file against its kind's model; every problem located and coded."""
    data = doc.data
    if not isinstance(data, dict):
        return None, [doc.problem((), "type_mismatch", "a rule file must be a mapping with a `kind`")]
    kind = data.get("kind")
    model = FILE_MODELS.get(kind) if isinstance(kind, str) else None
    if model is None:
        msg = f"unknown kind {kind!r}; expected one of {', '.join(FILE_MODELS)}"
        return None, [doc.problem(("kind",), "unknown_kind", msg + suggest(str(kind), list(FILE_MODELS)))]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, [_problem_from(doc, model, err) for err in exc.errors(include_url=False)]


def _problem_from(doc: Document, model: type[BaseModel], err: Any) -> Problem:
    loc = tuple(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        name = str(loc[-1])
        return doc.problem(loc, "unknown_field", f'unknown field "{name}"' + suggest(name, _known_fields(model, loc)))
    if kind == "missing":
        return doc.problem(loc, "missing_field", f'missing field "{loc[-1]}"')
    number = _number_problem(doc, model, loc, err)
    if number is not None:
        return number
    code = "type_mismatch" if kind.endswith("_type") or kind.endswith("_parsing") else "invalid_value"
    message = str(err["ctx"]["error"]) if kind == "value_error" else str(err["msg"])
    if kind.startswith("bool_") and isinstance(err.get("input"), str):
        message += f" (write true or false; {err['input']!r} is text here)"
    return doc.problem(loc, code, f"{_where(doc.data, loc)}: {message}")


def _where(data: Any, loc: tuple[Any, ...]) -> str:
    """`rules[3].effects.downgrade`, or led by the id of the innermost rule on the path:
    `rule warn.pays_late: effects.downgrade`."""
    rule_id, start, node = None, 0, data
    for i, part in enumerate(loc):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(part, int) and isinstance(node, dict) and isinstance(node.get("id"), str):
            rule_id, start = node["id"], i + 1
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc[start:]).lstrip(".")
    if rule_id is None:
        return path
    return f"rule {rule_id}: {path}" if path else f"rule {rule_id}"


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
