"""Whether the role a PostgreSQL store is opened with may write what the service writes: checked as `serve` starts.

A role granted SELECT alone (a reporting role's URL given to the service by mistake) served nothing: `serve` ended in
a traceback when it first recorded the rule files of its policy version, after loading the rules and starting
its engine workers. Checked once, before any of that, in one statement; other databases are left to their errors.
"""

from __future__ import annotations

from sqlalchemy import Engine, text

from adapters.store.unusable import grant_advice

SERVICE_WRITES = ("policy_versions", "decision_snapshots", "decision_log")
"""The tables the service inserts into: each policy version's rule files, and the decision log."""

_MISSING = text("""
    SELECT 'INSERT on ' || t FROM unnest(CAST(:tables AS text[])) AS t
     WHERE NOT coalesce(has_table_privilege(to_regclass(t), 'INSERT'), true)
    UNION ALL
    SELECT 'USAGE on ' || s FROM pg_get_serial_sequence('decision_log', 'id') AS s
     WHERE s IS NOT NULL AND NOT has_sequence_privilege(s, 'USAGE')
""")


class StoreNotWritable(Exception):
    """The store's role may not write the tables the service writes; the message says which and what to grant."""


def require_service_writes(engine: Engine) -> None:
    """StoreNotWritable when the PostgreSQL role of `engine` lacks a privilege the service's writes need."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:
        missing = [row[0] for row in conn.execute(_MISSING, {"tables": list(SERVICE_WRITES)})]
    if missing:
        role = engine.url.username or "this role"
        lacks = ", ".join(missing)
        raise StoreNotWritable(f"role {role} may not write the decision log the service keeps (no {lacks}); "
                               f"{grant_advice(role)}")
