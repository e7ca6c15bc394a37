"""Portfolio policy: ABC cut-offs from rules/portfolio.yaml, key-customer rankings, the give-up share."""

from __future__ import annotations

import json
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import bindparam, create_engine, text

from adapters.batch.config import months_before, portfolio_config
from adapters.batch.runner import BatchOptions, run_batch
from adapters.store import open_store
from policy_engine.api import load_policy
from policy_engine.domain.values import NOT_A_DECIMAL
from policy_engine.portfolio import (
    AbcCutoffs,
    TopN,
    TopNByCurrency,
    abc_classes,
    abc_classes_by_currency,
    give_up_candidates,
    give_up_count,
    value_class_at,
)
from tests.integration.test_batch_support import AS_OF, RULES, make_portfolio

D = Decimal


def test_abc_classes_follow_cumulative_sales_at_75_and_95_per_cent() -> None:
    sales = {"a": D(50), "b": D(25), "c": D(15), "d": D(5), "e": D(3), "f": D(2)}

    classes = abc_classes(sales)

    # Shares before each customer: a 0, b .50, c .75, d .90, e .95, f .98.
    assert classes == {"a": "A", "b": "A", "c": "B", "d": "B", "e": "C", "f": "C"}


def test_a_customer_straddling_a_cutoff_keeps_the_better_class() -> None:
    assert value_class_at(D("74.99"), D(100), AbcCutoffs()) == "A"
    assert value_class_at(D("75"), D(100), AbcCutoffs()) == "B"
    assert value_class_at(D("94.99"), D(100), AbcCutoffs()) == "B"
    assert value_class_at(D("95"), D(100), AbcCutoffs()) == "C"


def test_ties_in_sales_are_ranked_by_customer_id_and_zero_sales_are_class_c() -> None:
    sales = {"z": D(10), "y": D(10), "x": D(0)}

    classes = abc_classes(sales, AbcCutoffs(a=D("0.5"), b=D("0.9")))

    assert classes == {"y": "A", "z": "B", "x": "C"}
    assert abc_classes({"only": D(0)}) == {"only": "C"}


def test_cutoffs_come_from_the_portfolio_rule_file() -> None:
    config = portfolio_config(load_policy(RULES))

    assert (config.abc.a, config.abc.b) == (D("0.75"), D("0.95"))  # A 75%, B the next 20%
    assert (config.top_n, config.give_up_share, config.sales_window_months) == (10, D("0.05"), 12)


def test_changed_cutoffs_in_the_rule_file_are_a_new_policy_version(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules, ignore=shutil.ignore_patterns("tests"))
    path = rules / "portfolio.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("a_share: 0.75", "a_share: 0.7"), encoding="utf-8")

    live, candidate = load_policy(RULES), load_policy(rules)

    assert portfolio_config(candidate).abc == AbcCutoffs(D("0.7"), D("0.9"))
    assert candidate.version != live.version


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 11, 22), 12, date(2025, 11, 22)),
    (date(2026, 3, 31), 1, date(2026, 2, 28)),
    (date(2024, 2, 29), 12, date(2023, 2, 28)),
    (date(2026, 1, 15), 24, date(2024, 1, 15)),
])
def test_the_sales_window_counts_calendar_months(day: date, months: int, expected: date) -> None:
    assert months_before(day, months) == expected


def test_give_up_takes_the_weakest_share_of_class_c_rounded_up() -> None:
    sales = {f"c{i:02d}": D(i) for i in range(1, 41)}

    assert give_up_count(40, D("0.05")) == 2 and give_up_count(1, D("0.05")) == 1 and give_up_count(0, D("0.05")) == 0
    assert give_up_candidates(sales, D("0.05")) == ["c01", "c02"]


def test_top_n_keeps_the_largest_values_and_breaks_ties_by_id() -> None:
    top = TopN(3)
    for customer_id, value in [("d", 1.0), ("b", 5.0), ("a", 5.0), ("c", 9.0), ("e", None), ("f", 0.5)]:
        top.offer(customer_id, value, customer_id.upper())

    assert [(c, v) for c, v, _ in top.result()] == [("c", 9.0), ("a", 5.0), ("b", 5.0)]


