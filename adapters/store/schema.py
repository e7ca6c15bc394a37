"""The store's tables as typed SQLAlchemy 2 mappings (the migrations create the same schema)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from adapters.store.types import ExactDecimal

Id = String(64)
Short = String(200)
# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base of the store's tables."""


def _customer_fk() -> Mapped[str]:
    return mapped_column(Id, ForeignKey("customers.customer_id", ondelete="CASCADE"), nullable=False)


class Customer(Base):
    """A customer record (客户资料卡): identity, basic data, characteristics, business status."""

    __tablename__ = "customers"
    customer_id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(Short, default="")
    size: Mapped[str] = mapped_column(String(10), default="small")
    segment: Mapped[str] = mapped_column(Short, default="")
    relationship_since: Mapped[date | None] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    last_contact_on: Mapped[date | None] = mapped_column(Date)
    last_review_on: Mapped[date | None] = mapped_column(Date)
    address: Mapped[str] = mapped_column(Short, default="")
    legal_representative: Mapped[str] = mapped_column(Short, default="")
    established_on: Mapped[date | None] = mapped_column(Date)
    organisation_form: Mapped[str] = mapped_column(Short, default="")
    industry: Mapped[str] = mapped_column(Short, default="")
    service_area: Mapped[str] = mapped_column(Short, default="")
    sales_capacity: Mapped[str] = mapped_column(Short, default="")
    potential: Mapped[str] = mapped_column(Short, default="")
    competitor_relation: Mapped[str] = mapped_column(Short, default="")
    cooperation_attitude: Mapped[str] = mapped_column(Short, default="")
    trade_terms: Mapped[str] = mapped_column(Short, default="")
    credit_problems: Mapped[str] = mapped_column(Short, default="")


class InvoiceRow(Base):
    """One invoice of a customer."""

    __tablename__ = "invoices"
    __table_args__ = (Index("ix_invoices_customer", "customer_id", "issued_on"),)
    invoice_id: Mapped[str] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[str] = _customer_fk()
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    paid_amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    paid_on: Mapped[date | None] = mapped_column(Date)
    payment_term_days: Mapped[int] = mapped_column(Integer, default=30)
    due_date_changes: Mapped[int] = mapped_column(Integer, default=0)


class OrderRow(Base):
    """One order of a customer; `open` ones are not yet invoiced."""

    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_customer", "customer_id", "ordered_on"),)
    order_id: Mapped[str] = mapped_column(Id, primary_key=True)
    customer_id: Mapped[str] = _customer_fk()
    ordered_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    status: Mapped[str] = mapped_column(String(8), default="done")


class FinancialStatement(Base):
    """One financial statement of a customer, keyed by its period end."""

    __tablename__ = "financial_statements"
    customer_id: Mapped[str] = mapped_column(
        Id, ForeignKey("customers.customer_id", ondelete="CASCADE"), primary_key=True
    )
    period_end: Mapped[date] = mapped_column(Date, primary_key=True)
    current_assets: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    current_liabilities: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    inventory: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    cash: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    total_assets: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    total_liabilities: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    equity: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    revenue: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    net_profit: Mapped[Decimal | None] = mapped_column(ExactDecimal())


