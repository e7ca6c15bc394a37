"""A rule file saved among the cases, a case file saved among the rules: one problem at it, saying
where the file belongs, not advice that fits only the wrong folder."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from policy_engine.cli import build_app

RulesCopy = Callable[..., Path]


def test_a_case_file_among_the_rule_files_says_to_move_it_into_tests(rules_copy: RulesCopy) -> None:
    """lint said `missing_kind: … write `kind: portfolio` at its top`: following it gave a worse error."""
    rules = rules_copy()
    shutil.copy(rules / "tests" / "reviews.yaml", rules / "review_cases.yaml")

    result = CliRunner().invoke(build_app(), ["lint", str(rules)])

    assert result.exit_code == 1
    assert f"{rules / 'review_cases.yaml'}:1:1: misplaced_file: " in result.output
    assert "tests/" in result.output
    assert "missing_kind" not in result.output


def test_a_rule_file_among_the_case_files_is_one_problem_saying_to_move_it_up(rules_copy: RulesCopy) -> None:
    """`test` gave one unknown_field per top-level key of the rule file and a missing `cases:`."""
    rules = rules_copy()
    shutil.copy(rules / "orders.yaml", rules / "tests" / "orders_rules.yaml")

    result = CliRunner().invoke(build_app(), ["test", str(rules)])

    assert result.exit_code == 1
    problems = [line for line in result.output.splitlines() if "orders_rules.yaml:" in line]
    assert len(problems) == 1
    assert f"{rules / 'tests' / 'orders_rules.yaml'}:1:1: misplaced_file: " in problems[0]
    assert "kind: order_checks" in problems[0]


def test_a_backup_copy_in_a_sub_folder_says_sub_folders_are_read_too(rules_copy: RulesCopy) -> None:
    """A copy kept in rules/archive/ was a duplicate_kind at the live file, and each of its rows was
    `shadowed` by itself: `"review.class_a" never wins: "review.class_a" comes first`."""
    rules = rules_copy()
    (rules / "archive").mkdir()
    shutil.copy(rules / "reviews.yaml", rules / "archive" / "reviews_old.yaml")

    result = CliRunner().invoke(build_app(), ["lint", str(rules)])

    assert result.exit_code == 1
    kinds = [line for line in result.output.splitlines() if ": duplicate_kind: " in line]
    assert len(kinds) == 1
    assert "archive/reviews_old.yaml" in kinds[0]
    assert "sub-folder" in kinds[0]
    assert ": shadowed: " not in result.output
