"""The demo generator is deterministic, its statements look like a real book's, its value classes follow ABC, and
its strong payers change no other customer's data."""

from __future__ import annotations

from datetime import date

import pytest

from adapters.demo_data import generator as demo_generator
from adapters.demo_data.generator import Generator, Portfolio
from adapters.demo_data.profile import ProfileSeed, grade_for, value_classes

AS_OF = date(2026, 11, 22)
Statement = tuple[date, float, float]  # period end, revenue, current assets


@pytest.fixture(scope="module")
def statements() -> dict[str, list[Statement]]:
    """Each customer's statements of a 2,000-customer demo portfolio, latest first."""
    by_customer: dict[str, list[Statement]] = {}
    for row in next(Generator(1, AS_OF).chunks(2000)).financial_statements:
        period_end, current_assets, revenue = date.fromisoformat(str(row[1])), float(str(row[2])), float(str(row[9]))
        by_customer.setdefault(str(row[0]), []).append((period_end, revenue, current_assets))
    return {customer: sorted(rows, reverse=True) for customer, rows in by_customer.items()}


def test_the_same_seed_and_date_give_the_same_portfolio() -> None:
    first = next(Generator(3, date(2026, 11, 22)).chunks(50))
    second = next(Generator(3, date(2026, 11, 22)).chunks(50))

    tables = ("customers", "invoices", "orders", "financial_statements", "staff_signals", "assessments", "contacts")
    assert [getattr(first, t) for t in tables] == [getattr(second, t) for t in tables]


def test_most_revenue_moves_within_15_percent_a_year_and_a_few_customers_fall_or_surge(
        statements: dict[str, list[Statement]]) -> None:
    changes = [latest[1] / previous[1] - 1 for latest, previous in statements.values()]

    def share(count: int) -> float:
        return count / len(changes)

    # Before, each year's revenue was drawn alone: a ratio from 1/6 to 6, ~30% falling 30% or more.
    assert share(sum(abs(c) <= 0.15 for c in changes)) > 0.85
    assert 0.01 < share(sum(c <= -0.3 for c in changes)) < 0.06  # warn.business_changes' fall
    assert 0.01 < share(sum(c >= 0.5 for c in changes)) < 0.06  # warn.sales_surge


def test_a_few_customers_latest_statement_is_over_15_months_old(statements: dict[str, list[Statement]]) -> None:
    latest = [rows[0][0] for rows in statements.values()]

    stale = sum((AS_OF - period_end).days > 455 for period_end in latest)  # follow.stale_financials

    assert 0.02 < stale / len(latest) < 0.1
    assert all(len(rows) == 2 and rows[1][0].year == rows[0][0].year - 1 for rows in statements.values())


def test_every_statement_holds_current_assets_of_a_quarter_to_45_percent_of_its_own_revenue(
        statements: dict[str, list[Statement]]) -> None:
    ratios = [current_assets / revenue for rows in statements.values() for _, revenue, current_assets in rows]

    assert 0.25 <= min(ratios) and max(ratios) <= 0.45


def test_value_classes_put_the_top_75_percent_of_sales_in_a_and_the_last_5_percent_in_c() -> None:
    seeds = [ProfileSeed(f"C{i}", 70, 1.0, cents) for i, cents in enumerate([700, 100, 100, 50, 30, 20])]

    classes = value_classes(seeds)

    # Cumulative share before each: 0, .70 → A; .80, .90 → B; .95, .98 → C.
    assert [classes[f"C{i}"] for i in range(6)] == ["A", "A", "B", "B", "C", "C"]


def test_grades_follow_the_5c_average_from_aaa_down_to_c() -> None:
    assert [grade_for(x) for x in (95, 85, 77, 71, 65, 60, 55, 45, 10)] == [
        "AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C"]  # fmt: skip


FINANCIAL_COLUMNS = ("current_assets", "current_liabilities", "inventory", "cash", "total_assets",
                     "total_liabilities", "equity", "revenue", "net_profit")  # writer.COLUMNS order, after the date


def test_every_demo_statement_adds_up_to_the_cent() -> None:
    """Current liabilities within total liabilities, assets = liabilities + equity exactly: an imported copy of
    the demo data must not warn (import financials), and no ratio the policy reads comes from a slip."""
    from policy_engine.domain.models import Financials
    from policy_engine.domain.statements import statement_gaps

    rows = next(Generator(7, AS_OF).chunks(2000)).financial_statements
    statements = [Financials(period_end=row[1], **dict(zip(FINANCIAL_COLUMNS, row[2:], strict=True))) for row in rows]
    gaps = [(fin.period_end, gap) for fin in statements for gap in statement_gaps(fin)]
    assert len(rows) > 2000 and gaps == []


def test_every_synthetic_statement_adds_up_to_the_cent() -> None:
    """The same for the snapshots the tests and benchmarks build (policy_engine/synthetic.py)."""
    from policy_engine.domain.statements import statement_gaps
    from policy_engine.synthetic import portfolio

    statements = [fin for snapshot in portfolio(2000, AS_OF) for fin in snapshot.financials]
    assert len(statements) > 2000 and [gap for fin in statements for gap in statement_gaps(fin)] == []


TABLES = ("customers", "invoices", "orders", "financial_statements", "staff_signals", "assessments", "contacts")


def _rows_by_customer(portfolio: Portfolio) -> dict[tuple[str, str], list[tuple[object, ...]]]:
    """Each table's rows per customer (invoices and orders name it second, after their own id)."""
    rows: dict[tuple[str, str], list[tuple[object, ...]]] = {}
    for table in TABLES:
        for row in getattr(portfolio, table):
            customer = row[1] if table in ("invoices", "orders") else row[0]
            rows.setdefault((table, str(customer)), []).append(row)
    return rows


def test_strong_payers_pay_on_time_keep_a_solid_book_and_move_no_other_customers_data(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Without strong payers the top grade had no demo customer; drawn from a stream of their own, they leave every
    other customer's rows as they were (a draw more in the main stream would move every later customer)."""
    strong_generator = Generator(1, AS_OF)
    with_strong = _rows_by_customer(next(strong_generator.chunks(2000)))
    monkeypatch.setattr(demo_generator, "STRONG_SHARE", 0.0)
    plain_generator = Generator(1, AS_OF)
    without = _rows_by_customer(next(plain_generator.chunks(2000)))

    assert with_strong.keys() == without.keys()
    strong = {customer for (table, customer), rows in with_strong.items() if rows != without[(table, customer)]}
    assert 20 <= len(strong) <= 60  # 8% of the ~480 established, steady, not small customers
    assert strong_generator.rng.getstate() == plain_generator.rng.getstate()
    for customer in strong:
        for table in ("customers", "orders", "staff_signals", "contacts"):
            assert with_strong.get((table, customer)) == without.get((table, customer))
        invoices, plain = with_strong[("invoices", customer)], without[("invoices", customer)]
        assert [row[:6] + row[7:] for row in invoices] == [row[:6] + row[7:] for row in plain]  # paid_on alone
        assert all(str(row[6]) <= str(row[3]) for row in invoices if row[6] is not None and row[4] == row[5])
        for row in with_strong[("financial_statements", customer)]:
            current_assets, current_liabilities, total_assets, total_liabilities = (
                float(str(row[i])) for i in (2, 3, 6, 7))
            assert current_assets / current_liabilities >= 2.2 - 1e-3
            assert total_liabilities / total_assets <= 0.38 + 1e-3
        [assessment] = with_strong[("assessments", customer)]
        assert all(86 <= int(str(score)) <= 98 for score in assessment[2:])
