"""What each rule of a compiled policy is, for people: id, file kind, file:line, titles and source."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from policy_engine.api import DEFAULT_RULES_DIR, load_policy, load_policy_from_files
from policy_engine.cli import build_app
from policy_engine.rule_table import rule_rows

runner = CliRunner()


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_each_rule_says_its_file_kind_relative_file_line_titles_and_source() -> None:
    policy = load_policy()

    rows = {row.id: row for row in rule_rows(policy)}

    late = rows["warn.pays_late"]
    assert (late.kind, late.file, late.code) == ("warning_signs", "warnings.yaml", "PAYS_LATE")
    assert late.line == _line_of(DEFAULT_RULES_DIR / "warnings.yaml", "id: warn.pays_late")
    assert late.title_en and late.title_zh and late.source.startswith("002")
    assert rows["score.capacity.strong"].kind == "scorecard"
    assert rows["grade.aaa"].kind == "grade_bands"
    assert [row.id for row in rule_rows(policy)] == list(policy.rule_ids)


def test_a_rule_in_a_sub_folder_names_its_path_under_the_rules_directory(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES_DIR, rules, ignore=shutil.ignore_patterns("tests"))
    (rules / "extra").mkdir()
    (rules / "follow_ups.yaml").rename(rules / "extra" / "follow_ups.yaml")

    rows = {row.id: row for row in rule_rows(load_policy(rules))}

    assert rows["follow.never_bought"].file == "extra/follow_ups.yaml"
    assert rows["follow.never_bought"].kind == "follow_ups"


def test_a_policy_from_stored_files_has_the_same_table() -> None:
    policy = load_policy()

    again = load_policy_from_files(dict(policy.files))

    assert rule_rows(again) == rule_rows(policy)


def test_the_rules_command_lists_each_rule_with_kind_file_line_and_title() -> None:
    result = runner.invoke(build_app(), ["rules"])

    line = next(t for t in result.output.splitlines() if t.startswith("warn.pays_late "))
    where = f"warnings.yaml:{_line_of(DEFAULT_RULES_DIR / 'warnings.yaml', 'id: warn.pays_late')}"
    assert result.exit_code == 0 and line.split()[1:3] == ["warning_signs", where]
    assert "Pays later than the terms" in line and "延迟付款期限" in line


def test_the_rules_command_on_a_broken_directory_says_the_problems_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "warnings.yaml").write_text("rules:\n  - id: [unclosed\n")

    result = runner.invoke(build_app(), ["rules", str(tmp_path)])

    assert result.exit_code == 1 and "warnings.yaml:" in result.output
