"""The demo generator is deterministic and its value classes follow the ABC curve."""

from __future__ import annotations

from datetime import date

from adapters.demo_data.generator import Generator
from adapters.demo_data.profile import ProfileSeed, grade_for, value_classes


def test_the_same_seed_and_date_give_the_same_portfolio() -> None:
    first = next(Generator(3, date(2026, 11, 22)).chunks(50))
    second = next(Generator(3, date(2026, 11, 22)).chunks(50))

    assert (first.customers, first.invoices, first.orders, first.staff_signals) == (
        second.customers, second.invoices, second.orders, second.staff_signals)  # fmt: skip


def test_value_classes_put_the_top_75_percent_of_sales_in_a_and_the_last_5_percent_in_c() -> None:
    seeds = [ProfileSeed(f"C{i}", 70, 1.0, cents) for i, cents in enumerate([700, 100, 100, 50, 30, 20])]

    classes = value_classes(seeds)

    # Cumulative share before each: 0, .70 → A; .80, .90 → B; .95, .98 → C.
    assert [classes[f"C{i}"] for i in range(6)] == ["A", "A", "B", "B", "C", "C"]


def test_grades_follow_the_5c_average_from_aaa_down_to_c() -> None:
    assert [grade_for(x) for x in (95, 85, 77, 71, 65, 60, 55, 45, 10)] == [
        "AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C"]  # fmt: skip
