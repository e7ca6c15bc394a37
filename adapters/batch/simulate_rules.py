"""The rules a candidate changes, and what this portfolio says of each: why a change may decide nothing (simulate).

A rule is changed when what decides in it differs: its kind, its condition, its effects (titles, sources and notes
aside, which decide nothing); it is moved when only its place in a table where order decides differs (a first-hit
table: rule_precedence.py). What is said of it comes from the engine, never from reading its condition here: how
many customers it fired for under each policy (simulate's counts), and, for a rule whose condition looks at the
decided grade alone, the grades the engine matches it for, asked once per grade with a customer that has that grade
and nothing else (as lint's grade_uncovered check asks), and how many customers hold those grades. Such a rule can
fire only for customers of those grades; one that also looks at another field gets no grades (they would be a guess).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from adapters.batch.rule_precedence import moved_rules
from policy_engine.domain.values import GRADES
from policy_engine.rules.analysis import class_map, grade_only_profile

NOT_DECIDING = frozenset({"id", "title", "source", "note"})
GRADE_ONLY = frozenset({"grade", "grade_rank", "grade_class"})
"""The decided grade's fields: a condition on these alone holds or not by the grade, whatever else is known."""
GRADE_STAGES = ("profile", "order")
"""The stages whose facts carry the decided grade."""


def changed_rules(live: Any, cand: Any) -> list[dict[str, Any]]:
    """The rules added, removed, changed or moved by the candidate, by id: `rule_id`, `kind` (its file's), `status`,
    `moved` (where a moved rule stands on each side, else None: rule_precedence.moved_rules), and `grades`: the grades
    it applies to when its condition looks at the decided grade alone (else None)."""
    before, after = _deciding(live), _deciding(cand)
    moved = moved_rules(live, cand)
    rows: list[dict[str, Any]] = []
    for rule_id in sorted(set(before) | set(after)):
        same = before.get(rule_id) == after.get(rule_id)
        if same and rule_id not in moved:
            continue
        status = ("added" if rule_id not in before else "removed" if rule_id not in after
                  else "moved" if same else "changed")  # fmt: skip
        rows.append({"rule_id": rule_id, "kind": (after.get(rule_id) or before[rule_id])[0], "status": status,
                     "moved": moved.get(rule_id)})  # fmt: skip
    ids = {r["rule_id"] for r in rows}
    scopes = [matched_grades(p, ids & set(d)) for p, d in ((live, before), (cand, after))]
    for row in rows:
        sides = [s.get(row["rule_id"]) for s, d in zip(scopes, (before, after), strict=True) if row["rule_id"] in d]
        row["grades"] = None if None in sides else [g for g in GRADES if any(g in s for s in sides if s)]
    return rows


def _deciding(policy: Any) -> dict[str, tuple[str, dict[str, Any]]]:
    """Per rule id: its file's kind and what of it decides."""
    return {r.id: (r.file_kind, r.spec.model_dump(mode="json", exclude=NOT_DECIDING)) for r in policy.program.rules}


def matched_grades(policy: Any, rule_ids: set[str]) -> dict[str, set[str]]:
    """For each of `rule_ids` whose condition looks at the decided grade alone: the grades the engine matches it for."""
    probed = {r.id: r for r in policy.program.rules
              if r.id in rule_ids and r.stage in GRADE_STAGES and set(r.fields) <= GRADE_ONLY}  # fmt: skip
    grades: dict[str, set[str]] = {rule_id: set() for rule_id in probed}
    if not probed:
        return grades
    classes = class_map(policy.program.kinds)
    stages = sorted({r.stage for r in probed.values()})
    for grade in GRADES:
        facts = grade_only_profile(grade, classes[grade])
        for stage in stages:
            for rule in policy.match_stage(stage, facts):
                if rule.id in grades:
                    grades[rule.id].add(grade)
    return grades


def changed_rule_rows(changed: list[dict[str, Any]], fired_live: Counter[str], fired_candidate: Counter[str],
                      graded_live: Counter[str], graded_candidate: Counter[str]) -> list[dict[str, Any]]:  # fmt: skip
    """Each changed rule with the customers it fired for under each policy (`live`, `candidate`) and, when it has
    `grades`, the customers graded so under each (`graded`)."""
    rows = []
    for row in changed:
        rule_id, grades = row["rule_id"], row["grades"]
        graded = None if grades is None else {"live": sum(graded_live[g] for g in grades),
                                              "candidate": sum(graded_candidate[g] for g in grades)}  # fmt: skip
        rows.append({**row, "live": fired_live.get(rule_id, 0), "candidate": fired_candidate.get(rule_id, 0),
                     "graded": graded})  # fmt: skip
    return rows
