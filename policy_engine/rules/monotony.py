"""The invariant a worse grade never gets a more generous limit or a longer review interval, probed on the engine.

The engine is asked which limit and cadence row each grade gets, first for a customer with the grade and nothing
else, then for each customer the rows tell apart: a row that also looks at `size`, `value_class`, a flag or a
threshold applies only to some customers of its grade, and a grade-only customer never meets it. So each value of
such a field the rows name (and each side of each threshold, and the field unknown) is probed, for all nine grades
with the same facts."""

from __future__ import annotations

from itertools import product
from typing import TYPE_CHECKING, Any

from policy_engine.domain.values import GRADES
from policy_engine.ir import CompiledRule
from policy_engine.rules.boxes import box_of, is_empty
from policy_engine.rules.condition_nodes import Cmp, Group, Node, is_number
from policy_engine.rules.problems import Problem
from policy_engine.rules.scopes import SCOPES

if TYPE_CHECKING:
    from policy_engine.evaluator import Policy
    from policy_engine.rules.analysis import Entry

INF = float("inf")
KINDS = (("limit", "credit_limits"), ("cadence", "review_cadence"))
GRADE_TIED = frozenset({"score", "grade", "grade_rank", "grade_class", "base_grade", "base_grade_rank",
                        "downgrade_notches"})
"""Fields that follow from the grade: held with it, never varied beside it (a score of 73 is no grade A)."""
MAX_CONTEXTS = 256
"""Combinations probed at most (× 9 grades, ~11 µs a match: ~25 ms); past it each field is varied alone, beside a
customer meeting each row whose condition is an and of comparisons."""
Context = tuple[tuple[str, Any], ...]  # (field, value) pairs; a value of None: the field unknown
Table = dict[str, CompiledRule | None]


def probe_monotony(policy: Policy, rules: list[Entry], classes: dict[str, str],
                   base_profile: Any) -> tuple[dict[str, Table], list[Problem]]:
    """The rows each grade gets with nothing but its grade (for grade_uncovered), and every not_monotonic problem:
    each pair of rows and setting once, at the row a customer of that kind meets instead of its grade's usual one."""
    located = {rule.name: (doc, loc) for rule, _n, doc, loc in rules}
    nodes = [node for rule, node, *_ in rules if rule.kind in dict(KINDS) and node is not None]
    contexts = list(dict.fromkeys([(), *_contexts(nodes), *filter(None, map(_witness, nodes))]))
    base: dict[str, Table] = {}
    problems: list[Problem] = []
    seen: set[tuple[str, str, str]] = set()
    for context in contexts:
        chosen = _rows_by_grade(policy, classes, base_profile, context)
        base = base or chosen
        for kind, _label in KINDS:
            for better, worse, a, b, name, x, y in _breaches(kind, chosen[kind]):
                if (a.name, b.name, name) in seen:
                    continue
                seen.add((a.name, b.name, name))
                at_better = base[kind][better] is not a
                doc, loc = located[(a if at_better else b).name]
                problems.append(doc.problem(loc, "not_monotonic", _message(
                    kind, context, (better, a, x), (worse, b, y), name, at_better)))
    return base, problems


def _rows_by_grade(policy: Policy, classes: dict[str, str], base_profile: Any, context: Context) -> dict[str, Table]:
    chosen: dict[str, Table] = {kind: {} for kind, _ in KINDS}
    for grade in GRADES:
        facts = {**base_profile(grade, classes[grade]), **dict(context)}
        fired = policy.match_stage("profile", {k: v for k, v in facts.items() if v is not None})
        for kind in chosen:
            chosen[kind][grade] = next((r for r in fired if r.kind == kind), None)
    return chosen


def _contexts(nodes: list[Node]) -> list[Context]:
    """Every combination of the probe values of the fields the rows compare beside the grade (the field unknown
    first); past MAX_CONTEXTS, one field at a time."""
    values: dict[str, set[Any]] = {}
    for node in nodes:
        for cmp in _comparisons(node):
            if cmp.field not in GRADE_TIED:
                values.setdefault(cmp.field, set()).update(_operands(cmp))
    fields = sorted(values)
    choices = [[None, *_probe_values(name, values[name])] for name in fields]
    total = 1
    for options in choices:
        total *= len(options)
    if total <= MAX_CONTEXTS:
        combos = [tuple(zip(fields, combo, strict=True)) for combo in product(*choices)]
    else:
        combos = [((name, value),) for name, options in zip(fields, choices, strict=True) for value in options]
    return [c for c in combos if any(v is not None for _f, v in c)]


