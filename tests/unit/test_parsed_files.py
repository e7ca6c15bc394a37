"""A rule or case file's text is parsed once per process (policy_engine/rules/parsed_files.py): what a later read
gets is what parsing it again would give, at the later read's path, and its own to change."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from policy_engine.api import load_policy
from policy_engine.casefiles import read_case_docs
from policy_engine.rules import loader, parsed_files
from policy_engine.rules.loader import parse_document
from policy_engine.rules.node_budget import NodeBudget
from policy_engine.rules.parsed_files import forget_parsed_files, parse_file
from policy_engine.rules.yaml_constructor import CaseConstructor

RULES = Path(__file__).resolve().parents[2] / "rules"
# A YAML error (the unclosed list) and, in the case file, a number split by a thousands separator: a problem the
# document keeps (read_past) with the value read as repaired.
BROKEN = "kind: limits\nrows: [1, 2\n"
SPLIT = "cases:\n  - {id: x, amounts: [1,100, 200]}\n"


@pytest.fixture(autouse=True)
def _nothing_kept() -> Iterator[None]:
    forget_parsed_files()
    yield
    forget_parsed_files()


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The YAML parsers made by the loader (one per parse), counted."""
    made: list[str] = []
    real = loader.YAML

    def counted(*args: Any, **kwargs: Any) -> Any:
        made.append("parse")
        return real(*args, **kwargs)

    monkeypatch.setattr(loader, "YAML", counted)
    return made


def test_a_rules_directory_and_its_cases_read_again_elsewhere_are_not_parsed_again(
    tmp_path: Path, parses: list[str]
) -> None:
    """`simulate` compiles the live rules and a copy differing in one file, then reads the copy's cases: each
    unchanged file was parsed again (~0.25 s a compile of the shipped rules, ~0.9 s their cases)."""
    copy = shutil.copytree(RULES, tmp_path / "candidate")
    (copy / "limits.yaml").write_text((copy / "limits.yaml").read_text() + "\n# reviewed\n")

    live = load_policy(RULES)
    first = len(parses)
    candidate = load_policy(copy)
    second = len(parses) - first
    read_case_docs(RULES)
    cases = len(parses) - first - second
    docs, _ = read_case_docs(copy)

    assert second == 1  # limits.yaml alone
    assert cases == len(docs) > 0 and len(parses) == first + second + cases
    assert candidate.version != live.version and candidate.rule_ids == live.rule_ids
    assert {doc.path for doc in docs} == {str(copy / "tests" / p.name) for p in (RULES / "tests").glob("*.yaml")}
    live.close()
    candidate.close()


@pytest.mark.parametrize(("text", "constructor"), [(BROKEN, None), (SPLIT, CaseConstructor)])
def test_a_text_read_again_at_another_path_is_what_parsing_it_there_gives(text: str, constructor: Any) -> None:
    extra = [constructor] if constructor else []
    parse_file("rules/a.yaml", text, NodeBudget(), *extra)

    doc, problems = parse_file("candidate/b.yaml", text, NodeBudget(), *extra)
    want_doc, want_problems = parse_document("candidate/b.yaml", text, *extra, budget=NodeBudget())

    assert problems == want_problems and problems and all(p.path == "candidate/b.yaml" for p in problems)
    assert (doc is None) == (want_doc is None)
    if doc is not None and want_doc is not None:
        assert (doc.path, doc.data, doc.positions, doc.read_past) == (
            want_doc.path, want_doc.data, want_doc.positions, want_doc.read_past)
        assert doc.read_past and all(p.path == "candidate/b.yaml" for p in doc.read_past.values())


def test_each_reader_gets_a_document_of_its_own_to_change() -> None:
    text = (RULES / "limits.yaml").read_text()
    doc, _ = parse_file("limits.yaml", text, NodeBudget())
    assert doc is not None
    doc.data.clear()
    doc.positions.clear()

    again, _ = parse_file("limits.yaml", text, NodeBudget())

    assert again is not None and again.data == parse_document("limits.yaml", text)[0].data  # type: ignore[union-attr]
    assert again.positions


def test_what_is_kept_is_bounded_and_the_least_recently_read_goes_first(
    monkeypatch: pytest.MonkeyPatch, parses: list[str]
) -> None:
    texts = [f"kind: limits\nnote: {'x' * 400} {i}\n" for i in range(4)]
    parse_file("a.yaml", texts[0], NodeBudget())
    monkeypatch.setattr(parsed_files, "MAX_KEPT_BYTES", parsed_files._kept_bytes * 3 - 1)  # room for two of them

    for text in [*texts[1:], texts[3], texts[2], texts[0]]:
        parse_file("a.yaml", text, NodeBudget())

    assert parsed_files._kept_bytes <= parsed_files.MAX_KEPT_BYTES
    assert len(parses) == 5  # 0, 1, 2, 3 once each; 3 and 2 again from what is kept; 0 again, dropped meanwhile


def test_a_read_kept_is_charged_to_the_budget_and_one_past_it_is_refused_where_a_parse_would_refuse_it(
    parses: list[str]
) -> None:
    """The rule files of a set share one node budget (node_budget.py): a kept read that charged nothing would let a
    set of files read before (by simulate's live rules, say) run past the bound unrefused."""
    text = "kind: limits\nrows:\n" + "".join(f"  - {{id: r{i}, when: {{all: [a, b, c]}}}}\n" for i in range(50))
    parse_file("a.yaml", text, NodeBudget())
    fresh = NodeBudget()
    parse_document("a.yaml", text, budget=fresh)
    made = fresh.bound - fresh.left
    parsed = len(parses)

    charged = NodeBudget()
    doc, problems = parse_file("b.yaml", text, charged)
    assert doc is not None and not problems and len(parses) == parsed  # from what is kept
    assert charged.left == fresh.left

    short = NodeBudget(bound=made - 1)
    doc, problems = parse_file("b.yaml", text, short)
    want = NodeBudget(bound=made - 1)
    assert doc is None and problems == parse_document("b.yaml", text, budget=want)[1]
    assert short.spent and problems[0].code == "yaml_error"