def test_top_n_by_currency_keeps_each_currencys_largest_in_code_order() -> None:
    top = TopNByCurrency(2)
    for currency, customer_id, value in [("USD", "u1", 30.0), ("CNY", "c1", 900.0), ("CNY", "c2", 500.0),
                                         ("USD", "u2", 20.0), ("CNY", "c3", 700.0), ("USD", "u3", None)]:
        top.offer(currency, customer_id, value)

    assert [(cur, c) for cur, c, _, _ in top.result()] == [("CNY", "c1"), ("CNY", "c3"), ("USD", "u1"), ("USD", "u2")]


def _store_sales(url: str) -> dict[str, Decimal]:
    store = open_store(url)
    sales = {}
    for ids in store.iter_customer_ids(100):
        for s in store.get_snapshots(ids):
            sales[s.customer_id] = sum((i.amount for i in s.invoices if 0 <= (AS_OF - i.issued_on).days < 365), D(0))
    store.close()
    return sales


def test_the_batch_assigns_the_abc_classes_of_the_pure_function(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)

    summary = run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES))

    expected = abc_classes(_store_sales(url))
    engine = create_engine(url)
    with engine.connect() as conn:
        got = dict(conn.execute(text("SELECT customer_id, value_class FROM credit_profiles")).all())
        portfolio = json.loads(conn.execute(text("SELECT summary_json FROM batch_portfolio_runs")).scalar_one())
        decisions = conn.execute(text("SELECT decision_json FROM decision_log")).scalars()
        logged = {json.loads(d)["value_class"] for d in decisions}
    engine.dispose()
    assert got == expected
    assert logged == {"A", "B", "C"}  # the decision log entries carry the value class too
    counts = {k: sum(1 for v in expected.values() if v == k) for k in "ABC"}
    assert {k: v["customers"] for k, v in summary["value_classes"].items()} == counts
    a_share = D(portfolio["classes"]["A"]["sales"]) / D(portfolio["total_sales"])
    assert D("0.75") <= a_share < D("0.85")


def test_this_runs_value_class_reaches_the_rules_before_the_customer_is_evaluated(tmp_path: Path) -> None:
    """The class used to be copied onto the decision after evaluating: no rule could see it. Stored classes
    are wiped first, so only this run's (batch_portfolio) can make the class-A rule fire."""
    url = make_portfolio(tmp_path)
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules, ignore=shutil.ignore_patterns("tests"))
    follow = rules / "follow_ups.yaml"
    follow.write_text(follow.read_text(encoding="utf-8") + "  - id: follow.probe_class_a\n"
                      "    title: {zh: A, en: Class A}\n    source: test\n    when: {value_class: A}\n",
                      encoding="utf-8")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE credit_profiles SET value_class = ''"))

    run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=rules))

    with engine.connect() as conn:
        classes = dict(conn.execute(text("SELECT customer_id, value_class FROM credit_profiles")).all())
        logged = conn.execute(text("SELECT l.customer_id, l.decision_json, s.snapshot_json FROM decision_log l "
                                   "JOIN decision_snapshots s ON s.snapshot_hash = l.snapshot_hash")).all()
    engine.dispose()
    probed = {c for c, d, _s in logged if "follow.probe_class_a" in {a["rule_id"] for a in json.loads(d)["actions"]}}
    assert probed == {c for c, v in classes.items() if v == "A"} != set()
    assert all(json.loads(d)["value_class"] == json.loads(snap)["value_class"] == classes[c] for c, d, snap in logged)


def test_abc_classes_rank_each_currency_among_itself() -> None:
    sales = {"cny1": D(2000), "cny2": D(100), "usd1": D(80), "usd2": D(20)}
    currency = {"cny1": "CNY", "cny2": "CNY", "usd1": "USD", "usd2": "USD"}

    classes = abc_classes_by_currency(sales, currency)

    assert classes == {"cny1": "A", "cny2": "C", "usd1": "A", "usd2": "B"}
    assert abc_classes(sales)["usd1"] == "C"  # ranked against yuan amounts it fell to C


