"""One worker process: its own Policy and engine; evaluates a chunk of customers and commits it at once.

The profile, the decision-log entry, the work-queue actions and the done marker (`batch_results`)
of a chunk go in one transaction, so a kill at any point leaves each customer either fully done or
untouched. The done marker's primary key guards against a second writer of the same customer.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError

from adapters.batch import interrupt
from adapters.batch import tables as t
from adapters.batch.fastload import Loaded, load_raw, validate
from adapters.batch.pool import worker_started
from adapters.batch.scan import bucket_of
from adapters.store import schema as s
from adapters.store.audit import log_row, write_log_rows
from adapters.store.engine import make_engine
from adapters.store.lock_wait import take_write_lock
from adapters.store.upsert import upsert
from policy_engine.build import build_id
from policy_engine.domain.errors import violations_from
from policy_engine.domain.models import CustomerDecision, CustomerSnapshot
from policy_engine.evaluator import Policy

MAX_ERROR = 2000
MAX_RECOMPILES = 2
"""How often one worker compiles its policy afresh after repeated engine failures closed it
(`Policy.engine_broken`). Each closing leaves ~100 abandoned engine rulesets in memory (~70 MB for
the shipped rules), so past this the worker's remaining customers are quarantined with the reason,
for `--retry-quarantined` in a fresh run."""
_LOG = logging.getLogger("credit_policy.batch")


@dataclass(frozen=True)
class RunContext:
    """What every worker needs to know about the run (picklable)."""

    run_id: str
    as_of: date
    db_url: str
    rules_dir: str
    rule_files: tuple[tuple[str, str], ...] = ()
    """The rule files the run loaded ({path: text} as pairs): a worker compiles these, not what `rules_dir` holds by
    the time it starts, which risk staff may have edited since (the run's policy version is the loaded files')."""


@dataclass
class ChunkResult:
    """What a worker reports back for one chunk: counts only. Each quarantined customer's reason is in
    its `batch_results` row, committed with the chunk; the summary's sample and the report read it there."""

    ok: int = 0
    quarantined: int = 0
    skipped: int = 0
    already_done: int = 0
    evaluated_in_vain: int = 0
    """customers this worker evaluated whose results it threw away: another process committed them first"""

    @property
    def handled(self) -> int:
        """Customers this chunk settled (evaluated, quarantined or skipped)."""
        return self.ok + self.quarantined + self.skipped


