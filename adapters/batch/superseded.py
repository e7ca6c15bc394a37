"""Runs of the same day and part under other rules that were left unfinished.

A run is keyed by its as-of date and policy version, so the same command run again after the rules
changed (a stopped night, a fix deployed before the resume) starts a new run that evaluates every
customer, and the stopped one is never finished. Without a word, the operator took it for the resume.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine, select

from adapters.batch import runs
from adapters.batch import tables as t
from adapters.batch.runs import Partition
from policy_engine.words import plural

MAX_NAMED = 5


def unfinished_under_other_rules(engine: Engine, run_id: str, part: Partition, as_of: date) -> list[dict[str, Any]]:
    """The part's runs of `as_of` under another policy version that are not complete, oldest first."""
    r = t.batch_runs
    query = (select(r.c.run_id, r.c.policy_version, r.c.status)
             .where(r.c.as_of == as_of, r.c.part == str(part), r.c.run_id != run_id, r.c.status != "complete")
             .order_by(r.c.started_at).limit(MAX_NAMED))  # fmt: skip
    with engine.connect() as conn:
        return [{"run_id": other, "policy_version": version, "status": status,
                 "settled": sum(runs.status_counts(conn, other, part).values())}
                for other, version, status in conn.execute(query)]  # fmt: skip


def notice(left: dict[str, Any], run_id: str) -> str:
    """What the operator is told at the start of `run_id` about a run of the same day it does not resume."""
    settled, version = left["settled"], left["policy_version"]
    return (f"run {left['run_id']} of this as-of and part is not complete ({left['status']}; {settled:,} "
            f"{plural(settled, 'customer')} settled) and is not resumed: the rules are not those of policy {version} "
            f"any more, so this is run {run_id}, which evaluates every customer of the part; the other is left as "
            f"it is (to finish it instead, run the same command with the rules of policy {version})")