def test_the_batch_ranks_each_currencys_customers_among_themselves(tmp_path: Path) -> None:
    """Before, the pass added sales in USD and CNY into one ranking: a USD customer's class depended on
    how its dollar figure compared with yuan figures."""
    url = make_portfolio(tmp_path)
    sales = _store_sales(url)
    ranked = sorted(sales, key=lambda c: (-sales[c], c))
    usd = set(ranked[150:200])  # B and C customers among all, the best of them A among the USD ones
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE customers SET currency = 'USD' WHERE customer_id IN :ids").bindparams(
            bindparam("ids", expanding=True)), {"ids": sorted(usd)})

    summary = run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES))

    currency = {c: "USD" if c in usd else "CNY" for c in sales}
    expected = abc_classes_by_currency(sales, currency)
    with engine.connect() as conn:
        got = dict(conn.execute(text("SELECT customer_id, value_class FROM credit_profiles")).all())
        portfolio = json.loads(conn.execute(text("SELECT summary_json FROM batch_portfolio_runs")).scalar_one())
        flagged = set(conn.execute(text("SELECT customer_id FROM batch_portfolio WHERE give_up")).scalars())
        established = set(conn.execute(text(
            "SELECT customer_id FROM customers WHERE relationship_since <= '2025-11-22'")).scalars())
    engine.dispose()
    assert got == expected != abc_classes(sales)
    weakest = [give_up_candidates({c: sales[c] for c in established if expected[c] == "C" and currency[c] == cur},
                                  D("0.05")) for cur in ("CNY", "USD")]  # fmt: skip
    assert flagged == {*weakest[0], *weakest[1]} and weakest[1]  # the weakest of each currency's class C
    assert {got[c] for c in usd} == {"A", "B", "C"}
    by_currency = {row["currency"]: row for row in portfolio["by_currency"]}
    assert sorted(by_currency) == ["CNY", "USD"]
    usd_sales = sum((sales[c] for c in usd), D(0))
    assert (by_currency["USD"]["customers"], D(by_currency["USD"]["total_sales"])) == (50, usd_sales)
    assert by_currency["USD"]["classes"]["A"]["customers"] == sum(1 for c in usd if expected[c] == "A")
    assert portfolio["total_sales"] is None and portfolio["classes"]["A"]["sales"] is None  # no sum across currencies
    assert {k: v["customers"] for k, v in summary["value_classes"].items()} == {
        k: sum(1 for v in expected.values() if v == k) for k in "ABC"}
    assert summary["value_classes_by_currency"] == portfolio["by_currency"]
    top_sales = [(r["currency"], r["customer_id"]) for r in portfolio["rankings"]["sales"]]
    assert top_sales == [(cur, c) for cur in ("CNY", "USD")  # each currency's top 10: no USD one made the mixed list
                         for c in sorted((c for c in sales if currency[c] == cur), key=lambda c: (-sales[c], c))[:10]]


