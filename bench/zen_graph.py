"""The scorecard, grade bands and warning signs of a compiled policy as a GoRules JDM decision graph.

The graph is built from the compiled Program (never written by hand), so it stays equivalent to
the rule files it was compiled from:

    features ─┬─ "5C <factor>" decision tables (hit policy first, one per factor) ─┐
              ├────────────────────────────────────────────────────────────────┴─ "score" expression
              │                                                                    │
              │                                        "grade bands" decision table (first)
              │                                                                    │
              └─ "warning signs" decision table (hit policy collect) ──── "final grade" expression ─ output

Output: {score, grade, warnings: [rule ids in file order]}.

Conditions are translated from the rule language into ZEN expressions with the rule files'
semantics: a comparison on a missing field is false, also under `not`, so `not` is pushed down to
the comparisons (De Morgan) and every comparison is guarded with `field != null and ...`.
ZEN numbers are decimals, so the score is rounded with ZEN's `round(x, 1)` (half away from zero);
the engine rounds a binary float with Python's `round`, which can differ on an exact .x5 tie.

    from bench.zen_graph import ZenRater
    rater = ZenRater(policy.program)
    score, grade, warnings = rater.rate(features)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from policy_engine.domain.values import GRADE_RANK, GRADES
from policy_engine.features import FEATURE_BY_NAME
from policy_engine.ir import CompiledRule, Program
from policy_engine.rules.conditions import Checker, Cmp, Group, Node
from policy_engine.rules.scopes import SCOPES, scope_for

GRAPH_KEY = "credit-rating.json"
_NEGATE = {"lt": "gte", "lte": "gt", "gt": "lte", "gte": "lt", "eq": "ne", "ne": "eq"}
_ZEN_OP = {"eq": "==", "ne": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


# --- conditions → ZEN expressions -----------------------------------------------------------------


def literal(value: Any) -> str:
    """A constant as a ZEN literal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        text = repr(value) if not isinstance(value, Decimal) else str(value)
        return format(Decimal(text), "f") if "e" in text.lower() else text
    if isinstance(value, str):
        return json.dumps(value)
    raise TypeError(f"no ZEN literal for {value!r}")


def parse_condition(rule: CompiledRule) -> Node | None:
    """The rule's `when` parsed (and type-checked) by the policy's own condition parser."""
    catalogue: dict[str, Any] = dict(FEATURE_BY_NAME)
    for scope in SCOPES.values():
        catalogue.update(scope)
    checker = Checker(scope_for(rule.stage), catalogue, lambda loc, code, msg: f"{loc}: {code}: {msg}")
    node = checker.parse(rule.spec.when, ("when",))
    if checker.problems:
        raise ValueError(f"{rule.id}: {checker.problems}")
    return node


def condition_expr(node: Node | None, ref: Callable[[str], str] = str, negate: bool = False) -> str:
    """The condition as a ZEN boolean expression; `ref` maps a field name to how the graph reads it."""
    if node is None:
        return "false" if negate else "true"
    if isinstance(node, Group):
        if node.op == "not":
            return condition_expr(node.items[0], ref, not negate)
        conj = (node.op == "all") != negate
        parts = [condition_expr(item, ref, negate) for item in node.items]
        if len(parts) == 1:
            return parts[0]
        return "(" + (" and " if conj else " or ").join(parts) + ")"
    return _cmp_expr(node, ref, negate)


def _cmp_expr(c: Cmp, ref: Callable[[str], str], negate: bool) -> str:
    op, value = c.op, c.value
    name = c.field
    if op in ("at_least", "at_most"):  # grades compare by rank: AAA 1 … C 9
        op, value, name = ("lte" if op == "at_least" else "gte"), GRADE_RANK[value], f"{name}_rank"
    f = ref(name)
    if op == "exists":
        return f"{f} != null" if bool(value) != negate else f"{f} == null"
    if op == "between":
        lo, hi = literal(value[0]), literal(value[1])
        test = f"({f} < {lo} or {f} >= {hi})" if negate else f"{f} >= {lo} and {f} < {hi}"
    elif op in ("in", "not_in"):
        member = (op == "in") != negate
        items = "[" + ", ".join(literal(v) for v in value) + "]"
        test = f"{f} in {items}" if member else f"not ({f} in {items})"
    else:
        test = f"{f} {_ZEN_OP[_NEGATE[op] if negate else op]} {literal(value)}"
    return f"({f} != null and {test})"