def _witness(node: Node) -> Context:
    """A customer meeting a row whose condition is an and of comparisons, in the fields beside the grade (empty
    when there is none, or it is no such row): the combination a row on many fields needs, past MAX_CONTEXTS too."""
    box = box_of(node) or {}
    point = []
    for name in sorted(set(box) - GRADE_TIED):
        value = _inside(box[name])
        if value is None:
            return ()
        point.append((name, value))
    return tuple(point)


def _inside(constraint: Any) -> Any:
    """A value meeting one field's constraint of a box (None: none does)."""
    if is_empty(constraint):
        return None
    if isinstance(constraint, frozenset):
        return min(constraint, key=str)
    lo, lo_in, hi, hi_in = constraint
    if lo_in:
        return lo
    if hi_in:
        return hi
    if lo > -INF and hi < INF:
        return (lo + hi) / 2
    return lo + 1 if lo > -INF else (hi - 1 if hi < INF else 0)


def _comparisons(node: Node) -> list[Cmp]:
    if isinstance(node, Cmp):
        return [node]
    return [cmp for item in node.items for cmp in _comparisons(item)] if isinstance(node, Group) else []


def _operands(cmp: Cmp) -> list[Any]:
    if cmp.op == "exists":
        return []
    return list(cmp.value) if isinstance(cmp.value, list | tuple) else [cmp.value]


def _probe_values(name: str, operands: set[Any]) -> list[Any]:
    """The values that tell the rows' conditions on `name` apart: each value of a closed set, true and false,
    or each threshold with a point below, between and above them."""
    spec = SCOPES["profile"].get(name)
    if spec is not None and spec.type == "enum":
        return list(spec.values)
    if spec is not None and spec.type == "boolean":
        return [False, True]
    points = sorted({float(v) for v in operands if is_number(v)})
    if not points:
        return [0]
    between = [(lo + hi) / 2 for lo, hi in zip(points, points[1:], strict=False)]
    return sorted({points[0] - 1, *points, *between, points[-1] + 1})


def _generosity(kind: str, rule: CompiledRule) -> tuple[tuple[str, float], ...]:
    if kind == "cadence":
        return (("interval_months", float(rule.spec.interval_months)),)
    f = rule.spec.limit
    return (("months_of_purchases", f.months_of_purchases or 0.0), ("share_of_net_worth", f.share_of_net_worth or 0.0),
            ("floor", f.floor), ("cap", INF if f.cap is None else f.cap))


def _breaches(kind: str, table: Table) -> list[tuple[str, str, CompiledRule, CompiledRule, str, float, float]]:
    """(better grade, worse grade, their rows, the term, its values) wherever the worse grade's row is more generous;
    a grade without a row is passed over (grade_uncovered says it for the grade-only customer)."""
    ranked = [(grade, row) for grade, row in table.items() if row is not None]
    found = []
    for (better, a), (worse, b) in zip(ranked, ranked[1:], strict=False):
        if a is b:
            continue
        for (name, x), (_n, y) in zip(_generosity(kind, a), _generosity(kind, b), strict=True):
            if y > x:
                found.append((better, worse, a, b, name, x, y))
    return found


def _message(kind: str, context: Context, better: tuple[str, CompiledRule, float],
             worse: tuple[str, CompiledRule, float], name: str, at_better: bool) -> str:
    (g1, a, x), (g2, b, y) = better, worse
    what = "review interval" if kind == "cadence" else f"limit ({name})"
    who = _customer(context)
    msg = f'grade {g2} ("{b.id}") gets a larger {what} than the better grade {g1} ("{a.id}"){who}: {y:g} > {x:g}'
    if not who:
        return msg
    if at_better:
        return f'{msg}; give "{a.id}" at least {y:g}, or grade {g2} a row of its own for these customers, at most {x:g}'
    return f'{msg}; give "{b.id}" at most {x:g}, or grade {g1} a row of its own for these customers, at least {y:g}'



def _customer(context: Context) -> str:
    known = [f"{name} {_shown(v)}" for name, v in context if v is not None]
    return f" for a customer with {', '.join(known)}" if known else ""


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)