def test_rankings_and_give_up_flags_follow_the_config(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)

    run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES))

    sales = _store_sales(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        portfolio = json.loads(conn.execute(text("SELECT summary_json FROM batch_portfolio_runs")).scalar_one())
        flagged = set(conn.execute(text("SELECT customer_id FROM batch_portfolio WHERE give_up")).scalars())
        established = set(conn.execute(text(
            "SELECT customer_id FROM customers WHERE relationship_since <= '2025-11-22'")).scalars())
    engine.dispose()
    top_sales = [r["customer_id"] for r in portfolio["rankings"]["sales"]]
    assert top_sales == sorted(sales, key=lambda c: (-sales[c], c))[:10]
    assert len(portfolio["rankings"]["growth"]) == 10 and len(portfolio["rankings"]["profit_rate"]) == 10
    classes = abc_classes(sales)
    class_c = {c: sales[c] for c in sales if classes[c] == "C" and c in established}
    assert flagged == set(give_up_candidates(class_c, D("0.05"))) and portfolio["give_up"] == len(flagged) > 0


@pytest.mark.parametrize(("sql", "customer_id", "problem"), [
    ("UPDATE invoices SET amount = 'abc' WHERE invoice_id = (SELECT MAX(invoice_id) FROM invoices "
     "WHERE customer_id = 'C0000007')", "C0000007", f"amount: {NOT_A_DECIMAL}: 'abc'"),
    ("UPDATE invoices SET amount = '1,000.00' WHERE invoice_id = (SELECT MAX(invoice_id) FROM invoices "
     "WHERE customer_id = 'C0000007')", "C0000007", f"amount: {NOT_A_DECIMAL}: '1,000.00'; write 1000.00"),
    ("UPDATE customers SET relationship_since = '22/11/2019' WHERE customer_id = 'C0000011'", "C0000011",
     "customers C0000011: relationship_since: not an ISO date (YYYY-MM-DD): '22/11/2019'; write 2019-11-22"),
    ("UPDATE customers SET relationship_since = '2019-02-29' WHERE customer_id = 'C0000011'", "C0000011",
     "customers C0000011: relationship_since: no such day: '2019-02-29' (February 2019 has 28 days)"),
    # date.fromisoformat (3.11) reads a week date; the pass and the batch's loader took it, the store's refused it
    ("UPDATE customers SET relationship_since = '2019-W47-5' WHERE customer_id = 'C0000011'", "C0000011",
     "customers C0000011: relationship_since: not an ISO date (YYYY-MM-DD): '2019-W47-5'"),
    ("UPDATE customers SET relationship_since = '1899-12-31' WHERE customer_id = 'C0000011'", "C0000011",
     "customers C0000011: relationship_since: out of range: must lie between 1900-01-01 and 2200-12-31: "
     "'1899-12-31'"),
    # a currency ISO 4217 has but no limit is kept in (values.NOT_MONEY): the pass ranked an "XAU" class of one
    ("UPDATE customers SET currency = 'XAU' WHERE customer_id = 'C0000011'", "C0000011",
     "customers C0000011: currency: XAU is ISO 4217's code for gold (a troy ounce), a commodity: "),
    ("UPDATE customers SET currency = 'XDR' WHERE customer_id = 'C0000011'", "C0000011",
     "customers C0000011: currency: XDR is ISO 4217's code for the IMF's special drawing right"),
])
def test_a_stored_value_the_portfolio_pass_cannot_read_quarantines_its_customer_not_the_run(
        tmp_path: Path, sql: str, customer_id: str, problem: str) -> None:
    url = make_portfolio(tmp_path)
    engine = create_engine(url)
    with engine.begin() as conn:  # written behind the importer's back
        conn.execute(text(sql))
    engine.dispose()

    summary = run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES, chunk_size=50))

    assert (summary["status"], summary["exit_code"], summary["ok"], summary["quarantined"]) == ("complete", 1, 299, 1)
    unreadable = summary["portfolio_unreadable"]
    assert unreadable["customers"] == 1 and unreadable["sample"][0]["customer_id"] == customer_id
    assert problem in unreadable["sample"][0]["error"]
    assert summary["quarantine_sample"][0]["customer_id"] == customer_id
    assert problem.split(": ", 1)[1] in summary["quarantine_sample"][0]["error"]  # the evaluation's words alike
    assert sum(c["customers"] for c in summary["value_classes"].values()) == 299



_LAST_INVOICE = "invoice_id = (SELECT MAX(invoice_id) FROM invoices WHERE customer_id = 'C0000007')"


@pytest.mark.parametrize(("table", "column", "written", "in_pass"), [
    ("invoices", "amount", "' ' || amount || ' '", True),
    ("invoices", "amount", "'1_' || amount", True),
    ("invoices", "amount", "amount || 'e0'", True),
    ("invoices", "amount", "'+' || amount", True),
    ("financial_statements", "cash", "'1_000'", False),  # read by the batch's loader, not by the pass
])
def test_a_stored_amount_decimal_reads_but_the_store_refuses_quarantines_its_customer(
        tmp_path: Path, table: str, column: str, written: str, in_pass: bool) -> None:
    """Decimal() reads ' 1000 ', '1_000', '1e3' and '+5', which the store's loader refuses (FAILED_PRECONDITION):
    the pass counted such an amount and the batch evaluated its customer; now both refuse it in the store's words,
    as for a stored date (a513d93)."""
    url = make_portfolio(tmp_path)
    engine = create_engine(url)
    row = _LAST_INVOICE if table == "invoices" else "rowid = (SELECT MAX(rowid) FROM financial_statements)"
    with engine.begin() as conn:  # written behind the importer's back
        conn.execute(text(f"UPDATE {table} SET {column} = {written} WHERE {row}"))
        customer_id, value = conn.execute(text(f"SELECT customer_id, {column} FROM {table} WHERE {row}")).one()
    engine.dispose()

    summary = run_batch(BatchOptions(db_url=url, as_of=AS_OF, rules_dir=RULES, chunk_size=50))

    said = f"{column}: {NOT_A_DECIMAL}: {value!r}"
    assert (summary["ok"], summary["quarantined"]) == (299, 1)
    quarantined = summary["quarantine_sample"][0]
    assert quarantined["customer_id"] == customer_id and said in quarantined["error"]
    unreadable = summary["portfolio_unreadable"]
    assert unreadable["customers"] == (1 if in_pass else 0)
    assert not in_pass or said in unreadable["sample"][0]["error"]
