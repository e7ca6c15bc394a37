"""Overlapping grade bands: the problem names both bands and the scores they share, so the author
knows which two ends to make meet."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from policy_engine.rules.compiler import lint
from policy_engine.rules.loader import read_rule_files

RulesCopy = Callable[..., Path]


@pytest.mark.parametrize(("old", "new", "band", "other", "shared"), [
    ("between: [82, 90]", "between: [82, 91]", "grade.aaa", "grade.aa", "[90, 91)"),
    ("between: [74, 82]", "between: [72, 82]", "grade.a", "grade.bbb", "[72, 74)"),
    ("between: [66, 74]", "between: [66, 90]", "grade.aa", "grade.bbb", "[82, 90)"),
])
def test_an_overlap_names_both_bands_and_the_scores_they_share(
    rules_copy: RulesCopy, old: str, new: str, band: str, other: str, shared: str,
) -> None:
    """It said `"grade.aaa" overlaps the band before it` of the top band, which has none before it in the file."""
    rules = rules_copy(("grades.yaml", old, new))

    problems = [p for p in lint(read_rule_files(rules), source_dir=str(rules)) if p.code == "band_overlap"]

    assert problems, "no band_overlap"
    first = problems[0]
    assert first.line == next(i for i, line in enumerate((rules / "grades.yaml").read_text().splitlines(), 1)
                              if f"id: {band}," in line)
    assert f'"{band}" and "{other}" both cover score {shared}' in first.message
