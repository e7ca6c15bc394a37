"""Rule and case files are data read within bounds: what is too big or too deep is one problem that says
what and where, never a traceback, a hang or memory filled."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from policy_engine.api import load_policy
from policy_engine.casefiles import read_case_docs
from policy_engine.casetests import run_suite
from policy_engine.rules.compiler import lint
from policy_engine.rules.loader import parse_document, read_rule_files, read_rule_files_in_part
from policy_engine.rules.rule_tree import read_at_most, scan_rules_dir
from policy_engine.rules.yaml_constructor import CaseConstructor

RulesCopy = Callable[..., Path]


@pytest.mark.parametrize("constructor", [None, CaseConstructor])
def test_a_whole_number_of_thousands_of_digits_is_refused_where_it_is_written(constructor: type | None) -> None:
    text = "kind: portfolio\nsettings:\n  floor: " + "9" * 5000 + "\n"

    _, [problem] = parse_document("limits.yaml", text, *([constructor] if constructor else []))

    assert (problem.code, problem.line, problem.col) == ("yaml_error", 3, 10)
    assert "5000 digits" in problem.message and "set_int_max_str_digits" not in problem.message


def test_a_whole_number_of_ordinary_length_still_reads() -> None:
    doc, problems = parse_document("limits.yaml", "floor: -1_000_000\nhex: 0x1F\n")

    assert problems == [] and doc is not None and doc.data == {"floor": -1_000_000, "hex": 31}


def test_nesting_too_deep_for_the_parser_says_so() -> None:
    _, [problem] = parse_document("limits.yaml", "a: " + "[" * 20_000 + "]" * 20_000 + "\n")

    assert (problem.code, problem.path) == ("yaml_error", "limits.yaml")
    assert problem.message.startswith("nested too deeply") and "RecursionError" not in problem.message
    # It says about how deep: ~195 levels fail under `credit-policy lint` (it once said "some thousand")
    assert "some 200 levels deep" in problem.message
    assert parse_document("limits.yaml", "a: " + "[" * 150 + "]" * 150 + "\n")[1] == []


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs a device that never ends")
def test_a_file_is_read_no_further_than_its_bound_whatever_its_size_said() -> None:
    assert read_at_most(Path("/dev/zero"), 1000) is None


def test_a_file_within_its_bound_is_read_whole(tmp_path: Path) -> None:
    small = tmp_path / "a.yaml"
    small.write_bytes(b"x" * 1000)

    assert read_at_most(small, 1000) == b"x" * 1000


def test_a_rule_file_grown_past_its_bound_after_its_size_was_taken_is_unreadable(
        rules_copy: RulesCopy, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = rules_copy()
    grown = rules / "reviews.yaml"
    real_stat = Path.stat
    # what stat said before the file grew: small enough to be read
    monkeypatch.setattr(Path, "stat", lambda self, **kw: real_stat(rules / "portfolio.yaml" if self == grown
                                                                    else self, **kw))
    grown.write_text(grown.read_text() + "#" * (1 << 20))

    files, problems = read_rule_files_in_part(rules)

    assert "reviews.yaml" not in files
    assert [(p.path, p.code) for p in problems] == [(str(grown), "unreadable")]
    assert "larger than 1048576 bytes" in problems[0].message


def test_a_rule_file_named_with_a_line_break_is_one_problem_line(rules_copy: RulesCopy) -> None:
    rules = rules_copy()
    (rules / "reviews.yaml").rename(rules / "re\nviews.yaml")
    (rules / "re\nviews.yaml").write_text("kind: nope\n")

    problems = lint(read_rule_files(rules), source_dir=str(rules))

    [shown] = [str(p) for p in problems if p.code == "unknown_kind"]
    assert "\n" not in shown and shown.startswith(f"{rules}/re\\nviews.yaml:1:1: unknown_kind: ")


def test_a_case_file_grown_past_its_bound_after_its_size_was_taken_is_unreadable(
        rules_copy: RulesCopy, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = rules_copy()
    [grown, small, *_] = sorted((rules / "tests").glob("*.yaml"), key=lambda p: -p.stat().st_size)
    real_stat = Path.stat
    monkeypatch.setattr(Path, "stat", lambda self, **kw: real_stat(small if self == grown else self, **kw))
    grown.write_text(grown.read_text() + "#" * (1 << 20))

    docs, problems = read_case_docs(rules)

    assert grown.as_posix() not in [d.path for d in docs]
    assert [(p.path, p.code) for p in problems] == [(str(grown), "unreadable")]
    assert "larger than 1048576 bytes" in problems[0].message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_named_like_a_rule_file_is_a_problem_not_silently_skipped(rules_copy: RulesCopy) -> None:
    rules = rules_copy()
    os.mkfifo(rules / "extra.yaml")  # never opened: reading a pipe would wait for a writer

    tree = scan_rules_dir(rules)

    assert [(p.path, p.code, p.message) for p in tree.problems] == [
        (str(rules / "extra.yaml"), "unreadable", "not a regular file")]


def test_case_files_past_their_bound_in_all_are_refused_at_the_file_that_crosses_it(
    rules_copy: RulesCopy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """200 case files of 1 MiB each were all parsed (~15 s a MiB: most of an hour, gigabytes of nodes); the
    bound on them all is lowered here so that the test reads little."""
    import policy_engine.casefiles as casefiles

    rules = rules_copy()
    shipped = sum(len(p.read_text(encoding="utf-8")) for p in (rules / "tests").glob("*.yaml"))
    monkeypatch.setattr(casefiles, "MAX_CASE_CHARS", shipped + 1000)
    for name in ("zz_a.yaml", "zz_b.yaml", "zz_c.yaml"):
        (rules / "tests" / name).write_text("# " + "x" * 600 + "\ncases: []\n")

    docs, problems = read_case_docs(rules)

    assert [(p.code, Path(p.path).name) for p in problems] == [("unreadable", "zz_b.yaml")]
    assert f"at most {shipped + 1000} in all are read" in problems[0].message
    assert "zz_c.yaml" not in {Path(d.path).name for d in docs}


def test_a_rule_or_case_file_of_5_mb_says_what_to_do_with_it(rules_copy: RulesCopy) -> None:
    """An export or log saved among the rules: the problem says it is no hand-written file and where it goes."""
    rules = rules_copy()
    (rules / "export.yaml").write_text("# " + "x" * 5_000_000 + "\n")
    (rules / "tests" / "export.yaml").write_text("# " + "x" * 5_000_000 + "\n")

    _, rule_problems = read_rule_files_in_part(rules)
    _, case_problems = read_case_docs(rules)

    for [problem] in (rule_problems, case_problems):
        assert problem.code == "unreadable"
        assert problem.message.startswith("larger than 1048576 bytes (1 MiB), the most one rule or case file may hold")
        assert problem.message.endswith("keep it outside the rules directory, or split it into several files")


def test_an_empty_case_file_says_to_write_cases_or_remove_it(rules_copy: RulesCopy) -> None:
    rules = rules_copy()
    (rules / "tests" / "new_sign.yaml").write_text("")

    [problem] = [p for p in run_suite(load_policy(rules), rules).problems if p.path.endswith("new_sign.yaml")]

    assert (problem.code, problem.line) == ("missing_field", 1)
    assert problem.message == ("empty case file: expected `cases:` (a list of cases) or `fixtures:`; write them, "
                               "or remove the file")
