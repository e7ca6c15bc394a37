"""What-if simulation: exactly the customers a rule change affects, and nothing written."""

from __future__ import annotations

import re
import shutil
from decimal import Decimal
from pathlib import Path

from adapters.batch.simulate import simulate
from adapters.store import open_store
from policy_engine.api import load_policy
from policy_engine.domain.values import GRADE_RANK
from policy_engine.portfolio import AbcCutoffs, abc_classes
from tests.integration.test_batch_support import AS_OF, RULES, cli, digest, make_portfolio, summary_of


def _candidate(tmp_path: Path, edit: dict[str, tuple[str, str]]) -> Path:
    """A copy of the live rules with `file: (old, new)` text replacements."""
    target = tmp_path / "candidate"
    shutil.copytree(RULES, target, ignore=shutil.ignore_patterns("tests"))
    for name, (old, new) in edit.items():
        path = target / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def _oracle(url: str, candidate: Path) -> dict[str, set[str]]:
    """Who changes, by field, evaluating each customer through the public API on the store's own loader."""
    store = open_store(url)
    live, cand = load_policy(RULES), load_policy(candidate)
    changed: dict[str, set[str]] = {"grade": set(), "credit_limit": set(), "next_review_on": set()}
    for ids in store.iter_customer_ids(100):
        for snapshot in store.get_snapshots(ids):
            a, b = live.evaluate(snapshot, as_of=AS_OF), cand.evaluate(snapshot, as_of=AS_OF)
            for field in changed:
                if getattr(a, field) != getattr(b, field):
                    changed[field].add(snapshot.customer_id)
    store.close()
    return changed


def _ids(result: dict[str, object], field: str) -> set[str]:
    return {c["customer_id"] for c in result["changes"] if field in c}  # type: ignore[attr-defined,index]


def test_the_live_rules_against_themselves_change_nothing(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)

    result = simulate(url, RULES, RULES, AS_OF)

    assert (result["customers"], result["changed"], result["rules"]) == (300, 0, [])
    assert result["credit_extended"]["change"] == "0.00"


def test_a_shorter_review_cadence_reports_exactly_the_customers_whose_review_moves(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)
    candidate = _candidate(tmp_path, {"reviews.yaml": ("interval_months: 3", "interval_months: 2")})
    before = digest(url)

    result = simulate(url, RULES, candidate, AS_OF, workers=2, chunk_size=40)

    expected = _oracle(url, candidate)
    assert _ids(result, "next_review_on") == expected["next_review_on"] != set()
    assert result["review_changes"] == len(expected["next_review_on"])
    assert all(c["next_review_on"][1] < c["next_review_on"][0] for c in result["changes"])  # type: ignore[attr-defined]
    assert (result["grade_changes"], result["limit_changes"]) == (0, 0)
    assert digest(url) == before  # nothing written


def test_a_stricter_grade_band_reports_grade_and_limit_changes_and_the_credit_change(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)
    candidate = _candidate(tmp_path, {"grades.yaml": ("between: [74, 82]", "between: [77, 82]")})
    grades = candidate / "grades.yaml"  # the A band starts at 77 instead of 74: BBB takes 66–77
    grades.write_text(grades.read_text().replace("between: [66, 74]", "between: [66, 77]"))

    result = simulate(url, RULES, candidate, AS_OF)

    expected = _oracle(url, candidate)
    assert _ids(result, "grade") == expected["grade"] != set()
    assert _ids(result, "credit_limit") == expected["credit_limit"]
    changes = [c for c in result["changes"] if "grade" in c]  # type: ignore[attr-defined]
    assert all(GRADE_RANK[c["grade"][1]] > GRADE_RANK[c["grade"][0]] for c in changes)  # only ever worse
    fired = {r["rule_id"]: r for r in result["rules"]}  # type: ignore[attr-defined]
    assert fired["grade.a"]["change"] == -fired["grade.bbb"]["change"] < 0
    credit = result["credit_extended"]
    assert Decimal(credit["candidate"]) - Decimal(credit["live"]) == Decimal(credit["change"]) < 0


