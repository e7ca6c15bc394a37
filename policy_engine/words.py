"""Words for counts people read: `1 rule`, `2 rules`, never `1 rules`."""

from __future__ import annotations


def plural(count: int, word: str, words: str | None = None) -> str:
    """`word` for a count of one, else `words` (default: `word` + "s"); the caller writes the number."""
    return word if count == 1 else (words if words is not None else word + "s")
