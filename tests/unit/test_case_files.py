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
from tests.shipped_cases import based_on, fired_only_by, shipped_cases

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
        ("next_review_on: 2027-02-29",
         "expect.next_review_on: no such day: '2027-02-29' (February 2027 has 28 days)"),
        ("limit_valid_until: 2027/05/22",
         "expect.limit_valid_until: not an ISO date (YYYY-MM-DD): '2027/05/22'; write 2027-05-22"),
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
        ("22/11/2026", "as_of: not an ISO date (YYYY-MM-DD): '22/11/2026'; write 2026-11-22"),  # 22: the day
        ("11/22/2026", "as_of: not an ISO date (YYYY-MM-DD): '11/22/2026'; write 2026-11-22"),
        ("22.11.2026", "as_of: not an ISO date (YYYY-MM-DD): '22.11.2026'; write 2026-11-22"),
        ("01/11/2026", "as_of: not an ISO date (YYYY-MM-DD): '01/11/2026'; ambiguous (day or month first?): write "
                       "2026-11-01 if the day comes first, 2026-01-11 if the month does"),  # both, never a guess
        ("2026/02/30", "as_of: no such day: '2026/02/30' (February 2026 has 28 days)"),
        ("2026-02-30", "as_of: no such day: '2026-02-30' (February 2026 has 28 days)"),
        ("2026-13-01", "as_of: no such day: '2026-13-01' (there is no month 13)"),
        ("null", "as_of: got null; write an ISO date (YYYY-MM-DD)"),  # was `not an ISO date (YYYY-MM-DD)` alone
        ("", "as_of: got null; write an ISO date (YYYY-MM-DD)"),  # an empty value is null to YAML
    ],
)
def test_a_date_in_another_common_form_says_how_to_write_it(rules_copy: RulesCopy, as_of: str, message: str) -> None:
    """`as_of: 2026/11/01` said `not an ISO date (YYYY-MM-DD)` but not what to write; `as_of: 2026-02-30`, written
    as it should be, said it too, where `--as-of 2026-02-30` says there is no such day."""
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

    problem = (f"{fixtures}:{line}:5: invalid_value: fixture steady: relationship_since: not an ISO date (YYYY-MM-DD): "
               "'15.01.2020'; write 2020-01-15")
    assert result.exit_code == 1 and result.output.count(problem) == 1
    assert f"not run: {fixtures}:{line}: invalid_value: fixture steady: relationship_since" in result.output
    assert "snapshot.relationship_since" not in result.output
    assert "1 problem in the case files" in result.output


def test_a_bad_date_in_a_case_snapshot_or_a_fixture_is_echoed_with_what_to_write(rules_copy: RulesCopy) -> None:
    """Dates inside a case's snapshot or a fixture said only `not an ISO date (YYYY-MM-DD)`: no value, no hint, and
    `2026-02-30` not that the day does not exist."""
    rules = rules_copy(("tests/fixtures.yaml", 'relationship_since: "2020-01-15"', 'relationship_since: "2020-02-30"'))
    fixtures = rules / "tests" / "fixtures.yaml"
    line = next(i for i, t in enumerate(fixtures.read_text().splitlines(), 1) if "2020-02-30" in t)
    (rules / "tests" / "q.yaml").write_text("cases:\n  - id: q\n    snapshot: {base: medium_pharmacy, last_contact_on: "
                                            "2026/11/01}\n    expect: {grade: C}\n"
                                            "  - id: q2\n    snapshot: {base: medium_pharmacy, invoices: [{invoice_id: "
                                            "I1, issued_on: 15/10/2026, due_on: 11/14/2026, amount: '10.00'}]}\n"
                                            "    expect: {grade: C}\n")

    result = _run("test", str(rules))

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (f"{fixtures}:{line}:5: invalid_value: fixture steady: relationship_since: no such day: '2020-02-30' "
            "(February 2020 has 29 days)\n") in result.output
    assert re.search(r"q\.yaml:3:\d+: invalid_value: snapshot\.last_contact_on: not an ISO date \(YYYY-MM-DD\): "
                     r"'2026/11/01'; write 2026-11-01\n", result.output), result.output
    for said in ("snapshot.invoices[0].issued_on: not an ISO date (YYYY-MM-DD): '15/10/2026'; write 2026-10-15",
                 "snapshot.invoices[0].due_on: not an ISO date (YYYY-MM-DD): '11/14/2026'; write 2026-11-14"):
        assert re.search(rf"q\.yaml:6:\d+: invalid_value: {re.escape(said)}\n", result.output), result.output


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
    assert result.output.count(f"{fixtures}:{line}:81:") == 1  # once; each case based on it names its line
    assert (f'{fixtures}:{line}:81: type_mismatch: fixtures.steady.invoices[0].amount: 100,000.00 is one number, '
            'but inside { } a comma ends an entry, so it reads as "100" and the key "000.00"; write "100000.00" '
            "(money in a case is a decimal string: in quotes, no currency sign or code, no thousands separators)"
            ) in result.output


