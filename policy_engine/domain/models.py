"""The external shapes of CONTRACT.md: CustomerSnapshot in, CustomerDecision and OrderDecision out."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from operator import attrgetter
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from policy_engine.domain.currency import Currency, OptionalCurrency
from policy_engine.domain.suggest import unknown_choice
from policy_engine.domain.trusted import trusted
from policy_engine.domain.values import (
    GRADES,
    IDENTIFIER_PATTERN,
    MAX_FINANCIALS,
    MAX_INVOICES,
    MAX_MONEY,
    MAX_ORDERS,
    MAX_SIGNALS,
    MAX_TEXT,
    SIGNAL_CODES,
    TEXT_PATTERN,
    IsoDate,
    Money,
    SignedMoney,
)
from policy_engine.domain.violation_reasons import (
    CONTEXT_KEY,
    DUPLICATE,
    INCONSISTENT,
    OUT_OF_RANGE,
    REQUIRED,
    UNKNOWN_VALUE,
)

Text = Annotated[str, StringConstraints(max_length=MAX_TEXT, strip_whitespace=True, pattern=TEXT_PATTERN)]
Identifier = Annotated[
    str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True, pattern=IDENTIFIER_PATTERN)
]
Score = Annotated[int, Field(ge=0, le=100)]
Grade = Literal["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C"]
GradeClass = Literal["A", "B", "C"]
ValueClass = Literal["A", "B", "C", ""]
Severity = Literal["info", "warning", "urgent"]
Outcome = Literal["APPROVE", "HOLD", "SPECIAL_APPROVAL", "CASH_IN_ADVANCE", "REJECT"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Invoice(_Strict):
    """One invoice: what was billed, when it is due and what has been paid."""

    invoice_id: Identifier
    issued_on: IsoDate
    due_on: IsoDate
    amount: Money
    paid_amount: Money = Decimal(0)
    paid_on: IsoDate | None = None
    payment_term_days: Annotated[int, Field(ge=0, le=3650)] = 30
    due_date_changes: Annotated[int, Field(ge=0, le=1000)] = 0

    @model_validator(mode="after")
    def _coherent(self) -> Invoice:
        # The comparisons alone on a valid invoice; the errors are only built for one that fails them.
        if (self.due_on < self.issued_on or self.paid_amount > self.amount
                or (self.paid_on is not None and self.paid_on < self.issued_on)):
            raise ValidationError.from_exception_data(type(self).__name__, _incoherent(self))
        return self

    @property
    def open_amount(self) -> Decimal:
        """What is still owed on this invoice."""
        return self.amount - self.paid_amount


def _incoherent(invoice: Invoice) -> list[InitErrorDetails]:
    """Each field of the invoice that contradicts another, at that field (the later one: the one to fix),
    naming the field it was compared with (`paid_on 2026-01-01 is before issued_on 2026-02-01`)."""
    issued_on, paid_on = invoice.issued_on, invoice.paid_on
    compared = [
        ("due_on", invoice.due_on, invoice.due_on < issued_on, f"is before issued_on {issued_on}"),
        ("paid_amount", invoice.paid_amount, invoice.paid_amount > invoice.amount, f"exceeds amount {invoice.amount}"),
        ("paid_on", paid_on, paid_on is not None and paid_on < issued_on, f"is before issued_on {issued_on}"),
    ]
    return [_value_error_at((field,), value, f"{field} {value} {why}", INCONSISTENT)
            for field, value, wrong, why in compared if wrong]


def _value_error_at(loc: tuple[str | int, ...], value: Any, message: str, reason: str) -> InitErrorDetails:
    """An error at `loc` (a nested model's is prefixed with its path: `invoices[1].paid_on`) for `reason`."""
    return InitErrorDetails(type=_value_error(message, reason), loc=loc, input=value)


def _value_error(message: str, reason: str) -> PydanticCustomError:
    """A refusal carrying its violation reason (violation_reasons.py) in its context."""
    # "value_error", the type a ValueError gets: the code importers report stays as it was.
    return PydanticCustomError("value_error", message, {CONTEXT_KEY: reason})


class Order(_Strict):
    """A customer order; `open` ones are not yet invoiced and count towards exposure."""

    order_id: Identifier
    ordered_on: IsoDate
    amount: Money
    status: Literal["open", "done"] = "done"


class Financials(_Strict):
    """One financial statement of the customer."""

    period_end: IsoDate
    current_assets: Money | None = None
    current_liabilities: Money | None = None
    inventory: Money | None = None
    cash: Money | None = None
    total_assets: Money | None = None
    total_liabilities: Money | None = None
    equity: SignedMoney | None = None
    revenue: Money | None = None
    net_profit: SignedMoney | None = None


class Signal(_Strict):
    """A warning sign observed by staff."""

    code: str
    observed_on: IsoDate
    note: Text = ""

    @field_validator("code")
    @classmethod
    def _known_code(cls, value: str) -> str:
        if value not in SIGNAL_CODES:
            raise _value_error(unknown_choice("signal code", value, SIGNAL_CODES),
                               UNKNOWN_VALUE if value.strip() else REQUIRED)
        return value


class Assessment(_Strict):
    """Staff's 5C scores (5C评估法), each 0–100."""

    character: Score
    capacity: Score
    capital: Score
    collateral: Score
    conditions: Score
    assessed_on: IsoDate | None = None


class CustomerSnapshot(_Strict):
    """Everything the policy looks at for one customer."""

    customer_id: Identifier
    name: Text = ""
    size: Literal["large", "medium", "small"] = "small"
    segment: Text = ""
    relationship_since: IsoDate | None = None
    currency: Currency = "CNY"
    invoices: Annotated[list[Invoice], Field(max_length=MAX_INVOICES)] = []
    orders: Annotated[list[Order], Field(max_length=MAX_ORDERS)] = []
    financials: Annotated[list[Financials], Field(max_length=MAX_FINANCIALS)] = []
    signals: Annotated[list[Signal], Field(max_length=MAX_SIGNALS)] = []
    assessment: Assessment | None = None
    last_contact_on: IsoDate | None = None
    last_review_on: IsoDate | None = None
    current_grade: Grade | None = None
    current_limit: Money | None = None
    value_class: ValueClass = ""
    """The customer's value class from the last portfolio run (ABC analysis of sales); empty when not computed."""

    @model_validator(mode="after")
    def _totals_in_range(self) -> CustomerSnapshot:
        # Each amount is bounded; their sums (exposure, purchases) must stay representable too.
        total = sum(map(_AMOUNT, self.invoices), Decimal(0)) + sum(map(_AMOUNT, self.orders), Decimal(0))
        if total >= MAX_MONEY:
            raise _value_error(f"invoices and orders together exceed {MAX_MONEY:,.0f}", OUT_OF_RANGE)
        # The same invoice or order twice would count its amount twice (exposure, purchases); the
        # importers and the store refuse such duplicates as well.
        invoice_ids, order_ids = list(map(_INVOICE_ID, self.invoices)), list(map(_ORDER_ID, self.orders))
        if len(set(invoice_ids)) != len(invoice_ids) or len(set(order_ids)) != len(order_ids):
            raise ValidationError.from_exception_data(type(self).__name__, [
                *_repeated_ids("invoices", "invoice_id", invoice_ids), *_repeated_ids("orders", "order_id", order_ids)])
        return self

    @model_validator(mode="before")
    @classmethod
    def _empty_is_none(cls, data: Any) -> Any:
        # JSON and proto callers send "" for an absent optional value. The dict is only copied when one
        # of them is "" (the gRPC adapter leaves empty values out, so it never pays for the copy).
        if isinstance(data, dict) and "" in map(data.get, _OPTIONAL_SCALARS):
            return {k: (None if v == "" and k in _OPTIONAL_SCALARS else v) for k, v in data.items()}
        return data


_OPTIONAL_SCALARS = frozenset(
    {"relationship_since", "last_contact_on", "last_review_on", "current_grade", "current_limit"}
)


def _repeated_ids(name: str, field: str, ids: list[str]) -> list[InitErrorDetails]:
    """Each repeat of an id, at the id field a caller sent (`invoices[2].invoice_id`), naming the first."""
    first: dict[str, int] = {}
    found: list[InitErrorDetails] = []
    for index, item_id in enumerate(ids):
        if item_id in first:
            message = f"{name}[{first[item_id]}] and {name}[{index}] have the same id {item_id!r}"
            found.append(_value_error_at((name, index, field), item_id, message, DUPLICATE))
        first.setdefault(item_id, index)
    return found


_AMOUNT = attrgetter("amount")
_INVOICE_ID = attrgetter("invoice_id")
_ORDER_ID = attrgetter("order_id")


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


class OrderRequest(_Strict):
    """A new order to check against the customer's credit."""

    order_id: Identifier = "new-order"
    amount: Money
    payment_term_days: Annotated[int, Field(ge=0, le=3650)] = 30
    currency: OptionalCurrency = None
    """The amount's currency; None (or empty) = the customer's. Another is refused (domain.currency), not converted."""


class OrderDecision(BaseModel):
    """The credit decision for one new order (CONTRACT.md)."""

    customer_id: str
    order_id: str
    outcome: Outcome
    available_credit_after: SignedMoney
    reasons: list[Reason] = []
    customer: CustomerDecision


__all__ = [
    "GRADES",
    "Action",
    "Assessment",
    "CustomerDecision",
    "CustomerSnapshot",
    "Financials",
    "Invoice",
    "Order",
    "OrderDecision",
    "OrderRequest",
    "Reason",
    "Signal",
    "TraceEntry",
    "trusted",
]
