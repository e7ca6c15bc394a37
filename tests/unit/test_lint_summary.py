"""`credit-policy lint` closes with one count line, refused or not: risk staff linting a directory of several
files see at a glance whether it was clean and how much is wrong (exit codes as before)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from policy_engine.cli import build_app
from policy_engine.rules.emit import policy_version
from policy_engine.rules.loader import read_rule_files

runner = CliRunner()


def version_of(rules: Path) -> str:
    """The policy_version `status --rules DIR` waits for, and the service names a refusal of these files by."""
    return policy_version(read_rule_files(rules))


def test_a_refused_rule_set_ends_with_its_problems_counted_by_file(rules_copy: Callable[..., Path]) -> None:
    rules = rules_copy(("limits.yaml", "floor: 80000", "flor: 80000"),
                       ("reviews.yaml", "interval_months: 6", "interval_months: -6"),
                       ("warnings.yaml", "when: {dbt_open_max: {gte: 91}}", "when: {dbt_open_mx: {gte: 91}}"))

    result = runner.invoke(build_app(), ["lint", str(rules)])

    lines = result.stderr.splitlines()
    assert result.exit_code == 1
    assert [line.split(": ")[1] for line in lines[:-1]] == ["unknown_field", "invalid_value", "unknown_feature"]
    assert lines[-1] == f"refused: 3 problems in 3 files (above), policy_version {version_of(rules)}"
    assert result.stdout == ""


def test_two_problems_in_one_file_count_one_file(rules_copy: Callable[..., Path]) -> None:
    rules = rules_copy(("limits.yaml", "floor: 80000", "flor: 80000"), ("limits.yaml", "floor: 50000", "flor: 50000"))

    result = runner.invoke(build_app(), ["lint", str(rules)])

    assert result.exit_code == 1
    last = result.stderr.splitlines()[-1]
    assert last == f"refused: 2 problems in 1 file (above), policy_version {version_of(rules)}"


def test_a_refusal_names_the_version_the_service_names_for_the_same_files(rules_copy: Callable[..., Path]) -> None:
    """Before, lint printed no version for a refused folder, so it could not be matched with `status`'s last refused."""
    from policy_engine.api import load_policy
    from policy_engine.rules.problems import PolicyLoadError

    rules = rules_copy(("limits.yaml", "floor: 80000", "flor: 80000"))
    try:
        load_policy(rules).close()
    except PolicyLoadError as exc:  # what the compile child hands the service (RefusedReload.version)
        served = exc.version

    result = runner.invoke(build_app(), ["lint", str(rules)])

    assert re.fullmatch(r"[0-9a-f]{16}", served) and served == version_of(rules)
    assert result.stderr.splitlines()[-1].endswith(f"(above), policy_version {served}")


def test_a_problem_in_no_file_is_counted_without_files(tmp_path: Path) -> None:
    result = runner.invoke(build_app(), ["lint", str(tmp_path / "missing")])

    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "refused: 1 problem (above)"  # no files read: no version is theirs


def test_a_clean_run_keeps_its_ok_line_alone() -> None:
    result = runner.invoke(build_app(), ["lint"])

    assert result.exit_code == 0
    assert re.fullmatch(r"ok: \d+ rules in \d+ files, policy_version [0-9a-f]{16}\n", result.stdout)
    assert result.stderr == ""
