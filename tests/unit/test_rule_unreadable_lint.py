"""A rule file that cannot be read does not hide the other files' problems: lint reports both in one run,
and draws no conclusion across files that the unread one could change."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policy_engine.api import load_policy
from policy_engine.cli import build_app
from policy_engine.rules.loader import MAX_FILE_BYTES
from policy_engine.rules.problems import PolicyLoadError

RulesCopy = Callable[..., Path]


def _lint(rules: Path) -> tuple[list[tuple[str, int, int, str]], list[str]]:
    """`credit-policy lint RULES`: each problem as (path under RULES, line, col, code), in the order printed,
    and the notes printed after them (before its closing count)."""
    result = CliRunner().invoke(build_app(), ["lint", str(rules)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    *lines, closing = result.output.splitlines()
    assert closing.startswith("refused: "), closing  # the count line lint ends with
    notes = [text for text in lines if text.startswith("note: ")]
    found = []
    for text in lines[:len(lines) - len(notes)]:
        path, line, col, code, _message = text.split(":", 4)
        found.append((path.removeprefix(str(rules)).lstrip("/"), int(line), int(col), code.strip()))
    return found, notes


ACROSS_FILES_WAIT = "note: not every rule file could be read"


def _save_in_gbk(path: Path) -> None:
    path.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))


def test_lint_reports_a_misspelt_key_in_the_same_run_as_a_link_that_leads_nowhere(rules_copy: RulesCopy) -> None:
    """Lint printed only `extra.yaml:1:1: unreadable: a link that leads nowhere`; the analyst fixed it, ran
    lint again, and only then learnt of the misspelt `interval_monts`."""
    rules = rules_copy(("reviews.yaml", "interval_months: 3", "interval_monts: 3"),
                       ("warnings.yaml", "when: {dbt_open_max: {gte: 91}}", "when: {dbt_open_mx: {gte: 91}}"))
    (rules / "extra.yaml").symlink_to("gone.yaml")
    (rules / "huge.yaml").write_text("# " + "x" * MAX_FILE_BYTES + "\n")
    line = (rules / "warnings.yaml").read_text().splitlines().index("    when: {dbt_open_mx: {gte: 91}}") + 1

    found, notes = _lint(rules)

    assert found == [
        ("extra.yaml", 1, 1, "unreadable"),
        ("huge.yaml", 1, 1, "unreadable"),
        ("reviews.yaml", 17, 5, "unknown_field"),  # interval_monts, the interval_months missing: one problem
        ("warnings.yaml", line, 12, "unknown_feature"),
    ]
    assert [note[:len(ACROSS_FILES_WAIT)] for note in notes] == [ACROSS_FILES_WAIT]  # said once, after them


def test_while_a_file_is_unreadable_lint_draws_no_conclusion_across_files(rules_copy: RulesCopy) -> None:
    """The unread limits.yaml is no missing `credit_limits` file, and its grades are no uncovered grades."""
    rules = rules_copy()
    _save_in_gbk(rules / "limits.yaml")

    found, notes = _lint(rules)

    assert found == [("limits.yaml", 6, 13, "unreadable")]
    assert [note[:len(ACROSS_FILES_WAIT)] for note in notes] == [ACROSS_FILES_WAIT]


def test_a_load_with_an_unreadable_file_is_refused_with_every_readable_files_problems(rules_copy: RulesCopy) -> None:
    """load_policy (the CLI, the batch and the service's compile child) refuses the set, as before, and
    names each problem of the files it could read: a YAML error, and a rule id used in two of them."""
    rules = rules_copy(("follow_ups.yaml", "  - id: follow.never_bought", "  - id: follow.no_purchase"),
                       ("orders.yaml", "kind: order_checks", "kind: order_checks\nkind: order_checks"))
    _save_in_gbk(rules / "grades.yaml")

    with pytest.raises(PolicyLoadError) as caught:
        load_policy(rules)

    assert [(Path(p.path).name, p.line, p.code) for p in caught.value.problems] == [
        ("follow_ups.yaml", 34, "duplicate_id"),
        ("grades.yaml", 1, "unreadable"),
        ("orders.yaml", 3, "yaml_error"),
    ]
    assert f"note: {caught.value.note}".startswith(ACROSS_FILES_WAIT)
    passed_on = pickle.loads(pickle.dumps(caught.value))  # as the compile child hands it to the service
    assert (passed_on.problems, passed_on.note) == (caught.value.problems, caught.value.note)
