"""Customer records: customers, invoices, orders, financials, signals, 5C, contacts, credit profiles.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from adapters.store.types import ExactDecimal

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(64)
SHORT = sa.String(200)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _customer_fk(primary_key: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "customer_id",
        ID,
        sa.ForeignKey("customers.customer_id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def _text(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, SHORT, nullable=False, server_default="")


def upgrade() -> None:
    """Create the customer-record tables."""
    op.create_table(
        "customers",
        sa.Column("customer_id", ID, primary_key=True),
        _text("name"),
        sa.Column("size", sa.String(10), nullable=False, server_default="small"),
        _text("segment"),
        sa.Column("relationship_since", sa.Date),
        sa.Column("currency", sa.String(3), nullable=False, server_default="CNY"),
        sa.Column("last_contact_on", sa.Date),
        sa.Column("last_review_on", sa.Date),
        _text("address"),
        _text("legal_representative"),
        sa.Column("established_on", sa.Date),
        *(_text(n) for n in ("organisation_form", "industry", "service_area", "sales_capacity")),
        *(_text(n) for n in ("potential", "competitor_relation", "cooperation_attitude")),
        *(_text(n) for n in ("trade_terms", "credit_problems")),
    )
    op.create_table(
        "invoices",
        sa.Column("invoice_id", ID, primary_key=True),
        _customer_fk(),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("amount", ExactDecimal(), nullable=False),
        sa.Column("paid_amount", ExactDecimal(), nullable=False),
        sa.Column("paid_on", sa.Date),
        sa.Column("payment_term_days", sa.Integer, nullable=False, server_default="30"),
        sa.Column("due_date_changes", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_invoices_customer", "invoices", ["customer_id", "issued_on"])
    op.create_table(
        "orders",
        sa.Column("order_id", ID, primary_key=True),
        _customer_fk(),
        sa.Column("ordered_on", sa.Date, nullable=False),
        sa.Column("amount", ExactDecimal(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False, server_default="done"),
    )
    op.create_index("ix_orders_customer", "orders", ["customer_id", "ordered_on"])
    money = [
        *("current_assets", "current_liabilities", "inventory", "cash", "total_assets"),
        *("total_liabilities", "equity", "revenue", "net_profit"),
    ]
    op.create_table(
        "financial_statements",
        _customer_fk(primary_key=True),
        sa.Column("period_end", sa.Date, primary_key=True),
        *(sa.Column(name, ExactDecimal()) for name in money),
    )
    op.create_table(
        "staff_signals",
        _customer_fk(primary_key=True),
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("observed_on", sa.Date, primary_key=True),
        _text("note"),
    )
    op.create_table(
        "assessments",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        _customer_fk(),
        sa.Column("assessed_on", sa.Date),
        *(sa.Column(c, sa.Integer, nullable=False) for c in ("character", "capacity", "capital")),
        *(sa.Column(c, sa.Integer, nullable=False) for c in ("collateral", "conditions")),
        sa.UniqueConstraint("customer_id", "assessed_on", name="uq_assessments_customer_date"),
    )
    op.create_table(
        "contacts",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        _customer_fk(),
        sa.Column("contacted_on", sa.Date, nullable=False),
        sa.Column("channel", sa.String(32), nullable=False, server_default=""),
        sa.Column("staff", ID, nullable=False, server_default=""),
        _text("note"),
    )
    op.create_index("ix_contacts_customer", "contacts", ["customer_id", "contacted_on"])
    op.create_table(
        "credit_profiles",
        _customer_fk(primary_key=True),
        sa.Column("grade", sa.String(3)),
        sa.Column("grade_class", sa.String(1)),
        sa.Column("value_class", sa.String(1), nullable=False, server_default=""),
        sa.Column("credit_limit", ExactDecimal()),
        sa.Column("currency", sa.String(3), nullable=False, server_default="CNY"),
        sa.Column("limit_valid_until", sa.Date),
        sa.Column("next_review_on", sa.Date),
        sa.Column("score", sa.Float),
        sa.Column("policy_version", ID, nullable=False, server_default=""),
        sa.Column("as_of", sa.Date),
    )


def downgrade() -> None:
    """Drop the customer-record tables."""
    for table in ("credit_profiles", "contacts", "assessments", "staff_signals", "financial_statements"):
        op.drop_table(table)
    for table in ("orders", "invoices", "customers"):
        op.drop_table(table)
