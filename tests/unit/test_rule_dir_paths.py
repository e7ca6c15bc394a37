"""Every command reading a rules directory says why a path it was given is none: a mistyped path
does not exist, a file named instead of its directory is not a directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policy_engine.cli import build_app

EXAMPLE = str(Path(__file__).resolve().parents[2] / "examples" / "new-customer.json")
COMMANDS = [
    ["lint", "{rules}"],
    ["lint", "--rules", "{rules}"],
    ["test", "{rules}"],
    ["evaluate", EXAMPLE, "--rules", "{rules}"],
    ["check-order", EXAMPLE, "--amount", "5000", "--rules", "{rules}"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]).replace(EXAMPLE, "SNAPSHOT"))
@pytest.mark.parametrize(("given", "why"), [("no/such/rules", "does not exist"), ("a-file.yaml", "not a directory"),
                                            ("a-file.yaml/rules", "does not exist")])
def test_a_rules_path_that_is_no_directory_says_whether_it_exists(
    tmp_path: Path, command: list[str], given: str, why: str,
) -> None:
    """`lint nonexist` said "not a directory", sending the author to look for a file that is not there."""
    (tmp_path / "a-file.yaml").write_text("kind: policy\n")
    rules = tmp_path / given

    result = CliRunner().invoke(build_app(), [arg.format(rules=rules) for arg in command])

    assert result.exit_code == 1
    assert f"{rules}:1:1: unreadable: {why}\n" in result.output


@pytest.mark.parametrize(("make", "why"), [
    (lambda link: link.symlink_to("gone.yaml"), "unreadable: a link that leads nowhere: No such file or directory"),
    (lambda link: link.symlink_to(link.name), "unreadable: cannot be read: Too many levels of symbolic links"),
    (lambda link: link.symlink_to(link.parent.parent), "is_a_directory: a link to a directory, not a rule file"),
])
def test_a_rule_file_that_is_a_link_says_where_it_leads(
    rules_copy: Callable[..., Path], make: Callable[[Path], None], why: str,
) -> None:
    """A link whose target was moved away said "not a regular file", as if it led to a directory."""
    rules = rules_copy()
    make(rules / "extra.yaml")

    result = CliRunner().invoke(build_app(), ["lint", str(rules)])

    assert result.exit_code == 1
    assert f"{rules / 'extra.yaml'}:1:1: {why}" in result.output


@pytest.mark.parametrize("command", ["lint", "test"])
def test_a_directory_named_like_a_rule_file_is_a_problem_at_it_not_a_missing_kind(
    rules_copy: Callable[..., Path], command: str,
) -> None:
    """`rules/policy.yaml/` as a directory was read as a folder of rules; lint then said "no rule file of
    kind `policy`; write one, such as policy.yaml", sending the author to a name that is already taken."""
    rules = rules_copy()
    (rules / "policy.yaml").unlink()
    (rules / "policy.yaml").mkdir()

    result = CliRunner().invoke(build_app(), [command, str(rules)])

    assert result.exit_code == 1
    assert f"{rules / 'policy.yaml'}:1:1: is_a_directory: " in result.output
    assert "missing_kind" not in result.output


def test_a_directory_in_tests_named_like_a_case_file_is_a_problem_not_skipped(
    rules_copy: Callable[..., Path],
) -> None:
    """Case files are read directly in tests/: a directory named `more.yaml` there held cases never run."""
    rules = rules_copy()
    (rules / "tests" / "more.yaml").mkdir()

    result = CliRunner().invoke(build_app(), ["test", str(rules)])

    assert result.exit_code == 1
    assert f"{rules / 'tests' / 'more.yaml'}:1:1: is_a_directory: " in result.output