class StaffSignal(Base):
    """A warning sign observed by staff, keyed by customer, code and date."""

    __tablename__ = "staff_signals"
    customer_id: Mapped[str] = mapped_column(
        Id, ForeignKey("customers.customer_id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    observed_on: Mapped[date] = mapped_column(Date, primary_key=True)
    note: Mapped[str] = mapped_column(Short, default="")


class AssessmentRow(Base):
    """Staff's 5C scores at one date; the snapshot carries the latest."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("customer_id", "assessed_on", name="uq_assessments_customer_date"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = _customer_fk()
    assessed_on: Mapped[date | None] = mapped_column(Date)
    character: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    capital: Mapped[int] = mapped_column(Integer)
    collateral: Mapped[int] = mapped_column(Integer)
    conditions: Mapped[int] = mapped_column(Integer)


class Contact(Base):
    """A contact with the customer (visit, call); the latest feeds `last_contact_on`."""

    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_customer", "customer_id", "contacted_on"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = _customer_fk()
    contacted_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(32), default="")
    staff: Mapped[str] = mapped_column(Id, default="")
    note: Mapped[str] = mapped_column(Short, default="")


class CreditProfile(Base):
    """The credit a customer holds now: grade, class, limit, validity, next review, value class."""

    __tablename__ = "credit_profiles"
    customer_id: Mapped[str] = mapped_column(
        Id, ForeignKey("customers.customer_id", ondelete="CASCADE"), primary_key=True
    )
    grade: Mapped[str | None] = mapped_column(String(3))
    grade_class: Mapped[str | None] = mapped_column(String(1))
    value_class: Mapped[str] = mapped_column(String(1), default="")
    credit_limit: Mapped[Decimal | None] = mapped_column(ExactDecimal())
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    limit_valid_until: Mapped[date | None] = mapped_column(Date)
    next_review_on: Mapped[date | None] = mapped_column(Date)
    score: Mapped[float | None] = mapped_column(Float)
    policy_version: Mapped[str] = mapped_column(Id, default="")
    as_of: Mapped[date | None] = mapped_column(Date)


class PolicyVersion(Base):
    """The rule files of one policy version, kept once so any logged decision can be replayed."""

    __tablename__ = "policy_versions"
    version: Mapped[str] = mapped_column(Id, primary_key=True)
    files_json: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DecisionSnapshot(Base):
    """An input snapshot, stored once by its sha256 however many decisions were made on it (0003)."""

    __tablename__ = "decision_snapshots"
    snapshot_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    snapshot_json: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DecisionLogEntry(Base):
    """One decision as it was made: input snapshot (by hash), outputs, fired rules, policy version.

    `snapshot_json` is NULL for entries written since migration 0003: the text is in
    decision_snapshots under `snapshot_hash`. Entries written before keep their own copy.
    """

    __tablename__ = "decision_log"
    __table_args__ = (Index("ix_decision_log_customer", "customer_id", "id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(Id)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    as_of: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(16))
    policy_version: Mapped[str] = mapped_column(Id, index=True)
    snapshot_hash: Mapped[str] = mapped_column(String(64))
    snapshot_json: Mapped[str | None] = mapped_column(Text)
    decision_json: Mapped[str] = mapped_column(Text)
    order_json: Mapped[str | None] = mapped_column(Text)
    order_request_json: Mapped[str | None] = mapped_column(Text)
    fired_rules: Mapped[str] = mapped_column(Text)
    grade: Mapped[str] = mapped_column(String(3))
    credit_limit: Mapped[Decimal] = mapped_column(ExactDecimal())
    outcome: Mapped[str | None] = mapped_column(String(20))
    explained: Mapped[bool] = mapped_column(Boolean, default=False)
    build: Mapped[str | None] = mapped_column(String(64))
    """The build of the decision code that made it (`policy_engine.build.build_id()`); NULL for entries
    written before migration 0004."""


metadata = Base.metadata
customers: Table = cast(Table, Customer.__table__)
invoices: Table = cast(Table, InvoiceRow.__table__)
orders: Table = cast(Table, OrderRow.__table__)
financial_statements: Table = cast(Table, FinancialStatement.__table__)
staff_signals: Table = cast(Table, StaffSignal.__table__)
assessments: Table = cast(Table, AssessmentRow.__table__)
contacts: Table = cast(Table, Contact.__table__)
credit_profiles: Table = cast(Table, CreditProfile.__table__)
policy_versions: Table = cast(Table, PolicyVersion.__table__)
decision_snapshots: Table = cast(Table, DecisionSnapshot.__table__)
decision_log: Table = cast(Table, DecisionLogEntry.__table__)
