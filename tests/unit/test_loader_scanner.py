"""The loader reads rule and case files with ruamel's plain scanner and parser, not the round-trip ones (which also
gather every comment, ~25% of a parse, and nothing reads them): what it gives must be what round-trip reading gave,
data, positions and problems alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml.parser import RoundTripParser
from ruamel.yaml.scanner import RoundTripScanner

from policy_engine.rules import loader
from policy_engine.rules.loader import parse_document
from policy_engine.rules.yaml_constructor import CaseConstructor, RuleConstructor

RULES = Path(__file__).resolve().parents[2] / "rules"
SLIPS = [
    "kind: limits\nrows: [1, 2\n",  # unclosed
    "kind: limits\n\trows: 1\n",  # a tab
    "kind: limits\nrows:\n  - a: 1 # a comment\n   b: 2\n",  # indentation
    "kind: limits\na: 1\na: 2\n",  # a key twice
    "kind: limits\na: {b: 1,000, c: [1,100, 200]}  # split numbers\n",
    "kind: limits\na: &x {b: 1}\nc: {<<: *x, d: 2}\n",  # an anchor merged
    "kind: limits\na: !!python/object:os.system x\n",  # a tag
    "kind: limits\na: 'open\nb: 2\n",  # a quote never closed
    "# only a comment\n",
    "kind: limits\n{a: 1}: 2\n",  # a complex key
]


def _both(path: str, text: str, constructor: type[RuleConstructor], monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    out = []
    for scanner, parser in ((loader.Scanner, loader.Parser), (RoundTripScanner, RoundTripParser)):
        monkeypatch.setattr(loader, "Scanner", scanner)
        monkeypatch.setattr(loader, "Parser", parser)
        doc, problems = parse_document(path, text, constructor)
        out.append((problems, doc and (doc.data, doc.positions, doc.read_past)))
    return out


@pytest.mark.parametrize("path", sorted(p.relative_to(RULES).as_posix() for p in RULES.rglob("*.yaml")))
def test_each_shipped_file_reads_as_round_trip_reading_read_it(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    constructor = CaseConstructor if path.startswith("tests/") else RuleConstructor
    plain, round_trip = _both(path, (RULES / path).read_text(encoding="utf-8"), constructor, monkeypatch)

    assert plain == round_trip and plain[1] is not None


@pytest.mark.parametrize("text", SLIPS)
@pytest.mark.parametrize("constructor", [RuleConstructor, CaseConstructor])
def test_each_slip_is_the_same_problem_as_round_trip_reading_said(
    text: str, constructor: type[RuleConstructor], monkeypatch: pytest.MonkeyPatch
) -> None:
    plain, round_trip = _both("r.yaml", text, constructor, monkeypatch)

    assert plain == round_trip
