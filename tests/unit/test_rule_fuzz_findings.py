"""What fuzzing the rule loader found (tests/unit/test_rule_fuzz.py), each pinned by an example: every broken rule
file gives problems at a file and line, in words, soon; never a traceback or a hang."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from policy_engine.rules.compiler import lint
from policy_engine.rules.loader import read_rule_files
from policy_engine.rules.problems import CODES

RulesCopy = Callable[..., Path]


def _bomb(levels: int) -> str:
    """A billion laughs `levels` deep: ten aliases of ten aliases (10^levels items once expanded)."""
    lines = ["lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_written_twice_is_a_duplicate_key_said_at_once(rules_copy: RulesCopy) -> None:
    """The duplicate-key message echoes both values cut short, but dumped each whole first: a bomb's 10^7 items took
    over 2 minutes before the cut (10^9, the usual one, hours): `credit-policy lint` and a reload hung on a line
    written twice."""
    bomb = _bomb(7)
    last = bomb.splitlines()[-1]
    rules = rules_copy(("reviews.yaml", "kind: review_cadence\n", f"kind: review_cadence\n{bomb}{last}\n"))
    started = time.monotonic()

    [problem] = lint(read_rule_files(rules), source_dir=str(rules))

    assert time.monotonic() - started < 5
    assert (problem.code, problem.line, problem.col) == ("yaml_error", 11, 1)
    assert problem.message.startswith('duplicate key "lol6": it is also written at line 10, column 1; keep one of the '
                                      "two (the value here is `[[[[[[[lol, lol,")
    assert len(problem.message) < 300


def test_an_alias_inside_the_top_mappings_own_anchor_is_a_problem_where_it_is_used(rules_copy: RulesCopy) -> None:
    """An anchor on a file's top mapping with an alias of it inside (`&top` … `*top`) made a loop the loader walked
    until RecursionError escaped lint: a traceback, no file, no line."""
    rules = rules_copy(("reviews.yaml", "kind: review_cadence\n", "&top\nkind: review_cadence\nsee: [*top]\n"))

    [problem] = lint(read_rule_files(rules), source_dir=str(rules))

    assert (problem.path, problem.code, problem.line) == (f"{rules}/reviews.yaml", "yaml_error", 3)
    assert problem.message.startswith("an alias inside the value of its own anchor (`*x` here, within `&x`)")


def test_an_alias_inside_its_own_anchor_is_said_at_the_anchor_not_read_as_null(rules_copy: RulesCopy) -> None:
    """ruamel builds an alias inside its own anchor, below the top, as null: lint said `title.en` was no text, of a
    title whose `en` reads `*t`, and the alias went unmentioned."""
    title = "title: {zh: 信用调查报告周期, en: Credit review cadence}"
    rules = rules_copy(("reviews.yaml", title, "title: &t {zh: 信用调查报告周期, en: *t}"))

    [problem] = lint(read_rule_files(rules), source_dir=str(rules))

    assert (problem.code, problem.line, problem.col) == ("yaml_error", 4, 8)
    assert problem.message.startswith("an alias of this anchor inside its own value (`&x` here, `*x` within it)")


def test_a_grade_left_out_of_the_classes_is_said_at_the_classes(rules_copy: RulesCopy) -> None:
    """The probe of limits and cadences by grade looked up each grade's class: KeyError 'B' escaped lint."""
    rules = rules_copy(("grades.yaml", "B: [BBB, BB, B]", "B: [BBB, BB]"))

    [problem] = lint(read_rule_files(rules), source_dir=str(rules))

    assert (problem.code, problem.line) == ("invalid_value", 19)
    assert problem.message == "grade B must belong to exactly one class (found in 0)"


def test_every_problem_code_the_rule_checks_give_is_a_known_code() -> None:
    """CODES lists every code "tests and tools rely on", but `duplicate_item` (review_information) and
    `too_many_groups` (the engine's and/or groups) were given without being in it."""
    given = {}
    for path in sorted((Path(__file__).resolve().parents[2] / "policy_engine").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node, "func", None)
            name = getattr(name, "attr", getattr(name, "id", ""))
            at = {"problem": 1, "Problem": 3}.get(name)  # doc.problem(loc, code, …), Problem(path, line, col, code, …)
            args = getattr(node, "args", [])
            if at is not None and len(args) > at and isinstance(args[at], ast.Constant):
                given.setdefault(args[at].value, path.name)

    assert len(given) > 20
    assert {code: file for code, file in given.items() if code not in CODES} == {}


