"""A rules directory holding no rule file (a ConfigMap that did not mount, a wrong `--rules` path to an
existing directory) is said once, at the directory, instead of one `missing_kind` per required kind,
each at a file that is not there."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policy_engine.api import load_policy
from policy_engine.cli import build_app
from policy_engine.rules.problems import CODES, PolicyLoadError

EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "new-customer.json")
COMMANDS = [
    ["lint", "{rules}"],
    ["test", "{rules}"],
    ["evaluate", EXAMPLE, "--rules", "{rules}"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_an_empty_rules_directory_is_one_no_rule_files_problem_at_the_directory(
    tmp_path: Path, command: list[str],
) -> None:
    rules = tmp_path / "mounted"
    rules.mkdir()

    result = CliRunner().invoke(build_app(), [arg.format(rules=rules) for arg in command])

    assert result.exit_code == 1
    assert f"{rules}:1:1: no_rule_files: " in result.output
    assert "missing_kind" not in result.output


def test_a_directory_with_only_other_files_and_case_files_has_no_rule_files(rules_copy: Callable[..., Path]) -> None:
    rules = rules_copy()
    for path in rules.glob("*.yaml"):
        path.unlink()
    (rules / "README.md").write_text("notes\n")

    with pytest.raises(PolicyLoadError) as raised:
        load_policy(rules)

    assert [(p.path, p.line, p.code) for p in raised.value.problems] == [(str(rules), 1, "no_rule_files")]
    assert "rules/" in raised.value.problems[0].message
    assert "no_rule_files" in CODES


def test_a_directory_with_some_rule_files_still_names_each_missing_kind(rules_copy: Callable[..., Path]) -> None:
    rules = rules_copy()
    (rules / "reviews.yaml").unlink()
    shutil.rmtree(rules / "tests")

    with pytest.raises(PolicyLoadError) as raised:
        load_policy(rules)

    assert [(p.path, p.code) for p in raised.value.problems] == [(str(rules / "reviews.yaml"), "missing_kind")]
