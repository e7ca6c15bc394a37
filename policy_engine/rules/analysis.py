"""Static checks of a typed policy (never fires, shadowed, bands) and invariants probed on the engine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from policy_engine.domain.values import GRADE_RANK, GRADES
from policy_engine.ir import CompiledRule
from policy_engine.rules.bands import band_problems
from policy_engine.rules.conditions import Node, box_contains, box_of, is_empty
from policy_engine.rules.monotony import probe_monotony
from policy_engine.rules.problems import Problem
from policy_engine.rules.schema import FACTOR_IDS

if TYPE_CHECKING:
    from policy_engine.evaluator import Policy
    from policy_engine.rules.loader import Document

Entry = tuple[CompiledRule, Node | None, "Document", tuple[Any, ...]]
FIRST_HIT_KINDS = frozenset({"score_row", "grade_band", "limit", "cadence", "gather", "reminder", "order_step"})


def analyse(
    rules: list[Entry],
    kinds: dict[str, Any],
    docs: dict[str, Document],
    models: dict[str, Any],
    unsound: frozenset[str] = frozenset(),
) -> list[Problem]:
    """Every static problem: impossible conditions, shadowed rows, band gaps and overlaps, weights.

    The rules named in `unsound` have a problem in their condition, already reported at its place;
    the type check left out what it could not read, so their condition is not the one written. They
    take no part here: one quoted threshold used to "shadow" every later row of its table and open
    a band gap where it stood, ten problems that were not there once the threshold was fixed."""
    problems: list[Problem] = []
    boxes: dict[str, dict[str, Any] | None] = {}
    for rule, node, doc, loc in rules:
        box = None if rule.name in unsound else box_of(node)
        boxes[rule.name] = box
        if box and any(is_empty(c) for c in box.values()):
            message = "can never fire: no customer meets all of its condition"
            problems.append(doc.problem((*loc, "when"), "never_fires", message))
    problems += _shadowed(rules, boxes, kinds)
    problems += band_problems(rules, boxes, kinds, unsound)
    problems += _weights_and_classes(kinds, docs, models)
    return problems


def _shadowed(rules: list[Entry], boxes: dict[str, Any], kinds: dict[str, Any]) -> list[Problem]:
    problems = []
    orders_by_priority = getattr(kinds.get("order_checks"), "hit", "first") == "priority"
    tables: dict[str, list[Entry]] = {}
    for entry in rules:
        if entry[0].kind in FIRST_HIT_KINDS and not (entry[0].kind == "order_step" and orders_by_priority):
            tables.setdefault(entry[0].table, []).append(entry)
    for entries in tables.values():
        for j, (rule, _node, doc, loc) in enumerate(entries):
            inner = boxes[rule.name]
            if inner is None:
                continue
            for earlier, *_ in entries[:j]:
                outer = boxes[earlier.name]
                if outer is not None and box_contains(outer, inner):
                    msg = f'never wins: "{earlier.id}" comes first and matches whenever it does'
                    problems.append(doc.problem((*loc, "when"), "shadowed", msg))
                    break
    return problems


def _weights_and_classes(kinds: dict[str, Any], docs: dict[str, Document], models: dict[str, Any]) -> list[Problem]:
    problems = []
    paths = {id(m): p for p, m in models.items()}
    card = kinds.get("scorecard")
    if card is not None:
        total = sum(f.weight for f in card.factors)
        if abs(total - 1.0) > 1e-6:
            doc = docs[paths[id(card)]]
            problems.append(doc.problem(("factors",), "weights_sum", f"factor weights add up to {total:g}, not 1"))
        problems += _factors_twice(card, docs[paths[id(card)]])
    gather = kinds.get("review_information")
    if gather is not None:
        problems += _items_twice(gather, docs[paths[id(gather)]])
    warning_files = kinds.get("warning_signs", [])
    for other in warning_files[1:]:
        if other.combine != warning_files[0].combine:
            doc = docs[paths[id(other)]]
            msg = "every warning_signs file must declare the same `combine` (signs from all files combine together)"
            problems.append(doc.problem(("combine",), "invalid_value", msg))
    book = kinds.get("portfolio")
    if book is not None and book.value_classes.a_share + book.value_classes.b_share >= 1:
        doc = docs[paths[id(book)]]
        msg = "a_share + b_share must stay below 1 (class C takes the rest)"
        problems.append(doc.problem(("value_classes",), "invalid_value", msg))
    bands = kinds.get("grade_bands")
    if bands is not None:
        doc = docs[paths[id(bands)]]
        seen = [g for grades in bands.classes.values() for g in grades]
        for grade in GRADES:
            if seen.count(grade) != 1:
                msg = f"grade {grade} must belong to exactly one class (found in {seen.count(grade)})"
                problems.append(doc.problem(("classes",), "invalid_value", msg))
    return problems


def _factors_twice(card: Any, doc: Document) -> list[Problem]:
    """A factor written twice scored its rows twice over and left another factor out, silently."""
    problems = []
    ids = [f.id for f in card.factors]
    missing = [name for name in FACTOR_IDS if name not in ids]
    for i, name in enumerate(ids):
        if name in ids[:i]:
            line, _ = doc.where(("factors", ids.index(name), "id"))
            instead = f'; write "{missing[0]}" instead' if len(missing) == 1 else ""
            instead = instead or (f"; write one of {', '.join(missing)} instead" if missing else "")
            msg = f'written twice (first at line {line}): each 5C factor once{instead}'
            problems.append(doc.problem(("factors", i, "id"), "duplicate_id", msg))
    return problems


def _items_twice(model: Any, doc: Document) -> list[Problem]:
    """An item a row lists twice (by either title, case aside) would be asked for twice on one review."""
    problems = []
    for ri, row in enumerate(model.rows):
        seen: dict[str, int] = {}
        for i, item in enumerate(row.gather):
            keys = (item.en.strip().casefold(), item.zh.strip())
            first = next((seen[k] for k in keys if k in seen), None)
            if first is not None:
                line, _ = doc.where(("rows", ri, "gather", first))
                msg = (f'rule {row.id}: gather[{i}]: "{item.en}" is written twice (first at line {line}): '
                       "list each item once")
                problems.append(doc.problem(("rows", ri, "gather", i), "duplicate_item", msg))
            for key in keys:
                seen.setdefault(key, i)
    return problems


def class_map(kinds: dict[str, Any]) -> dict[str, str]:
    """Grade → grade class, from the grade_bands file."""
    return {g: cls for cls, grades in kinds["grade_bands"].classes.items() for g in grades}


def probe_invariants(policy: Policy, rules: list[Entry]) -> list[Problem]:
    """Ask the engine which limit and cadence rows apply to each grade, all else equal: a grade with none, and a
    worse grade more generously treated (monotony.py), for a grade-only customer and for each the rows tell apart."""
    classes = class_map(policy.program.kinds)
    if not set(GRADES) <= set(classes):  # a grade in no class, said by _weights_and_classes: no customer to probe
        return []
    chosen, problems = probe_monotony(policy, rules, classes, grade_only_profile)
    located = {rule.name: (doc, loc) for rule, _n, doc, loc in rules}
    uncovered = []
    for kind, label in (("limit", "credit_limits"), ("cadence", "review_cadence")):
        rows = [r for r, *_ in rules if r.kind == kind]
        if not rows:
            continue
        doc, loc = located[rows[0].name]
        for grade in GRADES:
            if chosen[kind][grade] is None:
                msg = f"no {label} row applies to grade {grade} (rows may only look at grade fields to count here)"
                uncovered.append(doc.problem(loc[:-1], "grade_uncovered", msg))
    return uncovered + problems


def grade_only_profile(grade: str, grade_class: str) -> dict[str, Any]:
    """The profile stage's facts of a customer with `grade` and nothing else against it: no downgrade,
    warning or flag."""
    return {
        "grade": grade,
        "grade_rank": GRADE_RANK[grade],
        "grade_class": grade_class,
        "base_grade": grade,
        "base_grade_rank": GRADE_RANK[grade],
        "downgrade_notches": 0,
        "hold_orders": False,
        "urgent_review": False,
        "request_collateral": False,
        "warning_count": 0,
    }