def test_a_setting_left_empty_is_said_as_yaml_writes_it_not_as_python_none(rules_copy: RulesCopy) -> None:
    """`hit:` with nothing after it said `hit: None is not first, the one value it takes`: Python's word."""
    rules = rules_copy(("collection.yaml", "hit: first\n", "hit:\n"))

    [problem] = lint(read_rule_files(rules), source_dir=str(rules))

    assert problem.code == "invalid_value"
    assert problem.message == "hit: null (nothing after the colon) is not first, the one value it takes"


def test_a_threshold_of_the_wrong_type_is_echoed_as_yaml_cut_short(rules_copy: RulesCopy) -> None:
    """A mapping where a number goes was echoed whole, as Python writes it: 2,000 keys made a message of 5,345
    characters of `{'k0': 0, 'k1': 1, …}`."""
    keys = ", ".join(f"k{i}: {i}" for i in range(2_000))
    rules = rules_copy(("grades.yaml", "score: {gte: 90}", f"score: {{gte: {{{keys}}}}}"))

    [problem] = lint(read_rule_files(rules), source_dir=str(rules))

    assert problem.code == "type_mismatch"
    assert problem.message == ('rule grade.aaa: "score" is a number; got {k0: 0, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, '
                               "k6: 6, k7: 7, k8: 8, k9: 9, k10: 10,…")


LONG = "x" * 5_000
CUT = f"{LONG[:64]}…"


@pytest.mark.parametrize(("file", "old", "new", "starts"), [
    ("follow_ups.yaml", "id: follow.never_bought", f"id: follow.{LONG}", f"rule follow.{LONG[:57]}…: id: "),
    ("reviews.yaml", "interval_months: 3", f"interval_months: {LONG}", f'rule review.class_b: interval_months: "{CUT}'),
    ("orders.yaml", "outcome: HOLD\n", f"outcome: {LONG}\n", f'rule order.hold_past_due: outcome: "{CUT}" is not'),
    ("limits.yaml", "when: {grade: AAA}", f"when: {{grade: {LONG}}}", f'rule limit.aaa: "{CUT}" is not a value of'),
    # a key is at most 1,024 characters: YAML's own bound on a key written without `? `
    ("limits.yaml", "when: {grade: AAA}", f"when: {{{LONG[:1000]}: AAA}}", f'rule limit.aaa: unknown field "{CUT}"'),
])
def test_a_long_text_in_a_rule_file_is_echoed_cut_short(
    rules_copy: RulesCopy, file: str, old: str, new: str, starts: str,
) -> None:
    """A value or key of thousands of characters was echoed whole (a rule id twice: in the label, then in the
    message), making a `lint` line of 5-10 KB, up to 2 MB for a value at the file-size bound."""
    rules = rules_copy((file, old, new))

    problems = lint(read_rule_files(rules), source_dir=str(rules))

    assert any(p.message.startswith(starts) for p in problems), [p.message[:200] for p in problems]
    assert all(len(p.message) < 400 for p in problems), [len(p.message) for p in problems]


def test_an_anchor_defined_twice_prints_no_python_warning(rules_copy: RulesCopy) -> None:
    """ruamel's ReusedAnchorWarning went to lint's stderr before the problems: its own source path and line, and
    `"<unicode string>", line 4` for the file."""
    rules = rules_copy(("reviews.yaml", "kind: review_cadence\n", "kind: review_cadence\na: &n x\nb: &n y\n"))

    done = subprocess.run([sys.executable, "-m", "policy_engine.cli", "lint", str(rules)], capture_output=True,
                          text=True, check=False, env={**os.environ, "PYTHONWARNINGS": ""})

    assert done.returncode == 1
    assert done.stderr.splitlines()[0].startswith(f"{rules}/reviews.yaml:4:1: unknown_field: ")
    assert "Warning" not in done.stderr and "composer.py" not in done.stderr