_STEADY_CASES = ("steady_large_distributor_is_class_a", "outstanding_customer_is_aaa",
                 "order_within_available_credit_is_approved", "order_over_available_credit_needs_special_approval")


def test_a_case_built_on_a_fixture_value_the_loader_repaired_is_not_run_instead_of_showing_ok(
    rules_copy: RulesCopy,
) -> None:
    """A split `amount: 100,000.00` in a fixture was reported (exit 1), and every case based on that fixture
    still ran on the rejoined value and showed `ok`: green cases built on input the tool called wrong."""
    rules = rules_copy(("tests/fixtures.yaml", 'amount: "100000.00", payment_term_days', "amount: 100,000.00, "
                        "payment_term_days"))
    fixtures = rules / "tests" / "fixtures.yaml"
    line = next(i for i, t in enumerate(fixtures.read_text().splitlines(), 1) if "100,000.00" in t)

    result = _run("test", str(rules))

    assert result.exit_code == 1 and result.output.count(f"{fixtures}:{line}:81: type_mismatch") == 1
    for case_id in _STEADY_CASES:
        assert re.search(rf"FAIL {case_id}  \(.*\)\n +not run: {re.escape(str(fixtures))}:{line}: type_mismatch: "
                         r"fixtures\.steady\.invoices\[0\]\.amount: 100,000\.00 is one number", result.output)
    assert "ok   long_terms_are_reminded_weeks_ahead " in result.output  # based on steady, its own invoices
    assert "ok   prospect_that_never_bought " in result.output  # another fixture
    not_run = based_on("steady", taking="invoices")  # the cases that take the split amount
    n, hidden = len(not_run), fired_only_by(frozenset(not_run))
    assert (f"\n{len(shipped_cases()) - n} passed, {n} failed ({n} not run: problems above), {hidden} rules not shown "
            "fired") in result.output


def test_a_case_built_on_many_problems_shows_two_in_full_and_where_the_others_are(rules_copy: RulesCopy) -> None:
    """A split amount on each of the steady fixture's invoices printed every problem in full under every case
    built on it (15 lines a case, 135 in all) although each is printed once above."""
    rules = rules_copy()
    fixtures = rules / "tests" / "fixtures.yaml"
    text = fixtures.read_text()
    fixtures.write_text(text.replace('amount: "100000.00", payment_term_days', "amount: 100,000.00, payment_term_days"))
    lines = [i for i, t in enumerate(fixtures.read_text().splitlines(), 1) if "100,000.00" in t]
    assert len(lines) > 3

    result = _run("test", str(rules))

    assert result.exit_code == 1
    for line in lines:  # each problem in full once, above the cases
        assert len(re.findall(rf"^{re.escape(str(fixtures))}:{line}:\d+: type_mismatch", result.output, re.M)) == 1
    for case_id in _STEADY_CASES:
        block = result.output.split(f"FAIL {case_id}  ", 1)[1].split("\n")[1:4]
        assert [b.strip()[:len(f"not run: {fixtures}:")] for b in block[:2]] == [f"not run: {fixtures}:"] * 2
        rest = ", ".join(str(n) for n in lines[2:])
        assert block[2].strip() == (f"not run: and {len(lines) - 2} more problems in its input (printed above): "
                                    f"{fixtures} lines {rest}")
    assert not any(f"not run: {fixtures}:{line}:" in result.output for line in lines[2:])


def test_a_case_whose_own_value_the_loader_repaired_is_not_run_and_the_others_are(rules_copy: RulesCopy) -> None:
    """`current_limit: 1,500,000` in a case's own snapshot, or `amount: 1,500` in its order, was reported
    and the case ran on the rejoined value and showed `ok`."""
    rules = rules_copy()
    (rules / "tests" / "q.yaml").write_text(
        "cases:\n"
        "  - id: split_limit\n    snapshot: {base: steady, current_limit: 1,500,000}\n    expect: {grade: AA}\n"
        "  - id: split_order\n    snapshot: {base: steady}\n    order: {order_id: S, amount: 1,500}\n"
        "    expect: {grade: AA}\n"
        "  - id: clean\n    snapshot: {base: steady}\n    expect: {grade: AA}\n"
    )

    result = _run("test", str(rules))

    assert result.exit_code == 1
    for case_id, line, problem in [("split_limit", 3, "snapshot.current_limit: 1,500,000 is one number"),
                                   ("split_order", 7, "order.amount: 1,500 is one number")]:  # a case, no "rule"
        assert re.search(rf"FAIL {case_id}  \(.*\)\n +not run: line {line}: type_mismatch: case {case_id}: {problem}",
                         result.output)
    assert f"ok   clean  ({rules}/tests/q.yaml:9)" in result.output
    assert f"\n{len(shipped_cases()) + 1} passed, 2 failed (2 not run: problems above)" in result.output  # + clean