class ChunkEvaluator:
    """Holds the worker's Policy and engine; `run(ids)` settles one chunk."""

    def __init__(self, ctx: RunContext, policy: Any | None = None, engine: Engine | None = None,
                 on_wait: Callable[[str], None] | None = None):  # fmt: skip
        self.ctx = ctx
        self.on_wait = on_wait or _log_wait  # a pool worker has no console of its own: its log is stderr
        self.policy = policy if policy is not None else loaded_policy(ctx.rule_files, ctx.rules_dir)
        self.engine = engine if engine is not None else make_engine(ctx.db_url)
        self.recompiles = 0
        build_id()  # hash the decision code now, as loaded, not when the first chunk is logged (~1.5 ms)

    def run(self, ids: Sequence[str]) -> ChunkResult:
        """Evaluate the customers of `ids` not yet done in this run and commit them in one transaction."""
        in_vain = 0
        for _attempt in range(3):
            with self.engine.connect() as conn:
                pending = _not_done(conn, self.ctx.run_id, ids)
                loaded = load_raw(conn, pending, self.ctx.run_id, self.ctx.as_of) if pending else Loaded({}, {})
            rows = self._evaluate(pending, loaded)
            try:
                with self.engine.connect() as conn:  # one commit; another writer's lock said after 2 s
                    take_write_lock(conn, partial(_commit, conn, self.ctx.run_id, rows), self.on_wait)
            except IntegrityError:  # another process settled some of these meanwhile: take the rest again
                in_vain += rows.result.handled
                continue
            result = rows.result
            result.already_done, result.evaluated_in_vain = len(ids) - len(pending), in_vain
            return result
        raise RuntimeError("chunk kept colliding with another writer of the same run")

    def _evaluate(self, pending: list[str], loaded: Loaded) -> _Rows:
        rows = _Rows(datetime.now(UTC))
        for customer_id in pending:
            values = loaded.data.get(customer_id)
            if values is None:
                rows.skip(customer_id, "customer no longer in the store")
                continue
            try:
                snapshot = validate(values)
            except Exception as exc:  # broken stored data: quarantine this one customer
                interrupt.raise_if_requested()  # unless it was Ctrl-C or SIGTERM, wrapped by a library
                rows.quarantine(customer_id, f"load: {_describe(exc)}")
                continue
            try:
                decision = self._decide(snapshot)  # its value class is the snapshot's: this run's
                rows.add(snapshot, decision, loaded.prev_value_class.get(customer_id, ""))
            except Exception as exc:  # one customer the policy cannot evaluate must not stop the run
                interrupt.raise_if_requested()
                rows.quarantine(customer_id, f"evaluate: {_describe(exc)}")
        return rows

    def _decide(self, snapshot: CustomerSnapshot) -> CustomerDecision:
        """The policy's decision; if this failure closed the engine for good, once more on a fresh copy."""
        try:
            return self.policy.evaluate(snapshot, as_of=self.ctx.as_of)
        except Exception:
            broken = getattr(self.policy, "engine_broken", None)
            if not broken or self.recompiles >= MAX_RECOMPILES:
                raise
        from policy_engine.api import load_policy_from_files

        self.recompiles += 1  # a failed attempt counts too: compiling uses the engine as well
        try:
            fresh = load_policy_from_files(self.policy.files)  # the same version, whatever the directory holds now
            if fresh.version != self.policy.version:
                raise RuntimeError(f"recompiling policy {self.policy.version} gave {fresh.version}")
        except Exception as exc:
            _LOG.error("batch worker: the rule engine %s; compiling policy %s afresh failed (%d of at most %d): "
                       "%s", broken, self.policy.version, self.recompiles, MAX_RECOMPILES, exc)
            raise
        _LOG.warning("batch worker: the rule engine %s; compiled policy %s afresh (%d of at most %d) and "
                     "continues", broken, fresh.version, self.recompiles, MAX_RECOMPILES)
        self.policy = fresh
        return fresh.evaluate(snapshot, as_of=self.ctx.as_of)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):  # one line per problem: field path and message
        problems = "; ".join(str(v) for v in violations_from(exc)[:5])
        return f"invalid stored data: {problems}"[:MAX_ERROR]
    text = f"{type(exc).__name__}: {exc}".strip()
    if len(text) < 20:
        text += " | " + traceback.format_exc(limit=-1).strip().splitlines()[-2].strip()
    return text[:MAX_ERROR]


def _not_done(conn: Connection, run_id: str, ids: Sequence[str]) -> list[str]:
    r = t.batch_results
    query = select(r.c.customer_id).where(r.c.run_id == run_id, r.c.customer_id.in_(list(ids)))
    done = set(conn.execute(query).scalars())
    return [i for i in ids if i not in done]


def review_rule(decision: CustomerDecision) -> str:
    """The review-cadence rule that set the next review (empty when none fired)."""
    return next((r.rule_id for r in decision.reasons if r.code == "REVIEW_CADENCE"), "")