# --- the graph -------------------------------------------------------------------------------------


def _node(node_id: str, kind: str, x: int, y: int, content: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": node_id, "type": kind, "name": node_id, "position": {"x": x, "y": y}}
    if content is not None:
        out["content"] = content
    return out


def _table(
    hit: str, outputs: list[str], rows: list[tuple[str, list[str]]], field: str | None = None, **extra: Any
) -> dict[str, Any]:
    """A decision table with one input column (`field`, or none: each cell is a whole expression)."""
    column: dict[str, Any] = {"id": "in", "name": field or "condition", "type": "expression"}
    if field:
        column["field"] = field
    return {
        "hitPolicy": hit,
        "inputs": [column],
        "outputs": [{"id": f"o{i}", "name": name, "type": "expression", "field": name}
                    for i, name in enumerate(outputs)],
        "rules": [{"_id": f"r{j}", "in": cell, **{f"o{i}": v for i, v in enumerate(values)}}
                  for j, (cell, values) in enumerate(rows)],
        "passThrough": False,
        **extra,
    }


def build_graph(program: Program) -> dict[str, Any]:
    """The JDM decision graph of the program's scorecard, grade bands and warning signs."""
    card = program.kinds["scorecard"]
    combine = program.kinds["warning_signs"][0].combine if program.kinds.get("warning_signs") else None
    by_table: dict[str, list[CompiledRule]] = {}
    for rule in program.rules:
        by_table.setdefault(rule.table, []).append(rule)

    nodes = [_node("features", "inputNode", 0, 300)]
    edges: list[tuple[str, str]] = []

    # One first-hit table per 5C factor: the first matching row's points, else the default.
    for i, factor in enumerate(card.factors):
        rows = [(condition_expr(parse_condition(r)), [literal(r.spec.points)])
                for r in by_table.get(f"scorecard.{factor.id}", [])]
        rows.append(("", [literal(factor.default_points)]))
        node_id = f"5C {factor.id}"
        nodes.append(_node(node_id, "decisionTableNode", 300, 100 * i, _table("first", [f"points_{factor.id}"], rows)))
        edges.append(("features", node_id))

    # The score: weighted points, blended with staff's own 5C scores when they have assessed.
    rule_sum = " + ".join(f"{literal(f.weight)} * points_{f.id}" for f in card.factors)
    staff_sum = " + ".join(
        f"{literal(f.weight)} * (assess_{f.id} != null ? assess_{f.id} : points_{f.id})" for f in card.factors
    )
    w = literal(card.staff_assessment_weight)
    score = {
        "passThrough": False,
        "expressions": [
            {"id": "rule", "key": "rule_score", "value": rule_sum},
            {"id": "staff", "key": "staff_score", "value": staff_sum},
            {"id": "blend", "key": "blend", "value": f"has_assessment == true ? {w} : 0"},
            {"id": "score", "key": "score",
             "value": "round((1 - $.blend) * $.rule_score + $.blend * $.staff_score, 1)"},
        ],
    }
    nodes.append(_node("score", "expressionNode", 600, 200, score))
    edges += [("features", "score")] + [(f"5C {f.id}", "score") for f in card.factors]

    # Grade bands: first hit. (Cells are whole expressions: ZEN's unary form of a column cannot
    # hold the parenthesised or-terms a negated band would need.)
    band_rows = []
    for r in by_table["grade_bands"]:
        band_rows.append((condition_expr(parse_condition(r)), [str(GRADE_RANK[r.spec.grade]), literal(r.id)]))
    bands = _table("first", ["base_rank", "band"], band_rows, passThrough=True)
    nodes.append(_node("grade bands", "decisionTableNode", 900, 200, bands))
    edges.append(("score", "grade bands"))

    # Warning signs: every matching row (collect), with its effects as outputs.
    warn_rows = []
    for r in by_table.get("warnings", []):
        fx = r.spec.effects
        cap = GRADE_RANK[fx.cap_grade] if fx.cap_grade else 1
        warn_rows.append((condition_expr(parse_condition(r)), [literal(r.id), str(fx.downgrade), str(cap)]))
    warnings = _table("collect", ["id", "downgrade", "cap_rank"], warn_rows, outputPath="warnings")
    nodes.append(_node("warning signs", "decisionTableNode", 600, 500, warnings))
    edges.append(("features", "warning signs"))

    # The final grade: base rank plus notches (summed or maxed, capped), no better than the worst cap.
    notches = "0"
    if combine is not None:
        agg = "sum(map($.ws, #.downgrade))" if combine.downgrade == "sum" else (
            "(len($.ws) > 0 ? max(map($.ws, #.downgrade)) : 0)")
        notches = f"min([{agg}, {combine.max_downgrade}])"
    grades = "[" + ", ".join(literal(g) for g in GRADES) + "]"
    final = {
        "passThrough": False,
        "expressions": [
            {"id": "ws", "key": "ws", "value": "warnings != null ? warnings : []"},
            {"id": "notches", "key": "notches", "value": notches},
            {"id": "cap", "key": "cap_rank", "value": "len($.ws) > 0 ? max([1, max(map($.ws, #.cap_rank))]) : 1"},
            {"id": "rank", "key": "rank", "value": f"min([{len(GRADES)}, max([base_rank + $.notches, $.cap_rank])])"},
            {"id": "o_score", "key": "score", "value": "score"},
            {"id": "o_grade", "key": "grade", "value": f"{grades}[$.rank - 1]"},
            {"id": "o_warn", "key": "warnings", "value": "map($.ws, #.id)"},
        ],
    }
    nodes.append(_node("final grade", "expressionNode", 1200, 300, final))
    edges += [("grade bands", "final grade"), ("warning signs", "final grade")]
    nodes.append(_node("decision", "outputNode", 1500, 300))
    edges.append(("final grade", "decision"))
    return {
        "contentType": "application/vnd.gorules.decision",
        "nodes": nodes,
        "edges": [{"id": f"e{i}", "sourceId": s, "targetId": t, "type": "edge"} for i, (s, t) in enumerate(edges)],
    }


def input_fields(program: Program) -> tuple[str, ...]:
    """The feature fields the graph reads (what it is sent, as the engine is sent only its stage's fields)."""
    names = {"has_assessment"} | {f"assess_{f.id}" for f in program.kinds["scorecard"].factors}
    for rule in program.rules:
        if rule.kind in ("score_row", "warning"):
            names.update(rule.fields)
    return tuple(sorted(names))


class ZenRater:
    """The graph loaded in zen-engine: `rate(features)` → (score, grade, warning rule ids)."""

    def __init__(self, program: Program):
        import zen  # zen-engine; imported here so the rest of the module works without it

        self.graph = build_graph(program)
        self.fields = input_fields(program)
        # engine.evaluate(key) on a loaded graph: ZenDecision.evaluate costs ~200 µs more per call
        # in zen-engine 2.1 (measured), so the faster documented path is the fair one.
        self.engine = zen.ZenEngine({"loader": {"type": "static", "content": {GRAPH_KEY: self.graph}}})
        self.engine.evaluate(GRAPH_KEY, {})  # load and compile once, outside any timing

    def context(self, features: dict[str, Any]) -> dict[str, Any]:
        """The graph's input: the fields it reads, money as numbers."""
        out: dict[str, Any] = {}
        for name in self.fields:
            value = features.get(name)
            if value is not None:
                out[name] = float(value) if isinstance(value, Decimal) else value
        return out

    def rate(self, features: dict[str, Any]) -> tuple[float, str, list[str]]:
        result = self.engine.evaluate(GRAPH_KEY, self.context(features))["result"]
        return float(result["score"]), result["grade"], result["warnings"]

    def unrounded_score(self, features: dict[str, Any]) -> Decimal:
        """The score before rounding, as the graph computed it (read from a trace; for diagnostics)."""
        trace = self.engine.evaluate(GRAPH_KEY, self.context(features), {"trace": True})["trace"]
        out = trace["score"]["output"]
        blend = Decimal(repr(out["blend"]))
        return (1 - blend) * Decimal(repr(out["rule_score"])) + blend * Decimal(repr(out["staff_score"]))
