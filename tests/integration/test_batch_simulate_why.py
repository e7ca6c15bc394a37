"""`simulate` on a change that decides nothing in this portfolio says why, from what the engine tells: a changed rule
whose condition looks at the grade alone names the grades it applies to and that no customer holds them; any other
says it fired for no customer, live or candidate; with no customer changed, a changed rule that fired says it
changed nothing compared. Outputs otherwise as before (a candidate equal to the live rules lists no rule)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.batch.simulate import simulate
from policy_engine.domain.values import GRADES
from tests.integration.test_batch_support import AS_OF, RULES, cli, make_portfolio
from tests.rule_copies import edited_rules as _candidate

AAA_FLOOR = ("limits.yaml", "share_of_net_worth: 0.3, floor: 100000", "share_of_net_worth: 0.3, floor: 120000")
"""The AAA limit's floor raised: in a portfolio without an AAA customer it decides nothing."""
A_FLOOR = ("limits.yaml", "share_of_net_worth: 0.2, floor: 50000", "share_of_net_worth: 0.2, floor: 50001")
"""The A limit's floor raised by 1: every A customer's limit is over it, so nothing changes."""
TITLE_ONLY = ("limits.yaml", "en: AAA limit}", "en: Limit of grade AAA}")
EXTREME_OVERDUE = ("warnings.yaml", "    effects: {downgrade: 1, request_collateral: true}\n",
                   "    effects: {downgrade: 1, request_collateral: true}\n  - id: warn.extreme_overdue\n"
                   "    code: EXTREME_OVERDUE\n    title: {zh: 极端逾期, en: Extremely overdue}\n"
                   "    source: \"002 付款变化: 延迟付款期限\"\n    when: {dbt_open_max: {gte: 3000}}\n"
                   "    effects: {downgrade: 1}\n")
"""A new warning sign no customer meets; its condition is on days beyond terms, not the grade."""


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    return make_portfolio(tmp_path_factory.mktemp("why"))


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The first 60 customers of the same demo portfolio: too few to hold an AAA customer."""
    return make_portfolio(tmp_path_factory.mktemp("why-small"), customers=60)


def test_every_grade_has_customers_in_the_demo_portfolio_so_a_change_to_any_band_can_show(store: str) -> None:
    result = simulate(store, RULES, RULES, AS_OF)

    graded = {row["grade"]: row["live"] for row in result["grades"]}
    # Before the demo data had strong payers, no customer reached AAA: a change to it "decided nothing here".
    assert [grade for grade in GRADES if graded.get(grade, 0) == 0] == []


def test_a_changed_grade_rule_no_customer_can_meet_names_the_grade_no_customer_holds(
    small_store: str, tmp_path: Path
) -> None:
    store = small_store
    candidate = _candidate(tmp_path, AAA_FLOOR, TITLE_ONLY)  # the title decides nothing: not a change

    result = simulate(store, RULES, candidate, AS_OF)
    screen = cli("simulate", "--rules", str(candidate), "--db", store, "--as-of", AS_OF.isoformat())
    as_json = cli("simulate", "--rules", str(candidate), "--db", store, "--as-of", AS_OF.isoformat(), "--json")

    assert "AAA" not in {row["grade"] for row in result["grades"]}
    assert result["changed"] == 0
    assert result["changed_rules"] == [{"rule_id": "limit.aaa", "kind": "credit_limits", "status": "changed",
                                        "moved": None, "grades": ["AAA"], "live": 0, "candidate": 0,
                                        "graded": {"live": 0, "candidate": 0}}]  # fmt: skip
    assert json.loads(as_json.stdout)["changed_rules"] == result["changed_rules"]
    assert ("the changed rule limit.aaa applies to grade AAA only, and no customer in this portfolio is graded AAA, "
            "live or candidate: it decides nothing here") in screen.stdout


def test_a_changed_rule_that_fired_and_changed_nothing_says_so_with_its_customers(store: str, tmp_path: Path) -> None:
    result = simulate(store, RULES, _candidate(tmp_path, A_FLOOR), AS_OF)

    [row] = result["changed_rules"]
    graded_a = next(g["live"] for g in result["grades"] if g["grade"] == "A")
    assert result["changed"] == 0 and row["grades"] == ["A"]
    assert row["live"] == row["candidate"] == row["graded"]["live"] == row["graded"]["candidate"] == graded_a > 0


def test_an_added_rule_on_other_fields_that_never_fired_is_named_without_grades(store: str, tmp_path: Path) -> None:
    candidate = _candidate(tmp_path, EXTREME_OVERDUE, A_FLOOR)

    result = simulate(store, RULES, candidate, AS_OF)
    screen = cli("simulate", "--rules", str(candidate), "--db", store, "--as-of", AS_OF.isoformat())

    rows = {r["rule_id"]: r for r in result["changed_rules"]}
    assert rows["warn.extreme_overdue"] == {"rule_id": "warn.extreme_overdue", "kind": "warning_signs",
                                            "status": "added", "moved": None, "grades": None, "live": 0, "candidate": 0,
                                            "graded": None}  # fmt: skip
    assert ("the added rule warn.extreme_overdue fired for no customer in this portfolio, live or candidate: it "
            "decides nothing here") in screen.stdout
    a = next(g["live"] for g in result["grades"] if g["grade"] == "A")
    assert f"the changed rule limit.a fired for {a} customers live and {a} with the candidate" in screen.stdout


def test_the_live_rules_against_themselves_list_no_changed_rule(store: str) -> None:
    result = simulate(store, RULES, RULES, AS_OF)

    assert result["changed_rules"] == []
