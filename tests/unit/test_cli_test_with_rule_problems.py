"""`credit-policy test` on rules that do not lint says that no case was run, and why."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from policy_engine.cli import build_app


def test_test_on_rules_with_problems_says_no_case_was_run(rules_copy: Callable[..., Path]) -> None:
    """It printed the rule files' problems and nothing else: no summary line, as if the cases were forgotten."""
    rules = rules_copy(("reviews.yaml", "interval_months: 3", "interval_months: 2"))

    result = CliRunner().invoke(build_app(), ["test", str(rules)])

    assert result.exit_code == 1
    assert ": title_number_mismatch: " in result.output
    assert result.output.splitlines()[-1].startswith("no case was run: the rule files have 2 problems (above)")


def test_test_on_refused_rules_names_their_policy_version_as_lint_does(rules_copy: Callable[..., Path]) -> None:
    """Before, `test` named no version for a refused folder while lint and the service's refusal do."""
    from policy_engine.rules.emit import policy_version
    from policy_engine.rules.loader import read_rule_files

    rules = rules_copy(("limits.yaml", "floor: 80000", "flor: 80000"))

    result = CliRunner().invoke(build_app(), ["test", str(rules)])
    lint = CliRunner().invoke(build_app(), ["lint", str(rules)])

    version = policy_version(read_rule_files(rules))
    assert result.exit_code == 1
    assert f"(above), policy_version {version}; fix them" in result.output.splitlines()[-1]
    assert lint.stderr.splitlines()[-1].endswith(f", policy_version {version}")