def test_new_abc_cutoffs_in_the_candidate_change_exactly_the_value_classes_they_move(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)
    candidate = _candidate(tmp_path, {"portfolio.yaml": ("a_share: 0.75", "a_share: 0.60")})  # A 60%, B 20%

    result = cli("simulate", "--rules", str(candidate), "--db", url, "--as-of", AS_OF.isoformat(), "--json")

    assert result.returncode == 0, result.stderr
    data = summary_of(result)
    store = open_store(url)
    sales = {}
    for ids in store.iter_customer_ids(100):
        for s in store.get_snapshots(ids):
            window = (i.amount for i in s.invoices if 0 <= (AS_OF - i.issued_on).days < 365)  # 12 months
            sales[s.customer_id] = sum(window, Decimal(0))
    store.close()
    old, new = abc_classes(sales), abc_classes(sales, AbcCutoffs(a=Decimal("0.60"), b=Decimal("0.80")))
    moved = {c for c in sales if old[c] != new[c]}
    assert {c["customer_id"] for c in data["changes"]} == moved != set()
    assert {tuple(c["value_class"]) for c in data["changes"]} == {("A", "B"), ("B", "C")}
    assert data["value_class_changes"] == len(moved) and data["grade_changes"] == 0


def test_simulate_prints_a_readable_comparison(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)
    candidate = _candidate(tmp_path, {"reviews.yaml": ("interval_months: 3", "interval_months: 2")})

    result = cli("simulate", "--rules", str(candidate), "--db", url, "--as-of", AS_OF.isoformat(), "--limit", "3")

    assert result.returncode == 0, result.stderr
    assert re.search(r"review cadence\s*│\s*[1-9]", result.stdout)
    assert "changed customers (first 3 of" in result.stdout
    # Amounts as people read them: thousands separated, the change signed.
    assert re.search(r"credit extended\s*│\s*\d{1,3}(,\d{3})+\.\d\d → \d{1,3}(,\d{3})+\.\d\d \([+-][\d,]+\.\d\d\)",
                     result.stdout), result.stdout


def test_simulate_says_so_when_the_candidate_changes_nothing(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)
    candidate = _candidate(tmp_path, {})

    result = cli("simulate", "--rules", str(candidate), "--db", url, "--as-of", AS_OF.isoformat())

    assert result.returncode == 0, result.stderr
    assert "no rule fires more or less often" in result.stdout
    assert "no customer's grade, grade class, value class, limit, next review or review cadence changes" in (
        result.stdout)
    assert "changed customers" not in result.stdout  # no empty table


def test_candidate_rules_that_do_not_load_are_bad_input(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)
    candidate = _candidate(tmp_path, {"grades.yaml": ("grade: AAA,", "grade: ZZZ,")})

    result = cli("simulate", "--rules", str(candidate), "--db", url)

    assert result.returncode == 2
    assert "candidate rules" in result.stderr and "grades.yaml" in result.stderr


def test_simulate_runs_the_candidates_own_cases_and_says_which_fail(tmp_path: Path) -> None:
    """Risk staff preview a change with simulate before it goes live; a candidate whose own cases
    fail would be refused by a service running with --rule-tests, so simulate says so, and which."""
    url = make_portfolio(tmp_path)
    candidate = tmp_path / "with-tests"
    shutil.copytree(RULES, candidate)
    limits = candidate / "limits.yaml"
    limits.write_text(limits.read_text().replace("months_of_purchases: 3.5,", "months_of_purchases: 3.2,", 1))

    table = cli("simulate", "--rules", str(candidate), "--db", url, "--as-of", AS_OF.isoformat())
    as_json = cli("simulate", "--rules", str(candidate), "--db", url, "--as-of", AS_OF.isoformat(), "--json")

    assert table.returncode == 0, table.stderr
    assert ("the candidate's rule tests: 19 of 25 cases pass; a service started with --rule-tests would refuse "
            "this rule set") in table.stdout
    assert "grades_and_limits.yaml:" in table.stdout and "rule_test_failed: case steady_large_distributor" in (
        table.stdout)
    tests = summary_of(as_json)["candidate"]["rule_tests"]
    assert (tests["cases"], tests["passed"], tests["pass"], len(tests["problems"])) == (25, 19, False, 6)

    untouched = cli("simulate", "--rules", str(RULES), "--db", url, "--as-of", AS_OF.isoformat())
    assert "the candidate's rule tests: 25 of 25 cases pass" in untouched.stdout
    without = cli("simulate", "--rules", str(_candidate(tmp_path, {})), "--db", url, "--as-of", AS_OF.isoformat())
    assert "the candidate has no tests/ directory" in without.stdout


def test_simulate_on_a_store_without_customers_says_there_was_nothing_to_compare(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    open_store(url).close()

    result = cli("simulate", "--rules", str(RULES), "--db", url, "--as-of", AS_OF.isoformat())

    assert result.returncode == 0, result.stderr
    assert "the store holds no customers: nothing was compared" in result.stdout
    assert "no customer's grade" not in result.stdout
