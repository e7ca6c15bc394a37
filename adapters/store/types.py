"""Column types of the store: money kept exact in every database."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class ExactDecimal(TypeDecorator[Decimal]):
    """A Decimal stored without loss: unconstrained NUMERIC on PostgreSQL, decimal text on SQLite.

    SQLite has no decimal type (NUMERIC affinity turns values into binary floats), and a fixed
    NUMERIC(p, s) would change the scale a caller sent ("1.5" → "1.500000"). Both stores hand back
    the very Decimal that was written, scale included.
    """

    impl = String(40)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """Pick the storage type for this database."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        """Decimal → database value."""
        if value is None:
            return None
        if dialect.name == "sqlite":
            return format(Decimal(value), "f")
        return Decimal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        """Database value → Decimal."""
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))


def money_to_db(value: Decimal | None, dialect_name: str) -> Any:
    """Render a Decimal the way ExactDecimal stores it, for raw DBAPI bulk writes."""
    if value is None:
        return None
    return format(value, "f") if dialect_name == "sqlite" else value
