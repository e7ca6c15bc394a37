"""A warning_signs file of many threshold rules: past the engine's limits with the shipped customer stage."""

from __future__ import annotations


def warnings_file(count: int) -> str:
    """`count` simple rules `dbt_open_max >= i + 1` (they all hold for a large value), rule i at line 7 + 6 i."""
    head = ("kind: warning_signs\ntitle: {zh: 多, en: Many}\nsource: audit\nhit: collect\n"
            "combine: {downgrade: sum, max_downgrade: 4, cap_grade: worst, limit_factor: min}\nrules:\n")
    rules = "".join(f"  - id: many.r{i}\n    code: MANY_{i}\n    title: {{zh: 多{i}, en: Many {i}}}\n"
                    f"    source: audit\n    when: {{dbt_open_max: {{gte: {i + 1}}}}}\n    effects: {{downgrade: 1}}\n"
                    for i in range(count))
    return head + rules


def likely_percents_file(count: int, items: int = 100) -> str:
    """A warning_signs file of `count` rules, each `order_trend_ratio` `not_in` `items` whole numbers from 50 up: one
    `likely_percent` warning per item (a ratio of 50 reads as 50 %), so `count * items` warnings in all."""
    head = ("kind: warning_signs\ntitle: {zh: 多, en: Many}\nsource: audit\nhit: collect\n"
            "combine: {downgrade: sum, max_downgrade: 4, cap_grade: worst, limit_factor: min}\nrules:\n")
    values = ", ".join(str(50 + i) for i in range(items))
    rules = "".join(f"  - {{id: many.p{i}, code: MANY_P{i}, title: {{zh: 多{i}, en: Many {i}}}, source: audit, "
                    f"effects: {{downgrade: 1}}, when: {{order_trend_ratio: {{not_in: [{values}]}}}}}}\n"
                    for i in range(count))
    return head + rules


def alike_rules_file(prefix: str, count: int, start: int = 0) -> str:
    """A warning_signs file of rules `<prefix>.r<i>` for i from `start`, `count` of them, one a line from line 6: in
    groups of 150 with one condition (`dbt_open_max` `eq` a value per group i // 150; such values exclude each other),
    so that the engine's tables take thousands (200 rules a condition, 400 first comparisons, one on the match stack).
    Files that go on numbering with `start` share no condition."""
    head = ("kind: warning_signs\ntitle: {zh: 多, en: Many}\nsource: audit\n"
            "combine: {downgrade: sum, max_downgrade: 4, cap_grade: worst, limit_factor: min}\nrules:\n")
    rules = "".join(f"  - {{id: {prefix}.r{i}, code: ALIKE, title: {{zh: 多, en: Many}}, source: audit, "
                    f"effects: {{downgrade: 1}}, when: {{dbt_open_max: {{eq: {1000 + i // 150}}}}}}}\n"
                    for i in range(start, start + count))
    return head + rules


def lists_file(lists: int, items: int = 100, op: str = "not_in") -> str:
    """A warning_signs file of one rule (at line 7) whose `when` is an `all` of `lists` `dbt_open_max` `op` (`in` or
    `not_in`) lists of `items` whole days each, all different: a `not_in` list is `items` comparisons one after another
    in the engine's network, an `in` list of several one `or` group."""
    head = ("kind: warning_signs\ntitle: {zh: 多, en: Many}\nsource: audit\nhit: collect\n"
            "combine: {downgrade: sum, max_downgrade: 4, cap_grade: worst, limit_factor: min}\nrules:\n")
    days = [", ".join(str(1000 + k * items + j) for j in range(items)) for k in range(lists)]
    members = ", ".join(f"{{dbt_open_max: {{{op}: [{d}]}}}}" for d in days)
    return head + ("  - {id: many.lists, code: MANY_LISTS, title: {zh: 多, en: Many lists}, source: audit, "
                   f"effects: {{downgrade: 1}}, when: {{all: [{members}]}}}}\n")
