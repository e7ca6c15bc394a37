"""What-if: evaluate the whole portfolio with candidate rules beside the live ones, writing nothing.

Reports who would change grade, grade class, value class, limit and review cadence, the change in
credit extended, and which rules would fire more or less often.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from adapters.batch.config import PortfolioConfig, portfolio_config
from adapters.batch.fastload import load_raw, validate
from adapters.batch.runner import BatchInputError
from adapters.batch.scan import iter_customer_figures
from adapters.batch.worker import review_rule
from adapters.store import schema as s
from adapters.store.audit import fired_rule_ids
from policy_engine.portfolio import abc_classes

COMPARED = ("grade", "grade_class", "credit_limit", "next_review_on", "review_rule")
NO_RUN = "-simulate-"  # no batch run: the loader's value-class join finds nothing


@dataclass(frozen=True)
class SimContext:
    """What each simulation worker needs (picklable)."""

    db_url: str
    live_dir: str
    candidate_dir: str
    as_of: date


@dataclass
class SimChunk:
    """One chunk's comparison."""

    customers: int = 0
    changes: list[dict[str, Any]] = field(default_factory=list)
    fired_live: Counter[str] = field(default_factory=Counter)
    fired_candidate: Counter[str] = field(default_factory=Counter)
    limit_live: Decimal = Decimal(0)
    limit_candidate: Decimal = Decimal(0)
    errors: list[tuple[str, str]] = field(default_factory=list)


def _facts(decision: Any) -> dict[str, Any]:
    return {"grade": decision.grade, "grade_class": decision.grade_class, "credit_limit": decision.credit_limit,
            "next_review_on": decision.next_review_on, "review_rule": review_rule(decision)}  # fmt: skip


class Comparer:
    """Holds the live and candidate policies of one process."""

    def __init__(self, ctx: SimContext, live: Any = None, candidate: Any = None, engine: Engine | None = None):
        from adapters.store.engine import make_engine
        from policy_engine.api import load_policy

        self.ctx = ctx
        self.live = live if live is not None else load_policy(ctx.live_dir)
        self.candidate = candidate if candidate is not None else load_policy(ctx.candidate_dir)
        self.engine = engine if engine is not None else make_engine(ctx.db_url)

    def run(self, ids: list[str]) -> SimChunk:
        """Evaluate one chunk with both policies and keep the differences."""
        out = SimChunk()
        with self.engine.connect() as conn:
            loaded = load_raw(conn, ids, NO_RUN)
        for customer_id in ids:
            values = loaded.data.get(customer_id)
            if values is None:
                continue
            try:
                snapshot = validate(values)
                live = self.live.evaluate(snapshot, as_of=self.ctx.as_of)
                cand = self.candidate.evaluate(snapshot, as_of=self.ctx.as_of)
            except Exception as exc:  # a broken customer is reported, not fatal
                out.errors.append((customer_id, f"{type(exc).__name__}: {exc}"[:500]))
                continue
            out.customers += 1
            out.fired_live.update(fired_rule_ids(live))
            out.fired_candidate.update(fired_rule_ids(cand))
            out.limit_live += live.credit_limit
            out.limit_candidate += cand.credit_limit
            before, after = _facts(live), _facts(cand)
            diff = {k: [before[k], after[k]] for k in COMPARED if before[k] != after[k]}
            if diff:
                out.changes.append({"customer_id": customer_id, **diff})
        return out


_comparer: Comparer | None = None


def _init(ctx: SimContext) -> None:
    global _comparer
    _comparer = Comparer(ctx)


def _run(ids: list[str]) -> SimChunk:
    assert _comparer is not None
    return _comparer.run(ids)


def _chunks(engine: Engine, size: int) -> Iterator[list[str]]:
    column = s.customers.c.customer_id
    after: str | None = None
    while True:
        query = select(column).order_by(column).limit(size)
        if after is not None:
            query = query.where(column > after)
        with engine.connect() as conn:
            ids = list(conn.execute(query).scalars())
        if not ids:
            return
        yield ids
        after = ids[-1]


def _execute(ctx: SimContext, comparer: Comparer, workers: int, size: int) -> Iterator[SimChunk]:
    chunks = _chunks(comparer.engine, size)
    if workers <= 1:
        for ids in chunks:
            yield comparer.run(ids)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init, initargs=(ctx,)) as pool:
        in_flight: set[Future[SimChunk]] = set()
        for ids in chunks:
            in_flight.add(pool.submit(_run, ids))
            if len(in_flight) >= 2 * workers:
                done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                yield from (f.result() for f in done)
        while in_flight:
            done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
            yield from (f.result() for f in done)


def _value_classes(engine: Engine, as_of: date, live: PortfolioConfig, cand: PortfolioConfig) -> dict[str, list[str]]:
    """customer_id → [live class, candidate class] for the customers whose value class would change."""
    if live.abc == cand.abc and live.sales_window_months == cand.sales_window_months:
        return {}
    sales_live: dict[str, Decimal] = {}
    for f in iter_customer_figures(engine, as_of, live):
        sales_live[f.customer_id] = f.sales
    if cand.sales_window_months == live.sales_window_months:
        sales_cand = sales_live
    else:
        sales_cand = {f.customer_id: f.sales for f in iter_customer_figures(engine, as_of, cand)}
    a, b = abc_classes(sales_live, live.abc), abc_classes(sales_cand, cand.abc)
    return {c: [a[c], b.get(c, "")] for c in a if a[c] != b.get(c, "")}


