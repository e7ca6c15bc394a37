"""Copies of the shipped rules/ with edits, for tests of what a candidate rule set changes (holds no tests)."""

from __future__ import annotations

import shutil
from pathlib import Path

RULES = Path(__file__).resolve().parents[1] / "rules"

Edit = tuple[str, str, str]
"""(file, old text, new text): `old` must occur exactly once in the file."""


def edited_rules(tmp_path: Path, *edits: Edit, name: str = "candidate") -> Path:
    """rules/ copied into `tmp_path / name` without its test cases, each edit applied."""
    target = tmp_path / name
    shutil.copytree(RULES, target, ignore=shutil.ignore_patterns("tests"))
    for file, old, new in edits:
        text = (target / file).read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} in {file}"
        (target / file).write_text(text.replace(old, new), encoding="utf-8")
    return target


def moved(file: str, block: str, before: str) -> Edit:
    """The edit of the shipped `file` that moves the list item starting with the line `block` (up to the next item
    at its indent, or the file's end) to just before the item starting with `before`, up or down; to the file's end
    when `before` is empty (the list must end the file)."""
    text = (RULES / file).read_text(encoding="utf-8")
    start, to = text.index(block + "\n"), (text.index(before + "\n") if before else len(text))
    indent = block[: len(block) - len(block.lstrip())]
    end = text.find("\n" + indent + "- ", start + 1)
    end = len(text) if end < 0 else end + 1
    if to < start:
        return file, text[to:end], text[start:end] + text[to:start]
    return file, text[start:to], text[end:to] + text[start:end]
