"""What-if: evaluate the whole portfolio with candidate rules beside the live ones, writing nothing.

Reports who would change grade, grade class, value class, limit, limit validity, review cadence or
actions (a shipment hold, reminders, follow-ups) and, given a probe order, the order check's outcome;
the change in credit extended, which rules would fire more or less often and which actions more or
fewer customers would get.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from adapters.batch.config import PortfolioConfig, portfolio_config
from adapters.batch.fastload import load_raw, validate
from adapters.batch.pool import pooled, worker_started
from adapters.batch.runner import BatchInputError
from adapters.batch.scan import iter_customer_figures
from adapters.batch.simulate_compare import SimChunk
from adapters.batch.simulate_rules import changed_rule_rows, changed_rules
from adapters.batch.simulate_settings import changed_settings
from adapters.batch.simulate_summary import candidate_rule_tests, order_checks, simulation_summary
from adapters.store import schema as s
from policy_engine.domain.models import OrderRequest
from policy_engine.portfolio import abc_classes_by_currency

NO_RUN = "-simulate-"  # no batch run: the loader's value-class join finds nothing


@dataclass(frozen=True)
class SimContext:
    """What each simulation worker needs (picklable)."""

    db_url: str
    live_dir: str
    candidate_dir: str
    as_of: date
    order: OrderRequest | None = None  # the probe order checked for every customer under both policies


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
            loaded = load_raw(conn, ids, NO_RUN, self.ctx.as_of)
        as_of, order = self.ctx.as_of, self.ctx.order
        for customer_id in ids:
            values = loaded.data.get(customer_id)
            if values is None:
                continue
            try:
                snapshot = validate(values)
                if order is None:
                    out.add(customer_id, self.live.evaluate(snapshot, as_of=as_of),
                            self.candidate.evaluate(snapshot, as_of=as_of), name=snapshot.name)  # fmt: skip
                    continue
                # check_order's decision carries the customer's own: one engine pass per policy, as without
                live_order = self.live.check_order(snapshot, order, as_of=as_of)
                cand_order = self.candidate.check_order(snapshot, order, as_of=as_of)
            except Exception as exc:  # a broken customer is reported, not fatal
                out.errors.append((customer_id, f"{type(exc).__name__}: {exc}"[:500]))
                continue
            out.add(customer_id, live_order.customer, cand_order.customer, (live_order, cand_order), snapshot.name)
        return out


_comparer: Comparer | None = None


def _init(ctx: SimContext) -> None:
    global _comparer
    worker_started()
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
    yield from pooled(workers, _init, (ctx,), _run, chunks)


def _value_classes(engine: Engine, as_of: date, live: PortfolioConfig,
                   cand: PortfolioConfig) -> dict[str, dict[str, Any]]:  # fmt: skip
    """customer_id → {value_class: [live, candidate], name, currency} for those whose value class would change."""
    if live.abc == cand.abc and live.sales_window_months == cand.sales_window_months:
        return {}
    sales_live: dict[str, Decimal] = {}
    currency: dict[str, str] = {}  # each currency's customers are ranked among themselves, as the batch does
    names: dict[str, str] = {}
    for f in iter_customer_figures(engine, as_of, live):
        sales_live[f.customer_id] = f.sales
        currency[f.customer_id] = f.currency or ""
        names[f.customer_id] = f.name
    if cand.sales_window_months == live.sales_window_months:
        sales_cand = sales_live
    else:
        sales_cand = {f.customer_id: f.sales for f in iter_customer_figures(engine, as_of, cand)}
    a = abc_classes_by_currency(sales_live, currency, live.abc)
    b = abc_classes_by_currency(sales_cand, currency, cand.abc)
    return {c: {"value_class": [a[c], b.get(c, "")], "name": names[c], "currency": currency[c]}
            for c in a if a[c] != b.get(c, "")}  # fmt: skip


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
             chunk_size: int = 500, order: OrderRequest | None = None,
             on_wait: Callable[[str], None] | None = None) -> dict[str, Any]:  # fmt: skip
    """Compare the candidate rules with the live ones over the whole portfolio; nothing is written.

    With `order`, that probe order is checked for every customer under both policies (check_order).
    `on_wait(line)` is told when migrating the store waits over 2 s for another process's SQLite write
    lock; locked out, the driver's `database is locked` (OperationalError) is raised as it is.
    """
    live, cand, live_cfg, cand_cfg = _load(live_dir, candidate_dir)
    try:
        tests = candidate_rule_tests(cand, candidate_dir)
        engine = _open_store(db_url, on_wait)
    except Exception:
        live.close()
        cand.close()
        raise
    try:
        ctx = SimContext(db_url, str(live_dir), str(candidate_dir), as_of, order)
        changed_rules_ = changed_rules(live, cand)  # asks the engines: before they close
        total, changes = _compare_portfolio(ctx, Comparer(ctx, live, cand, engine), workers, chunk_size)
        for customer_id, moved in _value_classes(engine, as_of, live_cfg, cand_cfg).items():
            changes.setdefault(customer_id, {"customer_id": customer_id}).update(moved)
    finally:
        engine.dispose()
        live.close()
        cand.close()
    summary = simulation_summary(as_of, live, cand, live_cfg, cand_cfg, total, changes, order)
    summary["changed_rules"] = changed_rule_rows(changed_rules_, total.fired_live, total.fired_candidate,
                                                 total.grade_live, total.grade_candidate)
    summary["changed_settings"] = changed_settings(live, cand)
    summary["candidate"]["rule_tests"] = tests
    summary["order_checks_differ"] = order_checks(live) != order_checks(cand)
    return summary


def _open_store(db_url: str, on_wait: Callable[[str], None] | None) -> Engine:
    """The existing store, migrated; any failure a BatchInputError saying why, but the SQLite write lock
    held all through the migration (busy, not broken: the caller's exit 3)."""
    from adapters.store.engine import NoSuchStore, cannot_open, make_engine, require_existing
    from adapters.store.lock_wait import is_locked
    from adapters.store.revisions import migrate

    try:
        require_existing(db_url)
        engine = make_engine(db_url)
        migrate(engine, on_wait=on_wait)
    except NoSuchStore as exc:
        raise BatchInputError(str(exc)) from None
    except Exception as exc:
        if is_locked(exc):
            raise
        raise BatchInputError(cannot_open(db_url, exc)) from None
    return engine


def _compare_portfolio(ctx: SimContext, comparer: Comparer, workers: int,
                       chunk_size: int) -> tuple[SimChunk, dict[str, dict[str, Any]]]:  # fmt: skip
    """Every customer under both policies: the merged chunks and customer_id → what would change."""
    total = SimChunk()
    changes: dict[str, dict[str, Any]] = {}
    for chunk in _execute(ctx, comparer, workers, chunk_size):
        total.merge(chunk)
        changes.update((c["customer_id"], c) for c in chunk.changes)
    return total, changes
