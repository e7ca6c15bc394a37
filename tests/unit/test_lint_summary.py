"""`credit-policy lint` closes with one count line, refused or not: risk staff linting a directory of several
files see at a glance whether it was clean and how much is wrong (exit codes as before)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from policy_engine.cli import build_app

runner = CliRunner()


def test_a_refused_rule_set_ends_with_its_problems_counted_by_file(rules_copy: Callable[..., Path]) -> None:
    rules = rules_copy(("limits.yaml", "floor: 80000", "flor: 80000"),
                       ("reviews.yaml", "interval_months: 6", "interval_months: -6"),
                       ("warnings.yaml", "when: {dbt_open_max: {gte: 91}}", "when: {dbt_open_mx: {gte: 91}}"))

    result = runner.invoke(build_app(), ["lint", str(rules)])

    lines = result.stderr.splitlines()
    assert result.exit_code == 1
    assert [line.split(": ")[1] for line in lines[:-1]] == ["unknown_field", "invalid_value", "unknown_feature"]
    assert lines[-1] == "refused: 3 problems in 3 files (above)"
    assert result.stdout == ""


def test_two_problems_in_one_file_count_one_file(rules_copy: Callable[..., Path]) -> None:
    rules = rules_copy(("limits.yaml", "floor: 80000", "flor: 80000"), ("limits.yaml", "floor: 50000", "flor: 50000"))

    result = runner.invoke(build_app(), ["lint", str(rules)])

    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "refused: 2 problems in 1 file (above)"


def test_a_problem_in_no_file_is_counted_without_files(tmp_path: Path) -> None:
    result = runner.invoke(build_app(), ["lint", str(tmp_path / "missing")])

    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "refused: 1 problem (above)"


def test_a_clean_run_keeps_its_ok_line_alone() -> None:
    result = runner.invoke(build_app(), ["lint"])

    assert result.exit_code == 0
    assert re.fullmatch(r"ok: \d+ rules in \d+ files, policy_version [0-9a-f]{16}\n", result.stdout)
    assert result.stderr == ""
