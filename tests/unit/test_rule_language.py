"""Lint: every problem of a rules directory at once, each with a stable code and file:line:col."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from policy_engine.api import load_policy
from policy_engine.rules.compiler import lint
from policy_engine.rules.emit import policy_version
from policy_engine.rules.loader import MAX_FILE_BYTES, MAX_FILES, MAX_TOTAL_BYTES, parse_document, read_rule_files
from policy_engine.rules.problems import CODES, PolicyLoadError, Problem

RulesCopy = Callable[..., Path]


def _problems(rules: Path) -> list[Problem]:
    return lint(read_rule_files(rules), source_dir=str(rules))


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_the_shipped_pack_lints_clean(rules_copy: RulesCopy) -> None:
    assert _problems(rules_copy()) == []


def test_unknown_feature_is_located_and_suggests_the_right_name(rules_copy: RulesCopy) -> None:
    rules = rules_copy(("warnings.yaml", "when: {dbt_open_max: {gte: 91}}", "when: {dbt_open_mx: {gte: 91}}"))

    [problem] = _problems(rules)

    assert problem.code == "unknown_feature"
    assert problem.path.endswith("warnings.yaml")
    assert problem.line == _line_of(rules / "warnings.yaml", "dbt_open_mx")
    assert problem.col == 12
    assert 'did you mean "dbt_open_max"' in problem.message


def test_every_problem_is_reported_at_once(rules_copy: RulesCopy) -> None:
    rules = rules_copy(
        ("warnings.yaml", "when: {due_date_changes_90d: {gte: 2}}", 'when: {due_date_changes_90d: {gte: "2"}}'),
        ("warnings.yaml", "id: warn.no_orders", "id: warn.supplier_switch"),
        ("orders.yaml", "outcome: HOLD", "outcome: HOLDD"),
        ("scorecard.yaml", "when: {current_ratio: {between: [1.5, 2]}}", "when: {current_ratio: {gte: 2.5}}"),
        ("grades.yaml", "between: [74, 82]", "between: [75, 82]"),
        ("grades.yaml", "between: [82, 90]", "between: [80, 90]"),
        ("limits.yaml", "    validity_months: 6", "    validity_month: 6"),
    )

    codes = sorted(p.code for p in _problems(rules))

    assert codes == sorted(
        [
            "type_mismatch",
            "duplicate_id",
            "invalid_value",
            "shadowed",
            "band_gap",
            "band_overlap",
            "unknown_field",  # validity_month: one problem, naming the validity_months it stands for
        ]
    )


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [
        ("grades.yaml", "when: {score: {gte: 90}}", 'when: {score: {gte: "90"}}'),
        ("grades.yaml", "when: {score: {between: [82, 90]}}", 'when: {score: {between: [82, "90"]}}'),
        ("scorecard.yaml", "when: {current_ratio: {gte: 2}}", 'when: {current_ratio: {gte: "2"}}'),
        ("collection.yaml", "when: {invoice_payment_term_days: {lte: 30}}",
         'when: {invoice_payment_term_days: {lte: "30"}}'),
    ],
)
def test_a_quoted_threshold_is_one_problem_not_a_cascade(rules_copy: RulesCopy, name: str, old: str, new: str) -> None:
    """The type check left the quoted comparison out, so the rule matched everything: in a first-hit
    table it "shadowed" every later row, and in the grade bands it also made a band error and a gap,
    ten problems where there was one."""
    rules = rules_copy((name, old, new))

    problems = _problems(rules)

    assert [(p.code, p.line) for p in problems] == [("type_mismatch", _line_of(rules / name, new))]
    assert "without them" in problems[0].message


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        ("grades.yaml", "when: {score: {gte: 90}}", "when: {score: {gte: .nan}}", '"score": .nan is not a number'),
        ("grades.yaml", "when: {score: {between: [82, 90]}}", "when: {score: {between: [82, .nan]}}",
         '"score": .nan is not a number'),
        ("scorecard.yaml", "when: {current_ratio: {gte: 2}}", "when: {current_ratio: {gte: .NaN}}",
         '"current_ratio": .nan is not a number'),
        ("warnings.yaml", "when: {dbt_open_max: {gte: 91}}", "when: {dbt_open_max: {in: [91, -.inf]}}",
         '"dbt_open_max": -.inf is not a finite number'),
        ("scorecard.yaml", "when: {current_ratio: {gte: 2}}", "when: {current_ratio: {gte: .inf}}",
         '"current_ratio": .inf is not a finite number'),
    ],
)
def test_a_nan_or_infinite_threshold_is_one_problem_at_its_line(
    rules_copy: RulesCopy, name: str, old: str, new: str, message: str
) -> None:
    """.nan passed the type check (a float) and compares false with everything: a band at .nan
    gave eight band_overlap problems elsewhere and none at its line, and in a scorecard row it
    linted clean. .inf ended in engine_rejected at the directory, line 1."""
    rules = rules_copy((name, old, new))

    problems = _problems(rules)

    [(code, line, said)] = [(p.code, p.line, p.message) for p in problems]
    assert (code, line) == ("invalid_value", _line_of(rules / name, new))
    assert said.startswith("rule ") and said.partition(": ")[2] == message


def test_a_broken_threshold_hides_no_genuine_overlap_or_shadowed_row_of_the_others(rules_copy: RulesCopy) -> None:
    rules = rules_copy(
        ("grades.yaml", "when: {score: {gte: 90}}", 'when: {score: {gte: "90"}}'),
        ("grades.yaml", "between: [82, 90]", "between: [80, 90]"),  # overlaps grade.a [74, 82)
        ("scorecard.yaml", "when: {current_ratio: {gte: 2}}", 'when: {current_ratio: {gte: "2"}}'),
        ("scorecard.yaml", "{current_ratio: {between: [1.2, 1.5]}}", "{current_ratio: {between: [1.6, 1.9]}}"),
    )

    found = sorted((p.path.rpartition("/")[2], p.code, *p.message.split(":")[:2]) for p in _problems(rules))

    assert found == [
        ("grades.yaml", "band_overlap", "rule grade.aa", ' "grade.aa" and "grade.a" both cover score [80, 82)'),
        ("grades.yaml", "type_mismatch", "rule grade.aaa",
         ' "score" is a number; got \'90\' (a text because of the quotes'),
        ("scorecard.yaml", "shadowed", "rule score.capacity.adequate", " never wins"),
        ("scorecard.yaml", "type_mismatch", "rule score.capacity.strong",
         ' "current_ratio" is a number; got \'2\' (a text because of the quotes'),
    ]


def test_a_file_with_a_schema_problem_still_has_its_conditions_checked_in_the_same_run(rules_copy: RulesCopy) -> None:
    # Before, a file that failed its schema had its conditions skipped: a second lint run found them.
    rules = rules_copy(
        ("warnings.yaml", "effects: {downgrade: 2, urgent_review: true, limit_factor: 0.5}",
         "effects: {downgrade: 2, urgent_review: yes, limit_factor: 0.5}"),
        ("warnings.yaml", "when: {dbt_open_max: {gte: 91}}", "when: {dbt_open_max: {greater_than: 91}}"),
        ("warnings.yaml", "when: {due_date_changes_90d: {gte: 2}}", "when: {due_date_changes_90d: {at_least: 2}}"),
    )
    path = rules / "warnings.yaml"

    found = sorted((p.line, p.code, p.message) for p in _problems(rules))

    assert found == [
        (_line_of(path, "greater_than"), "bad_operator",
         'rule warn.seriously_overdue: '
         'unknown operator "greater_than"; expected one of eq, ne, lt, lte, gt, gte, between, in, not_in, exists'
         ' — did you mean "gt"?'),
        (_line_of(path, "urgent_review: yes"), "type_mismatch",
         "rule warn.seriously_overdue: effects.urgent_review: \"urgent_review\" is true/false; got 'yes' "
         "(write true, without quotes: YAML reads only true and false as yes or no)"),
        (_line_of(path, "at_least: 2"), "bad_operator",
         'rule warn.due_dates_changed: '
         '"at_least" cannot compare "due_date_changes_90d", which is a whole number; it takes eq, ne, lt, lte, gt, '
         'gte, between, in, not_in, exists — did you mean "gte"?'),
    ]


def test_yaml_syntax_error_has_a_position(rules_copy: RulesCopy) -> None:
    rules = rules_copy(("reviews.yaml", "hit: first", "hit: [first"))

    [problem] = _problems(rules)

    assert problem.code == "yaml_error" and problem.path.endswith("reviews.yaml") and problem.line > 1


def test_unknown_field_suggests_the_known_one(rules_copy: RulesCopy) -> None:
    rules = rules_copy(("follow_ups.yaml", "  - id: follow.no_contact\n", "  - id: follow.no_contact\n    tittle: x\n"))

    [problem] = _problems(rules)

    assert (problem.code, problem.line) == ("unknown_field", _line_of(rules / "follow_ups.yaml", "tittle"))
    assert 'did you mean "title"' in problem.message


def test_a_condition_that_can_never_hold_is_reported(rules_copy: RulesCopy) -> None:
    rules = rules_copy(
        (
            "warnings.yaml",
            "when: {due_date_changes_90d: {gte: 2}}",
            "when: {all: [{due_date_changes_90d: {gte: 5}}, {due_date_changes_90d: {lt: 3}}]}",
        )
    )

    assert [p.code for p in _problems(rules)] == ["never_fires"]


def test_a_field_outside_the_kinds_scope_is_refused(rules_copy: RulesCopy) -> None:
    rules = rules_copy(("warnings.yaml", "when: {due_date_changes_90d: {gte: 2}}", "when: {grade: C}"))

    assert [p.code for p in _problems(rules)] == ["field_not_available"]


def test_a_worse_grade_with_a_larger_limit_breaks_the_invariant(rules_copy: RulesCopy) -> None:
    rules = rules_copy(
        (
            "limits.yaml",
            "{months_of_purchases: 1.5, share_of_net_worth: 0.1, floor: 15000}",
            "{months_of_purchases: 2.5, share_of_net_worth: 0.1, floor: 15000}",
        )
    )

    [problem] = _problems(rules)

    assert problem.code == "not_monotonic" and "grade B" in problem.message


def test_a_worse_class_with_a_longer_review_interval_breaks_the_invariant(rules_copy: RulesCopy) -> None:
    rules = rules_copy(("reviews.yaml", "interval_months: 1", "interval_months: 4"),
                       ("reviews.yaml", "{zh: C类每月, en: Class C every month}",
                        "{zh: C类每四个月, en: Class C every four months}"))  # a title left saying one is refused too

    assert {p.code for p in _problems(rules)} == {"not_monotonic"}


def test_a_grade_without_a_limit_row_is_reported(rules_copy: RulesCopy) -> None:
    rules = rules_copy(("limits.yaml", "when: {grade: CC}", "when: {grade: C}"))

    assert sorted(p.code for p in _problems(rules)) == ["grade_uncovered", "shadowed"]


def test_weights_must_add_up_to_one(rules_copy: RulesCopy) -> None:
    rules = rules_copy(("scorecard.yaml", "weight: 0.35", "weight: 0.45"))

    assert [p.code for p in _problems(rules)] == ["weights_sum"]


def test_a_missing_kind_is_reported(rules_copy: RulesCopy) -> None:
    rules = rules_copy()
    (rules / "reviews.yaml").unlink()

    assert [p.code for p in _problems(rules)] == ["missing_kind"]


def test_yaml_tags_are_data_never_objects(rules_copy: RulesCopy) -> None:
    rules = rules_copy(
        ("policy.yaml", "name: handbook-default", "name: !!python/object/apply:os.system ['echo pwned']")
    )

    assert [p.code for p in _problems(rules)] in (["type_mismatch"], ["yaml_error"])


@pytest.mark.parametrize("value", ["!!python/object/apply:os.system 'echo pwned'",
                                   "!!python/object:collections.OrderedDict {a: 1}", "!custom x"])
def test_a_tag_outside_yamls_standard_types_is_refused_at_its_line(rules_copy: RulesCopy, value: str) -> None:
    """`!!python/…` tags (never constructed) used to pass lint silently while `!custom` was refused."""
    rules = rules_copy(("reviews.yaml", "title: ", f"title: {value} # "))

    problems = _problems(rules)

    assert problems and problems[0].code == "yaml_error" and "is not allowed in rule files" in problems[0].message
    assert problems[0].path.endswith("reviews.yaml") and problems[0].line > 1


def test_yaml_merge_keys_share_terms_between_rules(rules_copy: RulesCopy) -> None:
    """`<<: *anchor` used to end lint, test and serve in a KeyError traceback."""
    b = "limit: {months_of_purchases: 2, share_of_net_worth: 0.12, floor: 20000}"
    anchored = "limit: &shared_b {months_of_purchases: 2, share_of_net_worth: 0.12, floor: 20000}"
    rules = rules_copy(("limits.yaml", b, anchored),
                       ("limits.yaml", "limit: {months_of_purchases: 1.5, share_of_net_worth: 0.1, floor: 15000}",
                        "limit: {<<: *shared_b, months_of_purchases: 1.5, floor: 15000}"))

    assert _problems(rules) == []
    doc, _ = parse_document("limits.yaml", (rules / "limits.yaml").read_text())
    merged = next(r["limit"] for r in doc.data["rows"] if r["limit"].get("floor") == 15000)  # type: ignore[union-attr]
    assert merged == {"months_of_purchases": 1.5, "floor": 15000, "share_of_net_worth": 0.12}


def test_too_many_rule_files_are_refused_before_any_is_read(
    rules_copy: RulesCopy, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = rules_copy()
    shipped = len(list(rules.glob("*.yaml")))
    (rules / "extra").mkdir()
    for i in range(MAX_FILES):
        (rules / "extra" / f"{i:03}.yaml").write_text("x: 1\n")
    (rules / "tests" / "more.yaml").write_text("cases: []\n")  # rule tests do not count
    opened: list[Path] = []
    real_open = Path.open

    def open_(self: Path, *args: Any, **kwargs: Any) -> Any:  # read_text and the loader's bounded read open here
        if self.is_relative_to(rules):
            opened.append(self)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_)

    with pytest.raises(PolicyLoadError) as caught:
        read_rule_files(rules)

    assert [(p.code, p.message) for p in caught.value.problems] == [
        ("unreadable", f"{MAX_FILES + shipped} rule files; at most {MAX_FILES} are read")
    ]
    assert opened == []


def test_rule_files_past_one_mib_in_all_are_refused_before_reading_costs_a_minute(rules_copy: RulesCopy) -> None:
    """Reading costs ~10-17 s a MiB (YAML with positions), so 4 MiB cost every lint and reload a minute
    before any check; the shipped files are ~32 KB."""
    rules = rules_copy()
    comment = "# " + "x" * 600_000 + "\n"
    for name in ("zz_a.yaml", "zz_b.yaml"):
        (rules / name).write_text(comment)

    with pytest.raises(PolicyLoadError) as caught:
        read_rule_files(rules)

    [problem] = caught.value.problems
    assert (problem.code, Path(problem.path).name) == ("unreadable", "zz_b.yaml")
    assert "1 MiB" in problem.message and MAX_TOTAL_BYTES == 1 << 20


def test_a_rule_set_too_large_in_all_is_refused_at_the_file_that_crosses_the_bound(rules_copy: RulesCopy) -> None:
    """Each file under 1 MiB, but 5 MiB in all: a version GetPolicy(include_files) could not send
    (8 MiB per message) and every reload would read. Refused, and nothing past the bound is read."""
    rules = rules_copy()
    (rules / "extra").mkdir()
    comment = "# " + "x" * (MAX_FILE_BYTES - 100) + "\n"
    for i in range(5):
        (rules / "extra" / f"{i}.yaml").write_text(comment)

    with pytest.raises(PolicyLoadError) as caught:
        read_rule_files(rules)

    [problem] = caught.value.problems
    assert problem.code == "unreadable" and Path(problem.path).parent == rules / "extra"
    assert f"at most {MAX_TOTAL_BYTES} in all are read" in problem.message


def test_every_code_used_is_documented(rules_copy: RulesCopy) -> None:
    assert {"unknown_feature", "band_gap", "not_monotonic", "shadowed"} <= set(CODES)


def test_policy_version_is_a_content_hash(rules_copy: RulesCopy) -> None:
    rules = rules_copy()
    before = policy_version(read_rule_files(rules))
    (rules / "reviews.yaml").write_text((rules / "reviews.yaml").read_text() + "\n# a comment\n")

    assert policy_version(read_rule_files(rules)) != before
    assert load_policy(rules).version == policy_version(read_rule_files(rules))


def test_load_policy_raises_with_every_problem(rules_copy: RulesCopy) -> None:
    rules = rules_copy(("warnings.yaml", "downgrade: 2, urgent_review", "downgrade: 9, urgent_review"))

    with pytest.raises(PolicyLoadError) as info:
        load_policy(rules)

    assert [p.code for p in info.value.problems] == ["invalid_value"]
    assert str(info.value).startswith(str(rules / "warnings.yaml"))


def test_warning_files_must_agree_on_how_signs_combine(rules_copy: RulesCopy) -> None:
    rules = rules_copy()
    extra = (rules / "warnings.yaml").read_text().replace("downgrade: sum", "downgrade: max")
    extra = extra.replace("id: ", "id: more.")
    (rules / "more_warnings.yaml").write_text(extra)

    assert [p.code for p in _problems(rules)] == ["invalid_value"]