def test_cases_based_on_a_fixture_name_used_twice_are_not_run(rules_copy: RulesCopy) -> None:
    """The second `steady` was reported and dropped, and every case based on `steady` ran on the first
    and showed `ok`, whichever of the two its author meant."""
    rules = rules_copy()
    (rules / "tests" / "more.yaml").write_text("fixtures:\n  steady: {customer_id: X}\n")

    result = _run("test", str(rules))

    duplicate = f"{rules}/tests/more.yaml:2: duplicate_id: duplicate fixture \"steady\" (first at "
    steady = len(based_on("steady"))
    assert result.exit_code == 1 and result.output.count(duplicate) == steady  # every case based on steady
    for case_id in _STEADY_CASES:
        assert re.search(rf"FAIL {case_id}  \(.*\)\n +not run: {re.escape(duplicate)}", result.output)
    assert "ok   prospect_that_never_bought " in result.output
    assert f"\n{len(shipped_cases()) - steady} passed, {steady} failed ({steady} not run: problems above)" in (
        result.output)


def test_simulate_does_not_count_a_case_built_on_repaired_input_as_passing(rules_copy: RulesCopy) -> None:
    """simulate's `rule_tests.passed` (its JSON too) counted the cases based on a fixture with a split
    amount as passing: 28 of 28 beside a problem."""
    from adapters.batch.simulate_summary import candidate_rule_tests
    from policy_engine.api import load_policy

    rules = rules_copy(("tests/fixtures.yaml", 'amount: "100000.00", payment_term_days', "amount: 100,000.00, "
                        "payment_term_days"))
    policy = load_policy(rules)

    try:
        tests = candidate_rule_tests(policy, rules)
    finally:
        policy.close()

    cases, not_run = len(shipped_cases()), len(based_on("steady", taking="invoices"))
    assert tests is not None and (tests["cases"], tests["passed"], tests["pass"]) == (cases, cases - not_run, False)
    assert [p.split(": ")[1] for p in tests["problems"]] == ["type_mismatch"]  # once, not again per case


def test_a_case_whose_fixture_file_could_not_be_read_names_that_files_problem(rules_copy: RulesCopy) -> None:
    """A key written twice in fixtures.yaml left it unread, and each of the 28 cases was a problem of its own,
    `no fixture named 'steady'` at its `base:` line, where nothing is wrong: 29 problems for one."""
    rules = rules_copy(("tests/fixtures.yaml", "    currency: CNY\n", "    currency: CNY\n    currency: CNY\n"))
    fixtures = rules / "tests" / "fixtures.yaml"
    line = [i for i, t in enumerate(fixtures.read_text().splitlines(), 1) if "currency: CNY" in t][1]

    result = _run("test", str(rules))

    problem = f'{fixtures}:{line}:5: yaml_error: duplicate key "currency"'
    assert result.exit_code == 1 and result.output.count(problem) == 1 and "no fixture named" not in result.output
    assert re.search(rf"FAIL steady_large_distributor_is_class_a  \(.*\)\n +not run: {re.escape(str(fixtures))}:"
                     rf'{line}: yaml_error: duplicate key "currency"', result.output)
    based = sum(1 for case in shipped_cases() if case.base)  # each names a fixture it cannot find
    assert f"\n{len(shipped_cases()) - based} passed, {based} failed ({based} not run: problems above)" in result.output
    assert "1 problem in the case files (above)" in result.output


def test_a_case_that_merges_in_a_repaired_value_is_not_run_and_the_problem_is_said_once(rules_copy: RulesCopy) -> None:
    """`snapshot: {<<: *a, …}` took case a's rejoined `current_limit: 1,500,000` and showed `ok`."""
    rules = rules_copy()
    (rules / "tests" / "q.yaml").write_text(
        "cases:\n  - id: a\n    snapshot: &s {base: steady, current_limit: 1,500,000}\n    expect: {grade: AA}\n"
        "  - id: b\n    snapshot: {<<: *s, name: X}\n    expect: {grade: AA}\n"
    )

    result = _run("test", str(rules))

    assert result.output.count("q.yaml:3:33: type_mismatch: case a: snapshot.current_limit: 1,500,000") == 1
    assert re.search(r"FAIL b  \(.*q\.yaml:5\)\n +not run: line 3: type_mismatch: case a: ", result.output)
    assert f"\n{len(shipped_cases())} passed, 2 failed (2 not run: problems above)" in result.output


