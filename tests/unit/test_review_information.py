"""What to gather at a credit review, by customer size (002 收集和分类管理客户资信): the rows of
rules/review_information.yaml, chosen by durable_rules, on the CREDIT_REVIEW action; and lint of the file."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from policy_engine.api import load_policy
from policy_engine.domain.models import CustomerSnapshot
from policy_engine.rules.compiler import lint
from policy_engine.rules.loader import read_rule_files
from policy_engine.rules.problems import Problem
from policy_engine.rules.schema import json_schema

AS_OF = date(2026, 11, 22)
RulesCopy = Callable[..., Path]
FILE = "review_information.yaml"
COMMON = ["sales staff's own information", "trading experience with the customer"]
LISTS = {
    "small": ["trade credit certificate", *COMMON],
    "medium": ["standard credit report", "bank credit certificate", *COMMON],
    "large": ["comprehensive credit report", "bank credit certificate", *COMMON],
}


def _problems(rules: Path) -> list[Problem]:
    return lint(read_rule_files(rules), source_dir=str(rules))


def _line_of(path: Path, needle: str, nth: int = 0) -> int:
    return [i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line][nth]


def _review(decision):  # type: ignore[no-untyped-def]
    return next(a for a in decision.actions if a.code == "CREDIT_REVIEW")


@pytest.mark.parametrize("size", ["small", "medium", "large"])
def test_the_credit_review_lists_what_to_gather_for_the_customers_size(
    policy, example: Callable[[str], CustomerSnapshot], size: str  # type: ignore[no-untyped-def]
) -> None:
    snapshot = example("steady-distributor").model_copy(update={"size": size})

    decision = policy.evaluate(snapshot, as_of=AS_OF, explain=True)

    review = _review(decision)
    assert review.gather == LISTS[size]
    assert review.message.startswith("Credit review every 6 months; gather: ")
    assert all(item in review.message for item in LISTS[size])
    assert [t.rule_id for t in decision.trace if t.fired and t.rule_id.startswith("gather.")] == [f"gather.{size}"]
    assert not [r for r in decision.reasons if r.rule_id.startswith("gather.")]  # the action says it


def test_an_urgent_review_lists_what_to_gather_too(policy, example) -> None:  # type: ignore[no-untyped-def]
    decision = policy.evaluate(example("bank-distress"), as_of=AS_OF)

    review = _review(decision)
    assert review.severity == "urgent"
    assert review.gather == LISTS["large"]
    assert review.message.startswith("Urgent credit review: ")
    assert "; gather: comprehensive credit report" in review.message


def test_a_rules_directory_without_the_file_loads_and_its_review_lists_nothing(
    rules_copy: RulesCopy, example: Callable[[str], CustomerSnapshot]
) -> None:
    rules = rules_copy()
    (rules / FILE).unlink()

    assert _problems(rules) == []
    policy = load_policy(rules)
    review = _review(policy.evaluate(example("steady-distributor"), as_of=AS_OF))
    policy.close()
    assert (review.gather, review.message) == ([], "Credit review every 6 months")


def test_a_size_that_does_not_exist_is_an_invalid_value_at_its_line(rules_copy: RulesCopy) -> None:
    rules = rules_copy((FILE, "when: {size: medium}", "when: {size: mid}"))

    problems = _problems(rules)

    assert [(p.code, p.line) for p in problems] == [("invalid_value", _line_of(rules / FILE, "{size: mid}"))]
    assert "medium" in problems[0].message


def test_an_empty_list_is_a_problem_at_its_line(rules_copy: RulesCopy) -> None:
    rules = rules_copy((FILE, "    gather:\n      - {zh: 商业信用证明书, en: trade credit certificate}\n"
                              "      - {zh: 业务人员的内部情报, en: sales staff's own information}\n"
                              "      - {zh: 与客户的交易经验, en: trading experience with the customer}\n",
                        "    gather: []\n"))

    problems = _problems(rules)

    assert [(p.code, p.line) for p in problems] == [("invalid_value", _line_of(rules / FILE, "gather: []"))]
    assert "rule gather.small: gather" in problems[0].message


def test_an_item_written_twice_in_a_row_is_a_duplicate_item_at_the_second(rules_copy: RulesCopy) -> None:
    rules = rules_copy((FILE, "      - {zh: 标准信用报告, en: standard credit report}\n",
                        "      - {zh: 标准信用报告, en: standard credit report}\n"
                        "      - {zh: 标准信用报告(复), en: Standard Credit Report}\n"))

    problems = _problems(rules)

    second = _line_of(rules / FILE, "Standard Credit Report")
    assert [(p.code, p.path, p.line) for p in problems] == [("duplicate_item", f"{rules}/{FILE}", second)]
    assert "rule gather.medium" in problems[0].message


def test_a_row_another_always_beats_is_shadowed(rules_copy: RulesCopy) -> None:
    rules = rules_copy((FILE, "when: {size: small}", "when: {size: {in: [small, medium]}}"))

    assert [(p.code, p.line) for p in _problems(rules)] == [("shadowed", _line_of(rules / FILE, "{size: medium}"))]


def test_the_json_schema_describes_the_kind() -> None:
    schema = json_schema()

    assert "review_information" in schema["discriminator"]["mapping"]


CASE = "cases:\n  - id: q\n    snapshot: {base: steady}\n    expect:\n      gather: %s\n"


def _test_run(rules: Path, expectation: str) -> str:
    from typer.testing import CliRunner

    from policy_engine.cli import build_app

    (rules / "tests" / "q.yaml").write_text(CASE % expectation)
    result = CliRunner().invoke(build_app(), ["test", str(rules)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    return str(result.output)


def test_a_case_pins_the_list_of_its_customers_review_and_fails_on_another(rules_copy: RulesCopy) -> None:
    out = _test_run(rules_copy(), "[trade credit certificate, sales staff's own information]")

    assert "FAIL q" in out
    assert "gather: expected ['trade credit certificate', \"sales staff's own information\"], got " \
           "['comprehensive credit report', " in out


@pytest.mark.parametrize(
    ("expectation", "code", "message"),
    [
        ("trade credit certificate", "type_mismatch", "expect.gather: a list of items, got 'trade credit certificate'"),
        ("[bank certificate]", "invalid_value",
         "expect.gather: no item 'bank certificate' — did you mean \"bank credit certificate\"?"),
    ],
)
def test_a_gather_expectation_no_review_can_meet_is_a_problem_at_its_line(
    rules_copy: RulesCopy, expectation: str, code: str, message: str
) -> None:
    out = _test_run(rules_copy(), expectation)

    assert re.search(rf"q\.yaml:5:\d+: {code}: {re.escape(message)}", out)


def test_an_empty_gather_list_is_a_check_that_fails_when_the_review_gathers_something(rules_copy: RulesCopy) -> None:
    """`gather: []` was `checks nothing: every list in expect is empty`, though it pins that the review
    gathers nothing: a case for a size no row lists could not be written."""
    out = _test_run(rules_copy(), "[]")

    assert "checks nothing" not in out and "not run" not in out
    assert "FAIL q" in out and "gather: expected [], got ['comprehensive credit report', " in out


def test_an_empty_gather_list_passes_for_a_size_no_row_lists(rules_copy: RulesCopy) -> None:
    rules = rules_copy()
    text = (rules / FILE).read_text()
    (rules / FILE).write_text(text[:text.index("  - id: gather.large")])  # the last row; steady is a large customer
    for case_file in (rules / "tests").glob("*.yaml"):  # the shipped cases pin the large row's list
        if case_file.name != "fixtures.yaml":
            case_file.unlink()

    out = _test_run(rules, "[]")

    assert f"ok   q  ({rules}/tests/q.yaml:2)" in out and "checks nothing" not in out
