"""The shape of one row per import kind, validated with the domain's own types."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints, model_validator

from policy_engine.domain.models import (
    Financials,
    Grade,
    Identifier,
    Invoice,
    Order,
    Score,
    Signal,
    Text,
    ValueClass,
    _Strict,
)
from policy_engine.domain.value_schemas import IsoDate, Money
from policy_engine.domain.values import CURRENCY_PATTERN

ASSESSMENT_COLUMNS = ("character", "capacity", "capital", "collateral", "conditions")


class CustomerRow(_Strict):
    """A customer record (客户资料卡); optional 5C scores and a current grade/limit from a legacy system."""

    customer_id: Identifier
    name: Text = ""
    size: Literal["large", "medium", "small"] = "small"
    segment: Text = ""
    relationship_since: IsoDate | None = None
    currency: Annotated[str, StringConstraints(pattern=CURRENCY_PATTERN)] = "CNY"
    last_contact_on: IsoDate | None = None
    last_review_on: IsoDate | None = None
    address: Text = ""
    legal_representative: Text = ""
    established_on: IsoDate | None = None
    organisation_form: Text = ""
    industry: Text = ""
    service_area: Text = ""
    sales_capacity: Text = ""
    potential: Text = ""
    competitor_relation: Text = ""
    cooperation_attitude: Text = ""
    trade_terms: Text = ""
    credit_problems: Text = ""
    character: Score | None = None
    capacity: Score | None = None
    capital: Score | None = None
    collateral: Score | None = None
    conditions: Score | None = None
    assessed_on: IsoDate | None = None
    current_grade: Grade | None = None
    current_limit: Money | None = None
    value_class: ValueClass | None = None  # ABC class from outside; empty: leave the stored class

    @model_validator(mode="after")
    def _whole_assessment(self) -> CustomerRow:
        given = [c for c in ASSESSMENT_COLUMNS if getattr(self, c) is not None]
        if given and (len(given) < len(ASSESSMENT_COLUMNS) or self.assessed_on is None):
            missing = [c for c in (*ASSESSMENT_COLUMNS, "assessed_on") if getattr(self, c) is None]
            raise ValueError(f"a 5C assessment needs all five scores and assessed_on; missing {', '.join(missing)}")
        return self


class InvoiceRow(Invoice):
    """An invoice with the customer it belongs to."""

    customer_id: Identifier


class OrderRow(Order):
    """An order with the customer it belongs to."""

    customer_id: Identifier


class FinancialRow(Financials):
    """A financial statement with the customer it belongs to."""

    customer_id: Identifier


class SignalRow(Signal):
    """A staff-observed warning sign with the customer it belongs to."""

    customer_id: Identifier


def field_names(model: type[_Strict]) -> tuple[str, ...]:
    """The columns a row of this model may carry."""
    return tuple(model.model_fields)


def required_names(model: type[_Strict]) -> tuple[str, ...]:
    """The columns a row of this model must carry."""
    return tuple(n for n, f in model.model_fields.items() if f.is_required())


__all__ = [
    "CustomerRow",
    "FinancialRow",
    "InvoiceRow",
    "OrderRow",
    "SignalRow",
    "field_names",
    "required_names",
]