def _load(live_dir: Path, candidate_dir: Path) -> tuple[Any, Any, PortfolioConfig, PortfolioConfig]:
    from policy_engine.api import PolicyLoadError, load_policy

    policies = []
    for label, path in (("live", live_dir), ("candidate", candidate_dir)):
        try:
            policies.append(load_policy(path))
        except PolicyLoadError as exc:
            problems = "; ".join(str(p) for p in exc.problems[:5])
            raise BatchInputError(f"{label} rules {path} do not load: {problems}") from None
        except OSError as exc:
            raise BatchInputError(f"{label} rules {path}: {exc}") from None
    return policies[0], policies[1], portfolio_config(policies[0]), portfolio_config(policies[1])


def simulate(db_url: str, live_dir: Path, candidate_dir: Path, as_of: date, workers: int = 1,
             chunk_size: int = 500) -> dict[str, Any]:  # fmt: skip
    """Compare the candidate rules with the live ones over the whole portfolio; nothing is written."""
    from adapters.store.engine import NoSuchStore, make_engine, migrate, require_existing, safe_url, scrub_password

    live, cand, live_cfg, cand_cfg = _load(live_dir, candidate_dir)
    try:
        tests = _rule_tests(cand, candidate_dir)
    except Exception:
        live.close()
        cand.close()
        raise
    try:
        require_existing(db_url)
    except NoSuchStore as exc:
        raise BatchInputError(str(exc)) from None
    try:
        engine = make_engine(db_url)
        migrate(engine)
    except Exception as exc:
        raise BatchInputError(f"cannot open the store {safe_url(db_url)}: {scrub_password(str(exc), db_url)}") from None
    try:
        ctx = SimContext(db_url, str(live_dir), str(candidate_dir), as_of)
        comparer = Comparer(ctx, live, cand, engine)
        total = SimChunk()
        changes: dict[str, dict[str, Any]] = {}
        for chunk in _execute(ctx, comparer, workers, chunk_size):
            total.customers += chunk.customers
            total.fired_live.update(chunk.fired_live)
            total.fired_candidate.update(chunk.fired_candidate)
            total.limit_live += chunk.limit_live
            total.limit_candidate += chunk.limit_candidate
            total.errors.extend(chunk.errors)
            changes.update((c["customer_id"], c) for c in chunk.changes)
        for customer_id, pair in _value_classes(engine, as_of, live_cfg, cand_cfg).items():
            changes.setdefault(customer_id, {"customer_id": customer_id})["value_class"] = pair
    finally:
        engine.dispose()
        live.close()
        cand.close()
    summary = _summary(as_of, live, cand, live_cfg, cand_cfg, total, changes)
    summary["candidate"]["rule_tests"] = tests
    return summary


def _rule_tests(cand: Any, candidate_dir: Path) -> dict[str, Any] | None:
    """The candidate's own test cases, as `serve` would run them before taking it: None when the
    candidate has no tests/ directory."""
    from policy_engine.casetests import failing, run_suite
    from policy_engine.rules.loader import TESTS_DIR

    if not (candidate_dir / TESTS_DIR).is_dir():
        return None
    suite = run_suite(cand, candidate_dir)
    problems = failing(suite)
    return {
        "cases": len(suite.results),
        "passed": sum(1 for r in suite.results if not r.failures),
        "pass": not problems,
        "problems": [str(p) for p in problems],
    }


def _summary(as_of: date, live: Any, cand: Any, live_cfg: PortfolioConfig, cand_cfg: PortfolioConfig,
             total: SimChunk, changes: dict[str, dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    ordered = [changes[c] for c in sorted(changes)]
    count = Counter(k for c in ordered for k in c if k != "customer_id")
    rules: list[dict[str, Any]] = []
    for rule_id in sorted(set(total.fired_live) | set(total.fired_candidate) | set(live.rule_ids) | set(cand.rule_ids)):
        before, after = total.fired_live.get(rule_id, 0), total.fired_candidate.get(rule_id, 0)
        if before != after:
            status = "added" if rule_id not in live.rule_ids else "removed" if rule_id not in cand.rule_ids else ""
            rules.append({"rule_id": rule_id, "live": before, "candidate": after, "change": after - before,
                          "status": status})  # fmt: skip
    rules.sort(key=lambda r: (-abs(r["change"]), r["rule_id"]))
    return {
        "as_of": as_of.isoformat(),
        "live": {"policy_version": live.version, "portfolio": live_cfg.describe()},
        "candidate": {"policy_version": cand.version, "portfolio": cand_cfg.describe()},
        "customers": total.customers,
        "changed": len(ordered),
        "grade_changes": count["grade"],
        "grade_class_changes": count["grade_class"],
        "value_class_changes": count["value_class"],
        "limit_changes": count["credit_limit"],
        "review_changes": sum(1 for c in ordered if "next_review_on" in c or "review_rule" in c),
        "credit_extended": {"live": str(total.limit_live), "candidate": str(total.limit_candidate),
                            "change": str(total.limit_candidate - total.limit_live)},  # fmt: skip
        "rules": rules,
        "errors": [{"customer_id": c, "error": e} for c, e in total.errors],
        "changes": ordered,
    }
