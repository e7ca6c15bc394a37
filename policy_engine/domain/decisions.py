"""The decisions of CONTRACT.md: CustomerDecision and OrderDecision, with their actions, reasons and trace."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel

from policy_engine.domain.value_schemas import Money, SignedMoney
from policy_engine.domain.values import Grade, GradeClass, ValueClass

Severity = Literal["info", "warning", "urgent"]
Outcome = Literal["APPROVE", "HOLD", "SPECIAL_APPROVAL", "CASH_IN_ADVANCE", "REJECT"]


class Action(BaseModel):
    """Something staff or a system should do, with the rule that asked for it."""

    code: str
    due_on: date
    target_id: str = ""
    severity: Severity = "info"
    rule_id: str
    message: str
    gather: list[str] = []  # a CREDIT_REVIEW's items to collect (review_information.yaml), by customer size


class Reason(BaseModel):
    """Why the decision came out as it did: a rule that fired and what it saw."""

    rule_id: str
    code: str
    message: str
    evidence: dict[str, Any] = {}


class TraceEntry(BaseModel):
    """One rule of the policy: whether it fired and the inputs it looked at."""

    rule_id: str
    fired: bool
    inputs: dict[str, Any] = {}
    superseded_by: str = ""  # fired, but this rule of the same first-hit (or priority) table was taken instead
    no_action: str = ""  # fired, but no action came of it (for an invoice rule: for which invoices, and why)


class CustomerDecision(BaseModel):
    """The credit decision for one customer (CONTRACT.md)."""

    customer_id: str
    policy_version: str
    as_of: date
    score: float
    grade: Grade
    grade_class: GradeClass
    value_class: ValueClass = ""
    credit_limit: Money
    currency: str
    limit_valid_until: date
    exposure: Money
    available_credit: SignedMoney
    next_review_on: date
    actions: list[Action] = []
    reasons: list[Reason] = []
    trace: list[TraceEntry] = []


class OrderDecision(BaseModel):
    """The credit decision for one new order (CONTRACT.md)."""

    customer_id: str
    order_id: str
    outcome: Outcome
    available_credit_after: SignedMoney
    reasons: list[Reason] = []
    customer: CustomerDecision
