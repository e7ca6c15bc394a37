"""Which fields each rule kind can see, and where each kind keeps its rules in its file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from policy_engine.domain.values import GRADE_CLASSES, GRADES
from policy_engine.features import FEATURE_BY_NAME, FieldSpec

_S = FieldSpec

INVOICE = {
    s.name: s
    for s in (
        _S("invoice_payment_term_days", "integer", "Payment term of the invoice", "days", minimum=0),
        _S("invoice_days_to_due", "integer", "Days until the due date (negative once past due)", "days"),
        _S("invoice_days_overdue", "integer", "Days past due (0 while not due)", "days", minimum=0),
        _S("invoice_open_amount", "number", "Unpaid amount of the invoice", "money", money=True, minimum=0),
        _S("invoice_amount", "number", "Invoiced amount", "money", money=True, minimum=0),
        _S("invoice_due_date_changes", "integer", "Times the due date was moved", minimum=0),
    )
}
RATING = {"score": _S("score", "number", "The 5C score, 0–100", "0-100", minimum=0, maximum=100)}
DECISION = {
    s.name: s
    for s in (
        _S("grade", "enum", "Final grade after warning signs", values=GRADES),
        _S("grade_rank", "integer", "Rank of the final grade (AAA 1 … C 9)", minimum=1,
           maximum=len(GRADES)),
        _S("grade_class", "enum", "Grade class A/B/C", values=GRADE_CLASSES),
        _S("base_grade", "enum", "Grade from the score band, before warning signs", values=GRADES),
        _S("base_grade_rank", "integer", "Rank of the base grade", minimum=1, maximum=len(GRADES)),
        _S("downgrade_notches", "integer", "Notches taken off by warning signs", minimum=0),
        _S("hold_orders", "boolean", "A warning sign asks to hold orders"),
        _S("urgent_review", "boolean", "A warning sign asks for an urgent review"),
        _S("request_collateral", "boolean", "A warning sign asks for collateral"),
        _S("warning_count", "integer", "Warning signs that fired", minimum=0),
    )
}
LIMIT = {
    s.name: s
    for s in (
        _S("credit_limit", "number", "The credit limit just decided", "money", money=True, minimum=0),
        _S("available_credit", "number", "Credit limit − exposure, before the order", "money", money=True),
    )
}
ORDER = {
    s.name: s
    for s in (
        _S("order_amount", "number", "Amount of the order being checked", "money", money=True, minimum=0),
        _S("order_payment_term_days", "integer", "Payment term asked for the order", "days", minimum=0),
        _S("available_credit_after", "number", "Available credit once the order is taken (an order already "
           "among the open orders counts once)", "money", money=True),
    )
}

SCOPES: dict[str, dict[str, FieldSpec]] = {
    "customer": dict(FEATURE_BY_NAME),
    "invoice": {**INVOICE, **FEATURE_BY_NAME},
    "rating": {**RATING, **FEATURE_BY_NAME},
    "profile": {**RATING, **DECISION, **FEATURE_BY_NAME},
    "order": {**ORDER, **LIMIT, **RATING, **DECISION, **FEATURE_BY_NAME},
}


def all_scope_fields() -> dict[str, FieldSpec]:
    """Every field of every scope in one table (a name in two scopes: the later scope's spec)."""
    merged: dict[str, FieldSpec] = {}
    for scope in SCOPES.values():
        merged.update(scope)
    return merged


def scope_for(stage: str) -> dict[str, FieldSpec]:
    """The fields rules of a stage may compare."""
    return SCOPES[stage]


KIND_WORDS = {"score_row": "scorecard rows", "warning": "warning signs", "follow_up": "follow-ups",
              "reminder": "collection reminders", "grade_band": "grade bands", "limit": "credit limits",
              "cadence": "review cadence", "gather": "review information", "order_step": "order checks"}
"""Each rule kind as risk staff name it, in the order the evaluator decides them."""


def not_available(name: str, kind: str, scope: dict[str, FieldSpec]) -> str:
    """Why a rule of `kind` cannot compare `name`, which kinds can, and the field it may have meant."""
    seen_by = [words for k, words in KIND_WORDS.items() if name in SCOPES[_STAGE_OF[k]]]
    listed = ", ".join(seen_by[:-1]) + f" and {seen_by[-1]}" if len(seen_by) > 1 else "".join(seen_by)
    message = f'"{name}" is not available to {KIND_WORDS.get(kind, "this kind of rule")}'
    message += f": only {listed} see it" if listed else ""
    if f"current_{name}" in scope:  # the grade decided now is not known yet; the one held today is
        message += f"; for the {name.replace('_', ' ')} the customer holds today, compare current_{name}"
    return message


Entry = tuple[str, str, str, tuple[Any, ...], Any]  # table, stage, kind, location, rule spec


def _rows(table: str, stage: str, kind: str, key: str) -> Callable[[Any], Iterator[Entry]]:
    def gen(model: Any) -> Iterator[Entry]:
        for i, spec in enumerate(getattr(model, key)):
            yield table, stage, kind, (key, i), spec

    return gen


def _scorecard(model: Any) -> Iterator[Entry]:
    for fi, factor in enumerate(model.factors):
        for ri, row in enumerate(factor.rows):
            yield f"scorecard.{factor.id}", "customer", "score_row", ("factors", fi, "rows", ri), row


KIND_TABLES: dict[str, Callable[[Any], Iterator[Entry]]] = {
    "policy": lambda model: iter(()),
    "portfolio": lambda model: iter(()),
    "scorecard": _scorecard,
    "grade_bands": _rows("grade_bands", "rating", "grade_band", "bands"),
    "warning_signs": _rows("warnings", "customer", "warning", "rules"),
    "credit_limits": _rows("limits", "profile", "limit", "rows"),
    "review_cadence": _rows("reviews", "profile", "cadence", "rows"),
    "review_information": _rows("review_information", "profile", "gather", "rows"),
    "collection_reminders": _rows("collection", "invoice", "reminder", "rows"),
    "follow_ups": _rows("follow_ups", "customer", "follow_up", "rules"),
    "order_checks": _rows("orders", "order", "order_step", "steps"),
}
"""For each file kind: its rules with their table, stage, rule kind and location in the file."""

_STAGE_OF = {"score_row": "customer", "warning": "customer", "follow_up": "customer", "reminder": "invoice",
             "grade_band": "rating", "limit": "profile", "cadence": "profile", "gather": "profile",
             "order_step": "order"}
