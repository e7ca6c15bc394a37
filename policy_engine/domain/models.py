"""The external shapes of CONTRACT.md: CustomerSnapshot and OrderRequest in (the decisions out: decisions.py)."""

from __future__ import annotations

import functools
from decimal import Decimal
from operator import attrgetter
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from policy_engine.domain.currency import Currency, OptionalCurrency
from policy_engine.domain.decisions import (  # re-exported: the models' callers import them from here
    Action,
    CustomerDecision,
    OrderDecision,
    Outcome,
    Reason,
    Severity,
    TraceEntry,
)
from policy_engine.domain.refusals import incoherent, repeated_ids, value_error, with_sent_repeats
from policy_engine.domain.suggest import unknown_choice
from policy_engine.domain.trusted import trusted
from policy_engine.domain.value_schemas import IsoDate, Money, PositiveMoney, SignedMoney
from policy_engine.domain.values import (
    GRADES,
    IDENTIFIER_PATTERN,
    MAX_FINANCIALS,
    MAX_ID_LENGTH,
    MAX_INVOICES,
    MAX_MONEY,
    MAX_ORDERS,
    MAX_SIGNALS,
    MAX_TEXT,
    SIGNAL_CODES,
    TEXT_PATTERN,
    Grade,
    GradeClass,
    ValueClass,
)
from policy_engine.domain.violation_reasons import OUT_OF_RANGE, REQUIRED, UNKNOWN_VALUE

Text = Annotated[str, StringConstraints(max_length=MAX_TEXT, strip_whitespace=True, pattern=TEXT_PATTERN)]
Identifier = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_ID_LENGTH, strip_whitespace=True, pattern=IDENTIFIER_PATTERN)
]
Score = Annotated[int, Field(ge=0, le=100)]


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
        paid_on = self.paid_on
        if (self.due_on < self.issued_on or self.paid_amount > self.amount
                or (paid_on is not None and (paid_on < self.issued_on or (not self.paid_amount and self.amount)))):
            raise ValidationError.from_exception_data(type(self).__name__, incoherent(self))
        return self

    @property
    def open_amount(self) -> Decimal:
        """What is still owed on this invoice."""
        return self.amount - self.paid_amount


class Order(_Strict):
    """A customer order; `open` ones are not yet invoiced and count towards exposure."""

    order_id: Identifier
    ordered_on: IsoDate
    # 0 is taken (an ERP's placeholder, an order cancelled in full): it counts for nothing, no order and no
    # purchase (features/purchases.py), rather than refusing the whole snapshot. A new order to check is of more.
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
            raise value_error(unknown_choice("signal code", value, SIGNAL_CODES),
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
            raise value_error(f"invoices and orders together exceed {MAX_MONEY:,.0f}", OUT_OF_RANGE)
        # The same invoice or order twice would count its amount twice (exposure, purchases); the
        # importers and the store refuse such duplicates as well.
        invoice_ids, order_ids = list(map(_INVOICE_ID, self.invoices)), list(map(_ORDER_ID, self.orders))
        if len(set(invoice_ids)) != len(invoice_ids) or len(set(order_ids)) != len(order_ids):
            raise ValidationError.from_exception_data(type(self).__name__, [
                *repeated_ids("invoices", "invoice_id", invoice_ids), *repeated_ids("orders", "order_id", order_ids)])
        return self

    @model_validator(mode="wrap")
    @classmethod
    def _repeats_beside_field_errors(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> CustomerSnapshot:
        # The check above runs once every field is valid; a snapshot refused for its fields names its repeated ids
        # too (among the items whose id is valid), or a caller fixing it in rounds met them only in the next one.
        try:
            return handler(data)  # type: ignore[no-any-return]
        except ValidationError as exc:
            raise with_sent_repeats(exc, data, _ID_FIELDS, _valid_id) from None

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


_ID_FIELDS = (("invoices", "invoice_id"), ("orders", "order_id"))
"""The snapshot's lists whose items have an id of their own, and its field."""


@functools.cache
def _identifier() -> TypeAdapter[str]:
    return TypeAdapter(Identifier)


def _valid_id(sent: Any) -> str | None:
    """`sent` as the model reads an id (whitespace taken off), or None when it is no valid id."""
    try:
        return _identifier().validate_python(sent)
    except ValidationError:
        return None


_AMOUNT = attrgetter("amount")
_INVOICE_ID = attrgetter("invoice_id")
_ORDER_ID = attrgetter("order_id")


class OrderRequest(_Strict):
    """A new order to check against the customer's credit."""

    order_id: Identifier = "new-order"
    amount: PositiveMoney  # an order of 0 asks for no credit: nothing to decide
    payment_term_days: Annotated[int, Field(ge=0, le=3650)] = 30
    currency: OptionalCurrency = None
    """The amount's currency; None (or empty) = the customer's. Another is refused (domain.currency), not converted."""


__all__ = [
    "GRADES",
    "Action",
    "Assessment",
    "CustomerDecision",
    "CustomerSnapshot",
    "Financials",
    "Invoice",
    "Grade",
    "GradeClass",
    "Order",
    "OrderDecision",
    "OrderRequest",
    "Outcome",
    "Reason",
    "Severity",
    "Signal",
    "TraceEntry",
    "ValueClass",
    "trusted",
]
