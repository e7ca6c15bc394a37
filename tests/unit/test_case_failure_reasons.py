"""`credit-policy test`: a failing expectation says which rule decided the value, and a rule expected to fire
(or not) says what its condition saw, so risk staff can tell a wrong case from a wrong rule."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policy_engine.cli import build_app

RulesCopy = Callable[..., Path]
runner = CliRunner()

CASE = "cases:\n  - id: q\n    snapshot: {base: steady}\n    expect: {%s}\n"


@pytest.mark.parametrize(
    ("expectation", "said"),
    [
        # `credit_limit: expected 999000.00, got 350000.00` said nothing of which row of limits.yaml decided.
        ('credit_limit: "999000.00"',
         r"credit_limit: expected 999000.00, got 350000.00 \(set by limit\.aa at \S*limits\.yaml:\d+\)"),
        # The grade's failure showed neither the score nor the band it fell in.
        ("grade: AAA", r"grade: expected AAA, got AA \(score \d+\.\d: band grade\.aa at \S*grades\.yaml:\d+\)"),
        ("next_review_on: 2027-01-01",
         r"next_review_on: expected 2027-01-01, got 2027-02-01 \(set by review\.class_a at \S*reviews\.yaml:\d+\)"),
        # `expected rule warn.pays_late to fire` left staff to guess whether the case or the rule was wrong.
        ("fired: [warn.pays_late]",
         r"expected rule warn\.pays_late to fire; it saw dbt_open_max 0, dbt_paid_weighted 0"),
        # In a first-hit table the expected row may match and still lose to an earlier one.
        ("fired: [limit.a]",
         r"expected rule limit\.a to fire; limit\.aa fired in its place \(first hit\); it saw grade AA"),
        ("not_fired: [limit.aa]", r"expected rule limit\.aa not to fire; it saw grade AA"),
        ("not_actions: [CREDIT_REVIEW]", r"did not expect action CREDIT_REVIEW \(asked by review\.class_a\)"),
        # `got ['CREDIT_REVIEW']` was Python's list, not how a case writes codes.
        ("actions: [HOLD_ORDERS]", r"expected action HOLD_ORDERS; got [A-Z_]+(, [A-Z_]+)*\n"),
    ],
)
def test_a_failing_expectation_says_which_rule_decided_and_what_it_saw(
    rules_copy: RulesCopy, expectation: str, said: str
) -> None:
    """Each failure line names the rule behind the value (and where it is written) or what its condition saw."""
    rules = rules_copy()
    (rules / "tests" / "q.yaml").write_text(CASE % expectation)

    result = runner.invoke(build_app(), ["test", str(rules)])

    assert result.exit_code == 1 and "Traceback" not in result.output
    assert re.search(said, result.output)
