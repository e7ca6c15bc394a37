"""Lint: a Chinese input method's full-width punctuation (`：`, `，`, `［ ］`, `｛ ｝`) where YAML needs its ASCII
mark is said as such, at its column, with the mark to write: the parser's words ("could not find expected ':'"
after a colon was typed) told staff nothing they could see."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from policy_engine.casefiles import read_case_docs
from policy_engine.rules import full_width
from policy_engine.rules.compiler import lint
from policy_engine.rules.full_width import ASCII_OF, slip_on
from policy_engine.rules.loader import read_rule_files
from policy_engine.rules.problems import Problem

RulesCopy = Callable[..., Path]


SLIPS = [  # (file, as shipped, as typed with a Chinese input method)
    ("reviews.yaml", "    interval_months: 3", "    interval_months： 3"),
    ("reviews.yaml", "    interval_months: 3", "    interval_months：3"),
    ("limits.yaml", "months_of_purchases: 3, share", "months_of_purchases: 3， share"),
    ("limits.yaml", "{months_of_purchases: 3, share", "{months_of_purchases： 3, share"),
    ("grades.yaml", "between: [74, 82]", "between: [74，82]"),
    ("grades.yaml", "between: [74, 82]", "between: ［74, 82]"),
]


@pytest.mark.parametrize(("file", "old", "new"), SLIPS)
def test_full_width_punctuation_is_named_at_its_column_with_the_ascii_mark_to_write(
    rules_copy: RulesCopy, file: str, old: str, new: str
) -> None:
    """Each slip is one problem at the full-width mark, saying which mark to write instead."""
    rules = rules_copy((file, old, new))
    lines = (rules / file).read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if new in text)
    mark = next(char for char in new if char in ASCII_OF)

    problems = lint(read_rule_files(rules), source_dir=str(rules))

    [problem] = [p for p in problems if p.path.endswith(file)]
    assert (problem.line, problem.col) == (line, lines[line - 1].index(mark) + 1)
    assert problem.message.startswith(f'a full-width "{mark}" (Chinese punctuation): write "{ASCII_OF[mark]}" instead')


@pytest.mark.parametrize(("new", "said"), [
    ("　　interval_months: 3", 'a full-width space "　" (Chinese input): write an ordinary space instead'),
    ("    interval_months:　3", 'a full-width space "　" (Chinese input): write an ordinary space instead'),
    ("    interval_months:\u00a03", "a no-break space (U+00A0, pasted from a web page or a word processor): write "
                                   "an ordinary space instead"),
    ("    interval_\u200bmonths: 3", "an invisible character (U+200B, pasted in): delete it"),
    ("    interval_months: \ufeff3", "an invisible character (U+FEFF, pasted in): delete it"),
])
def test_a_space_or_invisible_character_that_yaml_does_not_read_as_one_is_named_at_its_column(
    rules_copy: RulesCopy, new: str, said: str
) -> None:
    """`interval_months:　3` said "a key needs a colon and a space after it" after both were typed; a zero-width
    space made `unknown field "interval_​months" — did you mean "interval_months"?`, the two alike to the eye."""
    rules = rules_copy(("reviews.yaml", "    interval_months: 3", new))
    line = (rules / "reviews.yaml").read_text().splitlines().index(new) + 1
    odd = next(char for char in new if char in "\u3000\u00a0\u200b\ufeff")

    problems = lint(read_rule_files(rules), source_dir=str(rules))

    [problem] = [p for p in problems if p.line == line]
    assert (problem.col, problem.message.startswith(said)) == (new.index(odd) + 1, True)


def test_full_width_punctuation_inside_chinese_text_is_left_alone(rules_copy: RulesCopy) -> None:
    """A title's own Chinese comma is text, not a slip; only a problem elsewhere on its line is reported."""
    rules = rules_copy(("grades.yaml", "title: {zh: 良, en: Good}", "title: {zh: 良好，稳定, en: Good}"))

    assert lint(read_rule_files(rules), source_dir=str(rules)) == []


def test_full_width_colon_in_a_case_file_is_named_too(rules_copy: RulesCopy) -> None:
    """Case files are typed by the same hands."""
    rules = rules_copy()
    case = "cases:\n  - id： q\n    snapshot: {base: steady}\n    expect: {grade: AA}\n"
    (rules / "tests" / "q.yaml").write_text(case)

    _, problems = read_case_docs(rules)

    [problem] = problems
    assert (problem.line, problem.col) == (2, 7)
    assert problem.message.startswith('a full-width "：" (Chinese punctuation): write ":" instead')


def test_each_line_is_looked_at_once_however_many_problems_it_has(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = ["rules:", "  - {when: {all: [" + ", ".join(["*b"] * 500) + "]}}", "  - {id： x}"]
    problems = [Problem("r.yaml", 2, 20, "invalid_value", f"copy {i}") for i in range(2000)]
    problems += [Problem("r.yaml", 3, 5, "unknown_field", "id： x"), Problem("r.yaml", 3, 9, "missing_field", "id")]
    scanned: list[str] = []
    monkeypatch.setattr(full_width, "slip_on", lambda line: scanned.append(line) or slip_on(line))

    named = full_width.name_slips(problems, {"r.yaml": "\n".join(lines)})

    # aliases repeat one problem at one place tens of thousands of times: scanning its line for each took minutes
    assert sorted(scanned) == sorted(lines[1:])
    assert named[:2000] == problems[:2000] and len(named) == 2001  # the slip's line is said once, at the slip
    assert (named[-1].line, named[-1].col, named[-1].code) == (3, 8, "unknown_field")  # at the "："
