"""demo-data fills a store with a portfolio in which every warning sign of DOMAIN.md appears."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from adapters.demo_data import CATEGORIES, PortfolioNotEmpty, generate_demo_data
from adapters.store import open_store
from policy_engine.domain.models import CustomerSnapshot

AS_OF = date(2026, 11, 22)


def _portfolio(db_url: str, customers: int = 400) -> tuple[list[CustomerSnapshot], object]:
    store = open_store(db_url)
    summary = generate_demo_data(store.engine, customers, seed=7, as_of=AS_OF)
    ids = [i for chunk in store.iter_customer_ids(500) for i in chunk]
    return store.get_snapshots(ids), summary


def _has(snapshots: list[CustomerSnapshot], test: Callable[[CustomerSnapshot], bool]) -> int:
    return sum(1 for s in snapshots if test(s))


def test_a_small_demo_portfolio_shows_every_warning_sign_category(db_url: str) -> None:
    snapshots, summary = _portfolio(db_url)
    recent = AS_OF - timedelta(days=120)

    assert len(snapshots) == 400
    assert all(summary.categories[c] > 0 for c in CATEGORIES)  # type: ignore[attr-defined]
    assert _has(snapshots, lambda s: any(i.paid_on and (i.paid_on - i.due_on).days > 14 for i in s.invoices))
    assert _has(snapshots, lambda s: any(i.due_date_changes for i in s.invoices))
    assert _has(snapshots, lambda s: any(i.paid_on is None and i.due_on < AS_OF for i in s.invoices))
    assert _has(snapshots, lambda s: bool(s.orders) and all(o.ordered_on < recent for o in s.orders))
    assert _has(snapshots, lambda s: any(sig.observed_on > AS_OF - timedelta(days=91) for sig in s.signals))
    assert _has(snapshots, lambda s: any(
        f.current_assets is not None and f.current_liabilities is not None and f.current_liabilities > f.current_assets  # noqa: E501
        for f in s.financials))  # fmt: skip
    assert _has(snapshots, lambda s: not s.invoices and s.current_grade is None)
    assert _has(snapshots, lambda s: s.last_contact_on is None or s.last_contact_on < AS_OF - timedelta(days=149))


def test_demo_sales_are_skewed_so_a_few_customers_make_most_of_them(db_url: str) -> None:
    snapshots, _ = _portfolio(db_url)

    totals = sorted((sum(i.amount for i in s.invoices) for s in snapshots), reverse=True)

    assert sum(totals[: len(totals) // 5]) > sum(totals) * 6 / 10


def test_demo_data_refuses_a_database_that_holds_customers_unless_told_to_replace_them(db_url: str) -> None:
    store = open_store(db_url)
    generate_demo_data(store.engine, 20, seed=1, as_of=AS_OF)

    with pytest.raises(PortfolioNotEmpty):
        generate_demo_data(store.engine, 20, seed=1, as_of=AS_OF)
    summary = generate_demo_data(store.engine, 10, seed=2, as_of=AS_OF, replace=True)

    assert summary.customers == 10 and len(list(store.iter_customer_ids())[0]) == 10
