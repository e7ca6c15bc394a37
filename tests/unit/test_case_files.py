"""`credit-policy test`: an expectation no decision can meet (or every decision meets) and a broken
fixture are problems at the line where they are written, never a silent pass, a misleading failure or
a traceback."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policy_engine.cli import build_app

RulesCopy = Callable[..., Path]
runner = CliRunner()

CASE = "cases:\n  - id: q\n    snapshot: {base: steady}\n    expect: {grade: AA, %s}\n"


def _run(*args: str) -> object:
    return runner.invoke(build_app(), list(args))


@pytest.mark.parametrize(
    ("expectation", "message"),
    [
        ("score_below: .nan", "expect.score_below: .nan is not a number; write a score from 0 to 100"),
        ("score_at_least: .nan", "expect.score_at_least: .nan is not a number; write a score from 0 to 100"),
        ("score_below: .inf", "expect.score_below: .inf is not a finite number; write a score from 0 to 100"),
        ("credit_limit: .nan", 'expect.credit_limit: nan is not an amount; write one such as "350000.00"'),
        ("credit_limit: 'NaN'", "expect.credit_limit: 'NaN' is not an amount; write one such as \"350000.00\""),
        ("next_review_on: 2027/02/01",
         "expect.next_review_on: not an ISO date (YYYY-MM-DD): '2027/02/01'; write 2027-02-01"),
    ],
)
def test_an_expectation_no_decision_can_meet_is_a_problem_at_its_line(
    rules_copy: RulesCopy, expectation: str, message: str
) -> None:
    """`score_below: .nan` passed whatever the rules decided (`score >= nan` is false); a `.nan` limit
    or a date in another format failed as "expected 2027/02/01, got 2027-02-01", which says nothing
    of what is wrong."""
    rules = rules_copy()
    (rules / "tests" / "q.yaml").write_text(CASE % expectation)

    result = _run("test", str(rules))

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert re.search(rf"q\.yaml:4:\d+: invalid_value: {re.escape(message)}", result.output)
    assert f"FAIL q  ({rules}/tests/q.yaml:2)" in result.output and "expected 2027/02/01" not in result.output


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("2026/11/01", "as_of: not an ISO date (YYYY-MM-DD): '2026/11/01'; write 2026-11-01"),
        ("2026.11.01", "as_of: not an ISO date (YYYY-MM-DD): '2026.11.01'; write 2026-11-01"),
        ("20261101", "as_of: not an ISO date (YYYY-MM-DD): 20261101; write 2026-11-01"),  # a number to YAML
        ("2026/1/5", "as_of: not an ISO date (YYYY-MM-DD): '2026/1/5'; write 2026-01-05"),
        ("01/11/2026", "as_of: not an ISO date (YYYY-MM-DD): '01/11/2026'"),  # day or month first: no guess
        ("2026/02/30", "as_of: not an ISO date (YYYY-MM-DD): '2026/02/30'"),  # no such day
    ],
)
def test_a_date_in_another_common_form_says_how_to_write_it(rules_copy: RulesCopy, as_of: str, message: str) -> None:
    """`as_of: 2026/11/01` said `not an ISO date (YYYY-MM-DD)` but not what to write."""
    rules = rules_copy()
    (rules / "tests" / "q.yaml").write_text(f"cases:\n  - id: q\n    as_of: {as_of}\n    snapshot: {{base: steady}}\n"
                                            "    expect: {grade: AA}\n")

    result = _run("test", str(rules))

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert re.search(rf"q\.yaml:3:\d+: invalid_value: {re.escape(message)}\n", result.output), result.output


def test_a_broken_fixture_is_one_problem_at_its_own_line_not_one_per_case_elsewhere(rules_copy: RulesCopy) -> None:
    """It was reported once per case based on it, each at that case's `snapshot:` line in another
    file, where nothing is wrong."""
    rules = rules_copy(("tests/fixtures.yaml", 'relationship_since: "2020-01-15"', 'relationship_since: "15.01.2020"'))
    fixtures = rules / "tests" / "fixtures.yaml"
    line = next(i for i, t in enumerate(fixtures.read_text().splitlines(), 1) if "15.01.2020" in t)

    result = _run("test", str(rules))

    problem = f"{fixtures}:{line}:5: invalid_value: fixture steady: relationship_since: not an ISO date"
    assert result.exit_code == 1 and result.output.count(problem) == 1
    assert f"not run: {fixtures}:{line}: invalid_value: fixture steady: relationship_since" in result.output
    assert "snapshot.relationship_since" not in result.output
    assert "1 problems in the case files" in result.output


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("fixtures:\n  - steady\n", "more.yaml:1:1: type_mismatch: `fixtures` must be a mapping of name → snapshot"),
        ("fixtures:\n  other: 5\ncases:\n  - {id: q, snapshot: {base: other}, expect: {grade: A}}\n",
         'more.yaml:2:3: type_mismatch: fixture "other" must be a mapping of snapshot fields; got 5'),
        ("fixtures:\n  steady: {customer_id: X}\n",
         'more.yaml:2:3: duplicate_id: duplicate fixture "steady" (first at '),
    ],
)
def test_fixtures_that_are_no_mapping_or_a_name_used_twice_are_problems_not_a_traceback_or_a_swap(
    rules_copy: RulesCopy, text: str, problem: str
) -> None:
    """A list of fixtures or a fixture that is no mapping ended the run in a traceback; a second
    fixture of the same name silently replaced the first for every case."""
    rules = rules_copy()
    (rules / "tests" / "more.yaml").write_text(text)

    result = _run("test", str(rules))

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert problem in result.output


def test_an_amount_split_by_thousands_separators_in_a_fixture_says_to_write_the_quoted_decimal(
    rules_copy: RulesCopy,
) -> None:
    """`{…, amount: 100,000.00}` in a fixture was `invoices[0].0.0: unknown field` at the line's start; and
    a case's money is a decimal string, so the number to write is quoted."""
    rules = rules_copy(("tests/fixtures.yaml", 'amount: "100000.00", payment_term_days', "amount: 100,000.00, "
                        "payment_term_days"))
    fixtures = rules / "tests" / "fixtures.yaml"
    line = next(i for i, t in enumerate(fixtures.read_text().splitlines(), 1) if "100,000.00" in t)

    result = _run("test", str(rules))

    assert result.exit_code == 1
    assert result.output.count(f"{fixtures}:{line}:") == 1
    assert (f'{fixtures}:{line}:81: type_mismatch: fixtures.steady.invoices[0].amount: 100,000.00 is one number, '
            'but inside { } a comma ends an entry, so it reads as "100" and the key "000.00"; write "100000.00" '
            "(money in a case is a decimal string: in quotes, no currency sign or code, no thousands separators)"
            ) in result.output
