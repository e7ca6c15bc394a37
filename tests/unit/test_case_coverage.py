"""`credit-policy test`'s report of rules no case makes fire: while some cases were not run, it does not
claim that no case makes a rule fire, since a case not run may well make it fire once its input is fixed."""

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


def _run(*args: str) -> object:
    return runner.invoke(build_app(), list(args))


def test_rules_the_cases_not_run_may_fire_are_not_shown_fired_rather_than_uncovered(rules_copy: RulesCopy) -> None:
    """A split `amount: 100,000.00` in the `steady` fixture kept its 9 cases from running, and the summary
    listed 11 rules as `uncovered: no case makes X fire` though those very cases fire them once the
    fixture is fixed: a risk officer would write new cases for nothing."""
    rules = rules_copy(("tests/fixtures.yaml", 'amount: "100000.00", payment_term_days', "amount: 100,000.00, "
                        "payment_term_days"))

    result = _run("test", str(rules))

    assert result.exit_code == 1
    not_run = based_on("steady", taking="invoices")  # the cases that take the split amount
    passed, hidden = len(shipped_cases()) - len(not_run), fired_only_by(frozenset(not_run))
    _assert_not_shown_fired(result.output, f"{len(not_run)} cases were not run", r"grade\.aaa \(.*grades\.yaml:\d+\)")
    assert (f"\n{passed} passed, {len(not_run)} failed ({len(not_run)} not run: problems above), {hidden} rules not "
            f"shown fired (coverage incomplete: {len(not_run)} cases not run), 1 problem in the case files"
            ) in result.output


def _assert_not_shown_fired(output: str, incomplete: str, rule: str) -> None:
    """No rule is claimed uncovered; `rule` is listed as not shown fired under `coverage incomplete: …`."""
    assert "no case makes" not in output and "rules uncovered" not in output
    assert f"coverage incomplete: {incomplete} (problems above)" in output
    assert re.search(rf"\nnot shown fired: {rule}\n", output)


def test_rules_no_case_run_fires_are_uncovered_when_every_case_ran(rules_copy: RulesCopy) -> None:
    rules = rules_copy()
    (rules / "tests" / "warnings.yaml").unlink()

    result = _run("test", str(rules))

    assert result.exit_code == 1
    assert "not shown fired" not in result.output and "coverage incomplete" not in result.output
    assert re.search(r"\nuncovered: no case makes warn\.payment_excuses \(.*\) fire\n", result.output)
    assert re.search(r"\n\d+ passed, 0 failed, \d+ rules uncovered\n", result.output)


def test_a_case_not_run_does_not_hide_that_every_rule_fired_in_the_others(rules_copy: RulesCopy) -> None:
    rules = rules_copy()
    (rules / "tests" / "q.yaml").write_text("cases:\n  - id: q\n    snapshot: {base: nowhere}\n"
                                           "    expect: {grade: AA}\n")

    result = _run("test", str(rules))

    assert result.exit_code == 1
    assert "not shown fired" not in result.output
    assert (f"\n{len(shipped_cases())} passed, 1 failed (1 not run: problems above), 0 rules uncovered, 1 problem"
            ) in result.output


@pytest.mark.parametrize(("old", "new"), [
    ('limit halved, urgent review today."', "limit halved, urgent review today."),  # a quote left open
    ("cases:\n", ""),  # a list at the top, not `cases:`
])
def test_rules_the_cases_of_an_unread_case_file_may_fire_are_not_shown_fired_rather_than_uncovered(
        rules_copy: RulesCopy, old: str, new: str) -> None:
    """A quote left open in tests/warnings.yaml kept its 7 cases from being read, and the summary listed 13
    rules as `uncovered: no case makes X fire` beside `22 passed, 0 failed`: those very cases fire them."""
    rules = rules_copy(("tests/warnings.yaml", old, new))

    result = _run("test", str(rules))

    assert result.exit_code == 1
    _assert_not_shown_fired(result.output, "1 case file was not read", r"warn\.payment_excuses \(.*\.yaml:\d+\)")
    assert re.search(r"\n\d+ passed, 0 failed, \d+ rules not shown fired \(coverage incomplete: 1 case file not "
                     r"read\), 1 problem in the case files", result.output)


def test_a_stray_key_beside_cases_that_ran_does_not_count_its_file_as_not_read(rules_copy: RulesCopy) -> None:
    rules = rules_copy(("tests/orders.yaml", "cases:\n", "notes: kept by the risk team\ncases:\n"))
    (rules / "tests" / "warnings.yaml").unlink()

    result = _run("test", str(rules))

    assert result.exit_code == 1
    assert 'unknown key "notes"' in result.output
    assert "not read" not in result.output and "not shown fired" not in result.output
    assert re.search(r"\nuncovered: no case makes warn\.payment_excuses \(.*\) fire\n", result.output)


def test_one_uncovered_rule_is_counted_in_the_singular(rules_copy: RulesCopy) -> None:
    """The summary said "1 rules uncovered"."""
    never = ("  - id: follow.never_contacted\n",
             "  - id: follow.not_in_any_case\n    title: {zh: 从未跟进, en: Never contacted (no case)}\n"
             "    source: \"000 自动提醒从未跟踪顾客\"\n    when: {days_since_last_contact: {gt: 99999}}\n"
             "  - id: follow.never_contacted\n")
    rules = rules_copy(("follow_ups.yaml", *never))

    result = _run("test", str(rules))

    assert result.exit_code == 1
    assert re.search(r"\n\d+ passed, 0 failed, 1 rule uncovered\n", result.output), result.output
