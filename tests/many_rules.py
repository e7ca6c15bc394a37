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
