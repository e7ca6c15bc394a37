"""A case whose expectation does not hold is reported at that expectation's line (a list's at its item), not at
the case's: in `credit-policy test`, in what `serve --rule-tests` refuses and in what `simulate` counts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.batch.simulate_summary import candidate_rule_tests
from policy_engine.api import load_policy
from policy_engine.casetests import load_tested_policy
from policy_engine.cli import build_app
from policy_engine.rules.problems import PolicyLoadError

RulesCopy = Callable[..., Path]
runner = CliRunner()

# The case starts on line 2; its rule that does not fire is on line 8, column 11, and its wrong grade on line 10.
CASE = """cases:
  - id: steady_is_not_aaa
    note: a steady customer, expected one grade too high
    snapshot: {base: steady}
    expect:
      fired:
        - limit.aa
        - warn.pays_late
      grade_class: A
      grade: AAA
"""


@pytest.fixture
def wrong_case(rules_copy: RulesCopy) -> Path:
    rules = rules_copy()
    (rules / "tests" / "wrong.yaml").write_text(CASE)
    return rules


def test_test_prints_each_failing_expectation_at_its_own_line(wrong_case: Path) -> None:
    result = runner.invoke(build_app(), ["test", str(wrong_case)])

    assert result.exit_code == 1
    assert f"FAIL steady_is_not_aaa  ({wrong_case}/tests/wrong.yaml:2)" in result.output
    assert "\n       line 8: expected rule warn.pays_late to fire; it saw " in result.output
    assert "\n       line 10: grade: expected AAA, got AA (score " in result.output
    assert result.output.index("line 8: ") < result.output.index("line 10: ")  # in the file's order, as read


def test_serve_rule_tests_refuses_at_each_failing_expectation(wrong_case: Path) -> None:
    with pytest.raises(PolicyLoadError) as refused:
        load_tested_policy(wrong_case)

    where = [(p.path, p.line, p.col, p.code) for p in refused.value.problems]
    path = str(wrong_case / "tests" / "wrong.yaml")
    assert where == [(path, 8, 11, "rule_test_failed"), (path, 10, 7, "rule_test_failed")]
    assert refused.value.problems[1].message.startswith("case steady_is_not_aaa: grade: expected AAA, got AA")


def test_simulate_lists_the_candidates_failing_expectations_at_their_lines(wrong_case: Path) -> None:
    policy = load_policy(wrong_case)
    try:
        tests = candidate_rule_tests(policy, wrong_case)
    finally:
        policy.close()

    assert tests is not None and not tests["pass"]
    path = wrong_case / "tests" / "wrong.yaml"
    assert [p.split(": rule_test_failed")[0] for p in tests["problems"]] == [f"{path}:8:11", f"{path}:10:7"]