def test_a_limit_held_longer_than_the_handbook_says_fails_the_case_that_pins_its_validity(
    rules_copy: RulesCopy,
) -> None:
    """`validity_months` (004: a limit usually holds 3 to 6 months) could be set to 12 with every case passing:
    no expectation read a decision's `limit_valid_until`."""
    rules = rules_copy(("limits.yaml", "limit: {months_of_purchases: 4, share_of_net_worth: 0.3, floor: 100000}\n"
                        "    validity_months: 6", "limit: {months_of_purchases: 4, share_of_net_worth: 0.3, "
                        "floor: 100000}\n    validity_months: 12"))

    result = _run("test", str(rules))

    assert result.exit_code == 1
    assert re.search(r"FAIL outstanding_customer_is_aaa .*\n\s+line \d+: limit_valid_until: expected 2027-05-22, got "
                     r"2027-11-22 \(set by limit\.aaa at \S*limits\.yaml:\d+\)\n", result.output)


@pytest.mark.parametrize(("field", "said"), [
    ("last_reviewed_on: \"2026-11-02\"", 'snapshot.last_reviewed_on: unknown field — did you mean "last_review_on"?'),
    ("invoices: [{invoice_id: I1, issued_on: \"2026-10-01\", due_on: \"2026-10-31\", amount: \"10.00\", "
     "payment_term: 30}]", 'snapshot.invoices[0].payment_term: unknown field — did you mean "payment_term_days"?'),
])
def test_a_misspelt_snapshot_field_in_a_case_says_which_field_was_meant(
    rules_copy: RulesCopy, field: str, said: str
) -> None:
    """`snapshot.last_reviewed_on: unknown field` left staff to look the name up; rule files say did-you-mean."""
    rules = rules_copy()
    (rules / "tests" / "q.yaml").write_text(f"cases:\n  - id: q\n    snapshot:\n      base: steady\n      {field}\n"
                                            "    expect: {grade: AA}\n")

    result = _run("test", str(rules))

    assert re.search(rf"q\.yaml:5:\d+: unknown_field: {re.escape(said)}", result.output)


def test_a_quoted_score_in_an_expectation_says_to_drop_the_quotes(rules_copy: RulesCopy) -> None:
    """`score_at_least: "89.9"` said "a number, got '89.9'", as if 89.9 were no number."""
    rules = rules_copy()
    (rules / "tests" / "q.yaml").write_text(CASE % 'score_at_least: "89.9"')

    result = _run("test", str(rules))

    assert re.search(r"q\.yaml:4:\d+: type_mismatch: expect\.score_at_least: a number, got '89\.9' \(a text because "
                     r"of the quotes: write 89\.9 without them\)", result.output)


@pytest.mark.parametrize(("field", "says"), [
    ("open_orders_amount: \"5000.00\"",
     ['"open_orders_amount" is computed from the snapshot, not given in it (Orders not yet invoiced)',
      "orders (A customer order; `open` ones are not yet invoiced"]),
    ("debt_ratio: 0.9", ['"debt_ratio" is computed from the snapshot, not given in it (Total liabilities / total '
                         "assets", "financials[].total_assets, financials[].total_liabilities"]),
    ("overdue_amount: \"100.00\"", ['"overdue_amount" is computed from the snapshot, not given in it (Unpaid amount '
                                    "past due)", "credit-policy fields overdue_amount"]),
])
def test_a_feature_written_as_a_snapshot_field_says_it_is_computed_and_from_what(
    rules_copy: RulesCopy, field: str, says: list[str]
) -> None:
    """`snapshot.open_orders_amount: unknown field` gave no hint that open orders are `orders:` entries (status open),
    from which the amount is computed."""
    rules = rules_copy()
    (rules / "tests" / "q.yaml").write_text(f"cases:\n  - id: q\n    snapshot:\n      base: steady\n      {field}\n"
                                            "    expect: {grade: AA}\n")

    result = _run("test", str(rules))

    name = field.split(":")[0]
    [line] = [row for row in result.output.splitlines() if re.search(r"q\.yaml:5:\d+: unknown_field: ", row)]
    assert f"snapshot.{name}: unknown field: " in line
    assert all(said in line for said in says), line
