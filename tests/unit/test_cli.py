"""The credit-policy command line, as risk staff and scripts use it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policy_engine.cli import build_app
from tests.shipped_cases import shipped_cases

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
runner = CliRunner()


def _run(*args: str) -> object:
    return runner.invoke(build_app(), list(args))


def test_lint_passes_on_the_shipped_rules() -> None:
    result = _run("lint")

    assert result.exit_code == 0 and "ok:" in result.output


def test_fields_lists_the_value_class_a_follow_up_may_compare() -> None:
    result = _run("fields", "--stage", "customer")

    line = next(t for t in result.output.splitlines() if t.startswith("value_class "))
    assert result.exit_code == 0 and line.split()[1] == "enum" and line.endswith("[A, B, C]")


def test_fields_keeps_the_longest_name_clear_of_the_type_column() -> None:
    """`signal_competitor_purchases_moved boolean`: a name longer than the column ran into the type."""
    result = _run("fields", "--stage", "customer")

    lines = result.output.splitlines()
    at = {line.index(" boolean ") if " boolean " in line else None for line in lines} - {None}
    assert result.exit_code == 0 and len(at) == 1  # every boolean's type starts in the same column
    longest = next(t for t in lines if t.startswith("signal_competitor_purchases_moved "))
    assert longest.split()[1] == "boolean"


def test_fields_wraps_a_long_meaning_under_the_meaning_column() -> None:
    from policy_engine.cli.fields_cmd import field_lines
    from policy_engine.rules.scopes import SCOPES

    lines = field_lines(list(SCOPES["order"].values()), width=80)

    start = lines[0].index("(money")  # order_amount's meaning starts with its unit
    follow = [t for t in lines if t.startswith(" ")]
    assert follow and all(len(t) <= 80 for t in lines)
    assert all(len(t) - len(t.lstrip()) == start for t in follow)


def test_fields_filters_by_a_word_in_the_name_or_the_meaning_in_any_case() -> None:
    by_name = _run("fields", "--stage", "customer", "OVERDUE")
    by_meaning = _run("fields", "--stage", "customer", "FIRST TRADE")
    none = _run("fields", "--stage", "customer", "no-such-word")

    names = [t.split()[0] for t in by_name.output.splitlines()]
    assert by_name.exit_code == 0 and names and all("overdue" in t.lower() for t in by_name.output.splitlines())
    assert "overdue_count" in names
    assert [t.split()[0] for t in by_meaning.output.splitlines()] == ["relationship_months"]
    assert none.exit_code == 1 and "no-such-word" in none.output


def test_fields_help_says_how_to_filter() -> None:
    result = _run("fields", "--help")

    said = " ".join(result.output.replace("│", " ").split())  # the help wraps in a box
    assert result.exit_code == 0 and "fields [OPTIONS] [WORD]" in said and "contains WORD (any case)" in said


def test_lint_reports_a_broken_copy_with_file_line_col(rules_copy: Callable[..., Path]) -> None:
    rules = rules_copy(("warnings.yaml", "when: {dbt_open_max: {gte: 91}}", "when: {dbt_open_mx: {gte: 91}}"))

    result = _run("lint", str(rules))

    line = next(
        i for i, text in enumerate((rules / "warnings.yaml").read_text().splitlines(), 1) if "dbt_open_mx" in text
    )
    assert result.exit_code == 1
    assert f"{rules}/warnings.yaml:{line}:12: unknown_feature:" in result.output


def test_lint_and_test_take_the_rules_directory_as_an_option_too(rules_copy: Callable[..., Path]) -> None:
    rules = rules_copy(("warnings.yaml", "when: {dbt_open_max: {gte: 91}}", "when: {dbt_open_mx: {gte: 91}}"))

    broken = _run("lint", "--rules", str(rules))
    assert broken.exit_code == 1 and f"{rules}/warnings.yaml:" in broken.output
    assert _run("lint", "--rules", str(rules), str(rules)).exit_code == 1  # the same directory twice: fine

    both = _run("lint", "rules", "--rules", str(rules))
    assert both.exit_code == 2 and "two rules directories" in both.output

    shipped = Path(__file__).resolve().parents[2] / "rules"
    assert _run("test", "--rules", str(shipped)).exit_code == 0


def test_an_impossible_unquoted_date_in_a_rule_file_is_reported_at_its_line(rules_copy: Callable[..., Path]) -> None:
    """YAML reads `2026-02-30` as a date; ruamel's construction of it raised a bare ValueError out of
    the whole load (a traceback). Dates now stay text, and the schema names the place."""
    rules = rules_copy(("warnings.yaml", "{relationship_months: {lt: 6}}", "{relationship_months: {lt: 2026-02-30}}"))

    result = _run("lint", str(rules))

    line = next(i for i, t in enumerate((rules / "warnings.yaml").read_text().splitlines(), 1) if "2026-02-30" in t)
    assert result.exit_code == 1, result.output
    assert (f"warnings.yaml:{line}:41: type_mismatch: rule start.new_customer: \"relationship_months\" is a number; "
            "got '2026-02-30'") in (
        result.output)


def test_rule_cases_pass_and_cover_every_rule() -> None:
    result = _run("test")

    assert result.exit_code == 0, result.output
    assert "0 failed, 0 rules uncovered" in result.output


def test_a_failing_case_and_an_uncovered_rule_fail_the_run(rules_copy: Callable[..., Path]) -> None:
    rules = rules_copy(("tests/orders.yaml", "outcome: HOLD", "outcome: APPROVE"))
    (rules / "tests" / "warnings.yaml").unlink()

    result = _run("test", str(rules))

    assert result.exit_code == 1
    assert "FAIL past_due_invoice_holds_orders" in result.output
    assert "outcome: expected APPROVE, got HOLD" in result.output
    assert "uncovered: no case makes warn.payment_excuses" in result.output


def test_malformed_cases_are_reported_with_file_and_line_not_a_traceback(rules_copy: Callable[..., Path]) -> None:
    """Each of these used to end `credit-policy test` in a traceback (ValueError, ValidationError,
    InvalidOperation or TypeError) before any other case was reported."""
    rules = rules_copy(
        ("tests/grades_and_limits.yaml", "as_of: 2026-11-22", "as_of: 2026-02-30"),  # unquoted: YAML's own date
        ("tests/grades_and_limits.yaml", 'credit_limit: "350000.00"', "credit_limit: lots"),
        ("tests/orders.yaml", "outcome: HOLD", "outcome: HOLD\n      score_at_least: high"),
    )
    with (rules / "tests" / "orders.yaml").open("a") as cases:
        cases.write('  - id: bad_order\n    snapshot: {base: steady}\n    order: {amount: "-5"}\n'
                    "    expect: {fired: 7}\n")

    result = _run("test", str(rules))

    assert result.exit_code == 1 and "Traceback" not in result.output
    text = (rules / "tests" / "grades_and_limits.yaml").read_text().splitlines()
    as_of_line = next(i for i, t in enumerate(text, 1) if "2026-02-30" in t)
    assert (f"grades_and_limits.yaml:{as_of_line}:5: invalid_value: as_of: no such day: '2026-02-30' "
            "(February 2026 has 28 days)\n") in result.output
    assert "expect.credit_limit: not a decimal such as \"125000.00\": 1 to 16 digits, optionally \".\" and 1 to 6 " \
           "more: 'lots'\n" in result.output
    assert "expect.score_at_least: a number, got 'high'" in result.output
    assert "order.amount: must not be negative" in result.output and "expect.fired: a list of ids" in result.output
    assert "5 problems in the case files" in result.output


def test_a_case_file_that_is_not_a_mapping_of_cases_is_a_problem_not_skipped(rules_copy: Callable[..., Path]) -> None:
    """A top-level list, a typo such as `case:`, an empty file or `cases:` that is not a list used to be
    skipped without a word, and the run passed with those cases never run."""
    rules = rules_copy()
    tests = rules / "tests"
    (tests / "a.yaml").write_text("- id: q\n  snapshot: {base: steady}\n  expect: {grade: C}\n")
    (tests / "b.yaml").write_text("case:\n  - id: q2\n    snapshot: {base: steady}\n    expect: {grade: C}\n")
    (tests / "c.yaml").write_text("")
    (tests / "d.yaml").write_text("cases: {a: 1}\n")

    result = _run("test", str(rules))

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert ("a.yaml:1:1: type_mismatch: a case file must be a mapping with `cases:` (a list); got a list"
            in result.output)
    assert 'b.yaml:1:1: unknown_field: unknown key "case" in a case file (expected cases or fixtures) — did you mean ' \
           '"cases"?' in result.output
    assert "c.yaml:1:1: missing_field: empty case file" in result.output
    assert "d.yaml:1:1: type_mismatch: `cases` must be a list of cases" in result.output


def test_case_files_are_read_within_bounds_and_an_unreadable_one_is_a_problem(rules_copy: Callable[..., Path]) -> None:
    """Case files are read like rule files: not UTF-8, over 1 MiB, or more than 200 of them is a
    problem naming the file (the first used to end the run in a UnicodeDecodeError traceback; the
    others were read whole, which the service now does on every reload)."""
    rules = rules_copy()
    (rules / "tests" / "latin1.yaml").write_bytes("cases: []  # Geb\xfchr\n".encode("latin-1"))
    (rules / "tests" / "huge.yaml").write_text("# " + "x" * (1 << 20) + "\n")

    result = _run("test", str(rules))

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "latin1.yaml:1:17: unreadable: not UTF-8 text: byte 0xFC here" in result.output  # at the ü
    assert "huge.yaml:1:1: unreadable: larger than 1048576 bytes" in result.output

    for i in range(201):
        (rules / "tests" / f"many{i:03}.yaml").write_text("cases: []\n")
    count = len(list((rules / "tests").glob("*.yaml")))  # the shipped case files and the ones above
    result = _run("test", str(rules))
    assert result.exit_code == 1 and f"{count} case files; at most 200 are read" in result.output


def test_expectations_naming_what_does_not_exist_are_problems_not_silent_passes(
    rules_copy: Callable[..., Path],
) -> None:
    """A `not_fired` naming a misspelt rule could never fail; `grade: AAAA` could never pass. And a
    case id used twice made two results of one name."""
    rules = rules_copy(
        ("tests/orders.yaml", "warn.overdue_hold, order.hold_past_due]",
         "warn.overdue_hold, order.hold_past_due]\n      not_fired: [order.specail_approval]\n"
         "      not_actions: [HOLD_ORDER]"),
        ("tests/orders.yaml", "grade: AA\n", "grade: AAAA\n"),
        ("tests/orders.yaml", "id: frozen_bank_account_rejects_orders", "id: past_due_invoice_holds_orders"),
        ("tests/orders.yaml", "base: steady", "base: stead"),
    )

    result = _run("test", str(rules))

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert 'expect.not_fired: no rule \'order.specail_approval\' — did you mean "order.special_approval"?' in (
        result.output)
    assert 'expect.not_actions: no action \'HOLD_ORDER\' — did you mean "HOLD_ORDERS"?' in result.output
    assert "expect.grade: no grade 'AAAA'" in result.output
    assert 'duplicate case id "past_due_invoice_holds_orders" (first at ' in result.output
    assert "no fixture named 'stead' — did you mean \"steady\"?" in result.output


def test_a_non_text_item_in_an_expectation_list_is_one_problem(rules_copy: Callable[..., Path]) -> None:
    rules = rules_copy(("tests/orders.yaml", "warn.overdue_hold, order.hold_past_due]",
                        "warn.overdue_hold, order.hold_past_due]\n      not_fired: [7]"))

    result = _run("test", str(rules))

    assert result.exit_code == 1 and "expect.not_fired: a list of ids, got [7]" in result.output
    assert "no rule 7" not in result.output and "1 problem in the case files" in result.output


@pytest.mark.parametrize(("written", "said"), [
    ("grade:", "expect.grade: a text, got null (nothing after the colon)"),
    ("grade: null", "expect.grade: a text, got null (nothing after the colon)"),
    ("grade: true", "expect.grade: a text, got true"),
])
def test_an_expectation_left_empty_is_said_as_the_case_file_writes_it(
    rules_copy: Callable[..., Path], written: str, said: str,
) -> None:
    """`grade:` with nothing after it said `a text, got None`, Python's word, not the file's."""
    rules = rules_copy(("tests/orders.yaml", "grade: AA\n", f"{written}\n"))

    result = _run("test", str(rules))

    assert result.exit_code == 1 and said in result.output and "None" not in result.output


@pytest.mark.parametrize(
    ("expect", "code", "message"),
    [
        ("    expect: {}\n", "invalid_value", "case q checks nothing: expect is empty"),
        ("    expect:\n", "invalid_value", "case q checks nothing: expect is empty"),
        ("", "missing_field", "case q checks nothing: it has no expect"),
        ("    expect: {fired: [], not_actions: []}\n", "invalid_value",
         "case q checks nothing: every list in expect is empty"),
    ],
)
def test_a_case_that_checks_nothing_fails_at_its_line(
    rules_copy: Callable[..., Path], expect: str, code: str, message: str
) -> None:
    """A case with an empty or missing `expect` passes whatever the rules decide; it was shown `ok`."""
    rules = rules_copy()
    (rules / "tests" / "q.yaml").write_text(f"cases:\n  - id: q\n    snapshot: {{base: steady}}\n{expect}")

    result = _run("test", str(rules))

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"q.yaml:2:5: {code}: {message}" in result.output
    assert f"FAIL q  ({rules}/tests/q.yaml:2)" in result.output and "ok   q " not in result.output
    assert f"\n{len(shipped_cases())} passed, 1 failed (1 not run: problems above)" in result.output


def test_a_case_with_a_problem_fails_and_is_not_run_instead_of_showing_ok(rules_copy: Callable[..., Path]) -> None:
    """A misspelt expectation or case field was reported, and the case still ran and showed `ok` (it
    checked less than it said); a case whose snapshot or order had a bad field was reported and left
    out of the results: neither `ok` nor FAIL, "0 failed"."""
    rules = rules_copy()
    (rules / "tests" / "q.yaml").write_text(
        "cases:\n"
        "  - id: typo_in_expect\n    snapshot: {base: steady}\n    expect: {grade: AA, grad_class: C}\n"
        "  - id: typo_in_case\n    snapshot: {base: steady}\n    exepct: {grade: C}\n    expect: {grade: AA}\n"
        "  - id: bad_snapshot\n    snapshot: {base: steady, relationship_monthz: 3}\n    expect: {grade: AA}\n"
        "  - id: bad_order\n    snapshot: {base: steady}\n    order: {order_id: S, amount: '1', amout: 5}\n"
        "    expect: {grade: AA}\n"
    )

    result = _run("test", str(rules))

    assert result.exit_code == 1 and "Traceback" not in result.output
    for case_id, line, problem in [
        ("typo_in_expect", 2, '4:25: unknown_field: unknown expectation "grad_class" — did you mean "grade_class"?'),
        ("typo_in_case", 5, '7:5: unknown_field: unknown case field "exepct" — did you mean "expect"?'),
        ("bad_snapshot", 9, "10:30: unknown_field: snapshot.relationship_monthz: unknown field"),
        ("bad_order", 12, "14:39: unknown_field: order.amout: unknown field"),
    ]:
        assert f"q.yaml:{problem}" in result.output
        assert f"FAIL {case_id}  ({rules}/tests/q.yaml:{line})" in result.output
        assert f"not run: line {problem.partition(':')[0]}: {problem.split(': ', 1)[1]}" in result.output
    assert f"\n{len(shipped_cases())} passed, 4 failed (4 not run: problems above)" in result.output


def test_a_case_not_run_counts_as_failing_and_its_problem_is_not_reported_twice(
    rules_copy: Callable[..., Path],
) -> None:
    """What `serve --rule-tests` and `simulate` see: the case fails, and its problem is listed once
    (not again as rule_test_failed)."""
    from policy_engine.api import load_policy
    from policy_engine.casetests import failing, run_suite

    rules = rules_copy()
    (rules / "tests" / "q.yaml").write_text("cases:\n  - id: q\n    snapshot: {base: steady}\n    expect: {}\n")
    policy = load_policy(rules)

    try:
        suite = run_suite(policy, rules)
    finally:
        policy.close()

    [result] = [r for r in suite.results if r.case_id == "q"]
    assert result.failures and not suite.ok  # simulate counts `passed` as the results without failures
    assert [(p.line, p.code) for p in failing(suite)] == [(2, "invalid_value")]
    assert result.not_run and result.fired == set()


def test_evaluate_prints_a_full_decision_with_reasons() -> None:
    result = _run("evaluate", str(EXAMPLES / "steady-distributor.json"), "--as-of", "2026-11-22", "--explain")

    decision = json.loads(result.output)
    assert result.exit_code == 0
    assert decision["grade"] == "AA" and decision["credit_limit"] == "350000.00"
    assert decision["reasons"] and decision["trace"]


def test_check_order_holds_a_customer_with_a_past_due_invoice() -> None:
    result = _run("check-order", str(EXAMPLES / "past-due.json"), "--amount", "1000", "--as-of", "2026-11-22")

    assert json.loads(result.output)["outcome"] == "HOLD"


def test_check_order_over_the_available_credit_needs_special_approval() -> None:
    result = _run(
        "check-order",
        str(EXAMPLES / "steady-distributor.json"),
        "--amount",
        "900000.00",
        "--as-of",
        "2026-11-22",
        "--order-id",
        "SO-9",
    )

    out = json.loads(result.output)
    assert (out["outcome"], out["order_id"]) == ("SPECIAL_APPROVAL", "SO-9")


def test_a_malformed_snapshot_names_the_field_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "customer_id": "C",
                "invoices": [{"invoice_id": "i", "issued_on": "2026-01-01", "due_on": "2026-02-01", "amount": "x"}],
            }
        )
    )

    result = _run("evaluate", str(bad))

    assert result.exit_code == 2
    assert f"{bad}: invoices[0].amount: not a decimal" in result.output


def test_an_unknown_signal_code_in_a_snapshot_file_says_which_code_was_meant(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"customer_id": "C", "signals": [{"code": "bank_acount_frozen",
                                                                 "observed_on": "2026-01-01"}]}))

    result = _run("evaluate", str(bad))

    assert result.exit_code == 2
    assert (f"{bad}: signals[0].code: unknown signal code 'bank_acount_frozen'; "
            "did you mean 'bank_account_frozen'?") in result.output


def test_invalid_json_gives_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"customer_id": "C",\n  oops}')

    result = _run("evaluate", str(bad))

    assert result.exit_code == 2 and f"{bad}:2:3: not valid JSON" in result.output


@pytest.mark.parametrize(("text", "why"), [('{"customer_id": "C", "x": 1' + "0" * 5000 + "}", "4300 digits"),
                                            ("[" * 30_000 + "]" * 30_000, "nested too deeply")])
def test_json_that_python_cannot_read_is_refused_in_one_line(tmp_path: Path, text: str, why: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(text)

    result = _run("evaluate", str(bad))

    assert result.exit_code == 2 and f"{bad}: not JSON we read" in result.output and why in result.output
    assert "Traceback" not in result.output


def test_a_snapshot_file_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    # Windows tools (Notepad, Excel's exports, PowerShell's Out-File) write UTF-8 with a BOM.
    snapshot = tmp_path / "bom.json"
    snapshot.write_bytes(b"\xef\xbb\xbf" + (EXAMPLES / "past-due.json").read_bytes())

    result = _run("evaluate", str(snapshot), "--as-of", "2026-11-22")

    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["customer_id"] == "C-PAST-DUE"


def test_bad_amount_and_date_are_refused() -> None:
    snapshot = str(EXAMPLES / "steady-distributor.json")

    assert _run("check-order", snapshot, "--amount", "lots").exit_code == 2
    assert _run("evaluate", snapshot, "--as-of", "22/11/2026").exit_code == 2


def test_schema_is_json_schema_for_every_kind() -> None:
    schema = json.loads(_run("schema").output)

    assert schema["discriminator"]["propertyName"] == "kind"
    assert {"scorecard", "warning_signs", "order_checks"} <= set(schema["discriminator"]["mapping"])


def test_the_cli_runs_as_a_module_too() -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-m", "policy_engine.cli", "lint", str(root / "rules")],
                            capture_output=True, text=True, timeout=120, cwd=root)
    assert result.returncode == 0, result.stderr