class _Rows:
    """The rows one chunk writes, by table."""

    def __init__(self, now: datetime):
        self.now = now
        self.results: list[dict[str, Any]] = []
        self.profiles: list[dict[str, Any]] = []
        self.log: list[dict[str, Any]] = []
        self.actions: list[dict[str, Any]] = []
        self.result = ChunkResult()

    def _marker(self, customer_id: str, status: str, error: str | None = None) -> dict[str, Any]:
        blank = dict.fromkeys(("grade", "grade_class", "value_class", "score", "credit_limit", "exposure",
                               "currency", "next_review_on", "review_rule", "prev_grade", "prev_limit",
                               "prev_value_class"))  # fmt: skip
        return {**blank, "customer_id": customer_id, "bucket": bucket_of(customer_id), "status": status,
                "error": error, "decided_at": self.now}  # fmt: skip

    def quarantine(self, customer_id: str, error: str) -> None:
        self.results.append(self._marker(customer_id, "quarantined", error))
        self.result.quarantined += 1

    def skip(self, customer_id: str, why: str) -> None:
        self.results.append(self._marker(customer_id, "skipped", why))
        self.result.skipped += 1

    def add(self, snapshot: CustomerSnapshot, d: CustomerDecision, prev_value_class: str) -> None:
        # Build every row first: a failure here quarantines the customer without half-written rows.
        log = log_row(snapshot, d, source="batch", decided_at=self.now)
        marker = self._marker(d.customer_id, "ok")
        marker.update(grade=d.grade, grade_class=d.grade_class, value_class=d.value_class, score=d.score,
                      credit_limit=d.credit_limit, exposure=d.exposure, currency=d.currency,
                      next_review_on=d.next_review_on, review_rule=review_rule(d)[:64],
                      prev_grade=snapshot.current_grade, prev_limit=snapshot.current_limit,
                      prev_value_class=prev_value_class)  # fmt: skip
        profile = {"customer_id": d.customer_id, "grade": d.grade, "grade_class": d.grade_class,
                   "value_class": d.value_class, "credit_limit": d.credit_limit, "currency": d.currency,
                   "limit_valid_until": d.limit_valid_until, "next_review_on": d.next_review_on,
                   "score": d.score, "policy_version": d.policy_version, "as_of": d.as_of}  # fmt: skip
        actions = [{"customer_id": d.customer_id, "code": a.code, "due_on": a.due_on, "severity": a.severity,
                    "target_id": a.target_id[:64], "rule_id": a.rule_id[:64], "message": a.message,
                    "gather": json.dumps(a.gather, ensure_ascii=False) if a.gather else None}
                   for a in d.actions]  # fmt: skip
        self.results.append(marker)
        self.profiles.append(profile)
        self.log.append(log)
        self.actions.extend(actions)
        self.result.ok += 1


def _log_wait(line: str) -> None:
    _LOG.warning("batch: %s", line)


def _commit(conn: Connection, run_id: str, rows: _Rows) -> None:
    with conn.begin():  # rolled back when it fails: take_write_lock may try it again
        _write(conn, run_id, rows)


def _write(conn: Connection, run_id: str, rows: _Rows) -> None:
    # The done markers go first: a customer someone else settled meanwhile fails the whole chunk here.
    if rows.results:
        conn.execute(t.batch_results.insert(), [{"run_id": run_id, **r} for r in rows.results])
    if rows.profiles:  # a run of an earlier as-of (resumed late, a date taken again) leaves a later profile
        upsert(conn, s.credit_profiles, ["customer_id"], rows.profiles, newest_by="as_of")
    if rows.log:  # each distinct snapshot once (decision_snapshots, insert-if-absent), then the entries
        write_log_rows(conn, rows.log)
    if rows.actions:
        conn.execute(t.batch_actions.insert(), [{"run_id": run_id, **a} for a in rows.actions])


_evaluator: ChunkEvaluator | None = None


def loaded_policy(files: tuple[tuple[str, str], ...], rules_dir: str) -> Policy:
    """A policy in a worker process: compiled from the rule files its run loaded at the start, not from the
    directory, which risk staff may have edited since (the directory only where no files are given)."""
    from policy_engine.api import load_policy, load_policy_from_files

    return load_policy_from_files(dict(files)) if files else load_policy(rules_dir)


def init_worker(ctx: RunContext) -> None:
    """Pool initializer: each worker process loads its own Policy (one engine per process)."""
    global _evaluator
    worker_started()
    _evaluator = ChunkEvaluator(ctx)


def run_chunk(ids: list[str]) -> ChunkResult:
    """Pool task: settle one chunk in this worker process."""
    assert _evaluator is not None, "init_worker was not called"
    return _evaluator.run(ids)
