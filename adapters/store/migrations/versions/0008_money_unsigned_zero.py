"""Money written as a negative zero ("-0.00") by an earlier release is kept as zero ("0.00").

Earlier releases read `-0` and `-0.00` as 0 and kept the text as sent in a SQLite store (money is decimal text
there: adapters/store/types.py). This release refuses a minus sign on money that may not be negative, zero
included, so such a row read as a stored record that is invalid: its customer could not be evaluated and was
quarantined by the batch. The value is zero either way, so the sign is dropped and nothing else changes.
PostgreSQL's `numeric` keeps no sign on zero: nothing to do there.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

MONEY_COLUMNS = {
    "invoices": ("amount", "paid_amount"),
    "orders": ("amount",),
    "financial_statements": ("current_assets", "current_liabilities", "inventory", "cash", "total_assets",
                             "total_liabilities", "equity", "revenue", "net_profit"),
    "credit_profiles": ("credit_limit",),
}
"""The money columns a customer's snapshot is read from (the decision log's amounts are the engine's, never -0)."""


def upgrade() -> None:
    """On SQLite, drop the minus sign of every money value that is zero ("-0", "-0.00", "-000.0")."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, columns in MONEY_COLUMNS.items():
        for column in columns:
            # After its sign, the text is zero when it holds nothing but 0s and a point.
            op.execute(f"UPDATE {table} SET {column} = substr({column}, 2) "
                       f"WHERE {column} LIKE '-%' AND trim(substr({column}, 2), '0.') = ''")  # fmt: skip


def downgrade() -> None:
    """Nothing to undo: a zero is a zero (the sign an earlier release kept said nothing)."""
