"""Lint's warnings (`likely_percent`) are said where risk staff look, not only by `credit-policy lint`: `test` and
`simulate` print them as `warning: path:line:col: …` on stderr without changing their exit codes (`test --strict`
fails on them, as it does on its own warnings); simulate, as the batch and the service's log, says the first 50 and
counts the rest."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.store import open_store
from policy_engine.api import said_warnings
from policy_engine.cli import build_app
from tests.many_rules import likely_percents_file

RulesCopy = Callable[..., Path]
runner = CliRunner()

# A redundant `lt: 50` (every trend under 0.5 is under 50) beside the shipped `lt: 0.5`: a likely percentage, and a
# rule set that decides as the shipped one does, so every shipped case still passes.
ORDER_DROP = ("warnings.yaml", "{order_trend_ratio: {lt: 0.5}}",
              "{all: [{order_trend_ratio: {lt: 0.5}}, {order_trend_ratio: {lt: 50}}]}")


def _at(path: Path, text: str) -> str:
    """`path:line:col` of the first `text` in the file."""
    lines = path.read_text().splitlines()
    line = next(i for i, t in enumerate(lines, 1) if text in t)
    return f"{path}:{line}:{lines[line - 1].index(text) + 1}"


@pytest.fixture
def warned_rules(rules_copy: RulesCopy) -> Path:
    return rules_copy(ORDER_DROP)


def test_test_prints_lints_warning_and_counts_it_without_failing_for_it(warned_rules: Path) -> None:
    rules = warned_rules  # every shipped case passes on it: only the warning can fail `--strict`

    plain = runner.invoke(build_app(), ["test", str(rules)])
    strict = runner.invoke(build_app(), ["test", "--strict", str(rules)])

    said = f"warning: {_at(rules / 'warnings.yaml', 'lt: 50')}: likely_percent: rule warn.order_drop: "
    assert said in plain.stderr and said in strict.stderr
    assert plain.stdout.rstrip().endswith("1 warning (above)")
    assert strict.stdout.rstrip().endswith("1 warning (above; --strict fails on warnings)")
    assert (plain.exit_code, strict.exit_code) == (0, 1)


def test_simulate_prints_the_candidates_warnings_and_keeps_them_in_its_json(
    warned_rules: Path, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'store.sqlite'}"
    open_store(db).close()  # an empty store: the candidate is still loaded, linted and its cases run

    table = runner.invoke(build_app(), ["simulate", "--rules", str(warned_rules), "--db", db])
    as_json = runner.invoke(build_app(), ["simulate", "--rules", str(warned_rules), "--db", db, "--json"])

    said = f"{_at(warned_rules / 'warnings.yaml', 'lt: 50')}: likely_percent: rule warn.order_drop: "
    assert table.exit_code == 0 and as_json.exit_code == 0
    assert f"warning: {said}" in table.stderr and f"warning: {said}" in as_json.stderr
    assert "the candidate's rule files have 1 lint warning (printed first, on stderr)" in table.stdout
    result = json.loads(as_json.stdout)
    assert [w.split(": rule")[0] for w in result["candidate"]["warnings"]] == [said.split(": rule")[0]]
    assert result["live"]["warnings"] == []


def test_simulate_of_rules_without_warnings_says_nothing_of_them(tmp_path: Path, rules_copy: RulesCopy) -> None:
    db = f"sqlite:///{tmp_path / 'store.sqlite'}"
    open_store(db).close()

    result = runner.invoke(build_app(), ["simulate", "--rules", str(rules_copy()), "--db", db])

    assert result.exit_code == 0 and "warning" not in result.output


def test_simulate_says_the_first_50_warnings_and_counts_the_rest_its_json_keeps_them_all(
    rules_copy: RulesCopy, tmp_path: Path
) -> None:
    rules = rules_copy()
    (rules / "zz_many.yaml").write_text(likely_percents_file(1, 60))  # one rule, 60 likely percentages
    db = f"sqlite:///{tmp_path / 'store.sqlite'}"
    open_store(db).close()

    table = runner.invoke(build_app(), ["simulate", "--rules", str(rules), "--db", db])
    as_json = runner.invoke(build_app(), ["simulate", "--rules", str(rules), "--db", db, "--json"])

    said = [line for line in table.stderr.splitlines() if line.startswith("warning: ")]
    assert table.exit_code == 0 and len(said) == 51
    assert all(": likely_percent: " in line for line in said[:50])
    assert said[50] == f"warning: … and 10 more (`credit-policy lint {rules}` lists them all)"
    assert "the candidate's rule files have 60 lint warnings (the first 50 printed first, on stderr)" in table.stdout
    assert len(json.loads(as_json.stdout)["candidate"]["warnings"]) == 60


@pytest.mark.parametrize("count", [0, 1, 50])
def test_50_warnings_or_fewer_are_said_whole(count: int) -> None:
    warnings = [f"rules/w.yaml:{i}:1: likely_percent: …" for i in range(count)]

    assert said_warnings(warnings, "rules") == warnings


def test_the_count_of_the_rest_is_exact_and_the_directory_quoted_for_the_shell() -> None:
    warnings = [f"w{i}" for i in range(200_051)]

    lines = said_warnings(warnings, "my rules")

    assert lines[:50] == warnings[:50]
    assert lines[50:] == ["… and 200,001 more (`credit-policy lint 'my rules'` lists them all)"]
