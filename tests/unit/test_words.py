"""Counts people read: `1 rule`, `2 rules`, never `1 rules`."""

from __future__ import annotations

from policy_engine.words import plural


def test_one_of_a_thing_is_singular_and_any_other_count_plural() -> None:
    said = [f"{n} {plural(n, 'rule')}" for n in (0, 1, 2)]

    assert said == ["0 rules", "1 rule", "2 rules"]
    assert plural(1, "entry", "entries") == "entry" and plural(3, "entry", "entries") == "entries"
