"""`too_many_rules`: a rule set past the engine's fixed node tables (engine_network.py), `too_many_at_once`:
one whose comparisons could hold too many at once for one customer (engine_stack.py), each said at the rule
that takes it past, before durable_rules sees it (a full table hangs or crashes the core; a full match stack
fails that customer's decision), and `too_many_groups`: a rule whose condition has more `and`/`or` groups than
the core takes in one rule (it would refuse the rule set naming no rule). The first two are counted per fact
the engine matches: a stage, or in the customer stage each kind of rule (ir.fact_of), so the message names that
group of rules."""

from __future__ import annotations

from typing import Any

from policy_engine.engine_network import overloads
from policy_engine.ir import PER_KIND_STAGES, CompiledRule
from policy_engine.rules.loader import Document
from policy_engine.rules.problems import Problem
from policy_engine.rules.scopes import KIND_WORDS

_STAGE_KINDS = {"customer": "scorecard rows, warning signs and follow-ups", "invoice": "collection reminders",
                "rating": "grade bands", "profile": "limits, review cadence and review information",
                "order": "order checks"}



def fact_rules(stage: str, kind: str) -> str:
    """The rules matching one fact, as risk staff name them: `the customer stage's warning signs`."""
    if stage in PER_KIND_STAGES:
        return f"the {stage} stage's {KIND_WORDS.get(kind, kind)}"
    return f"the {stage} stage's rules ({_STAGE_KINDS.get(stage, stage)})"


_WHAT = {
    "branches": ("{count} different comparisons where their conditions part (right after the stage, or after "
                 "the leading comparisons they share); the engine takes at most {bound} (its table of 512 fills "
                 "and then hangs)",
                 "write fewer rules there: rules that differ only in a threshold each add one, and so does each "
                 "band of a scorecard row (`between` is a lower bound, then an upper one)"),
    "same_condition": ("{count} rules with this same condition; the engine takes at most {bound} (past 256 it "
                       "crashes)", "merge rules whose conditions are the same"),
    "absent_or_any": ("{count} `exists: false` comparisons and `any` groups ending at one point; the engine takes "
                      "at most {bound} (past 128 it fails)", "write fewer of them there"),
    "match_stack": ("{count} comparisons that could hold at once for one customer (the engine keeps them waiting on "
                    "a stack of 64 while it matches, and fails that customer's decision past it); we allow at most "
                    "{bound}",
                    "write fewer rules there that can hold together: rules that differ only in a threshold on one "
                    "field all hold for a large enough value (so do a scorecard row's bands, each starting with its "
                    "lower bound), and each warning flag and each branch of an `any` holds on its own; `eq` or `in` "
                    "values of one field exclude each other and count once"),
}
_CODE = {"match_stack": "too_many_at_once"}
_PAST = {"match_stack": "this rule takes it past"}
_GROUPS = ("its condition makes {count} `and`/`or` groups in the engine, which takes at most {bound} in one rule (it "
           "refuses the whole rule set at the {cliff}th, durable_rules error 113). One is the condition itself, one "
           "each `any` (and each `not` of an `all`), one each `in` list of several values, and one each branch of an "
           "`any` that is more than one comparison (an `all`, a `between`, a `not_in` of several values); `all` and "
           "`not_in` elsewhere make none: write fewer of these groups in this rule (an `in` list of numbers that run "
           "in a range as one `between`, two `any` on the same field as one), or split the condition across rules")


def network_problems(rules: list[tuple[CompiledRule, Any, Document, tuple[Any, ...]]],
                     definition: dict[str, Any]) -> list[Problem]:
    """A `too_many_rules` problem at the first rule past each bound of the engine's node tables, and a
    `too_many_at_once` one at the first rule past the bound of its match stack."""
    by_name = {rule.name: (rule, doc, loc) for rule, _node, doc, loc in rules}
    problems = []
    for over in overloads(definition):
        rule, doc, loc = by_name[over.rule]
        if over.table == "and_or_groups":  # a bound of each rule on its own
            said = _GROUPS.format(count=over.count, bound=over.bound, cliff=over.bound + 1)
            problems.append(doc.problem(loc, "too_many_groups", f"rule {rule.id}: {said}"))
            continue
        said, todo = _WHAT[over.table]
        whose = f"{fact_rules(rule.stage, rule.kind)}, across all their files,"
        past = _PAST.get(over.table, f"this rule is number {over.bound + 1}")
        message = f"rule {rule.id}: {whose} have {said.format(count=over.count, bound=over.bound)}; {past}: {todo}"
        problems.append(doc.problem(loc, _CODE.get(over.table, "too_many_rules"), message))
    return problems
