"""What lint says about rule titles, as the title tests compare it: title_number_mismatch problems and places."""

from __future__ import annotations

from pathlib import Path

from policy_engine.rules.compiler import lint
from policy_engine.rules.loader import read_rule_files


def mismatches(rules: Path) -> list[tuple[str, int, int, str]]:
    """Each title_number_mismatch as (file name, line, column, message); fails on any other problem."""
    problems = lint(read_rule_files(rules), str(rules))
    assert {p.code for p in problems} <= {"title_number_mismatch"}, problems
    return [(Path(p.path).name, p.line, p.col, p.message) for p in problems]


def where(path: Path, text: str) -> tuple[int, int]:
    """The line and column (1-based) of the first occurrence of `text` in `path`: a problem sits at its key."""
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if text in line:
            return i, line.index(text) + 1
    raise AssertionError(f"{text!r} not in {path}")


def messages_at(rules: Path, name: str, *texts: str) -> list[str]:
    """The mismatches' messages, once each is seen to sit at the next of `texts` in the rule file `name`."""
    found = mismatches(rules)
    assert [(file, line, col) for file, line, col, _ in found] == [(name, *where(rules / name, t)) for t in texts]
    return [message for *_, message in found]
