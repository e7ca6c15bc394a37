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
    (lambda link: link.symlink_to("gone.yaml"), "a link that leads nowhere: No such file or directory"),
    (lambda link: link.symlink_to(link.name), "cannot be read: Too many levels of symbolic links"),
    (lambda link: link.symlink_to(link.parent.parent), "not a regular file"),
])
def test_a_rule_file_that_is_a_link_says_where_it_leads(
    rules_copy: Callable[..., Path], make: Callable[[Path], None], why: str,
) -> None:
    """A link whose target was moved away said "not a regular file", as if it led to a directory."""
    rules = rules_copy()
    make(rules / "extra.yaml")

    result = CliRunner().invoke(build_app(), ["lint", str(rules)])

    assert result.exit_code == 1
    assert f"{rules / 'extra.yaml'}:1:1: unreadable: {why}\n" in result.output
