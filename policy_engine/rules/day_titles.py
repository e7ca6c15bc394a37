"""title_number_mismatch for days: a title stating a number of days its rule no longer has.

Risk staff edit exactly these numbers: a collection row's `lead_days` under "two days ahead", a
follow-up's `{days_since_last_contact: {gt: 60}}` under "Not contacted for 60 days". Every lint
problem refuses the rule set and a false one blocks a legitimate change, so a title is compared only
where day_counts reads its count for sure and the rule has one number for it to speak of.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from policy_engine.rules.condition_nodes import Cmp, Group, Node, is_number
from policy_engine.rules.day_counts import DayCount, day_counts, written_as
from policy_engine.rules.problems import Problem
from policy_engine.rules.scopes import scope_for

if TYPE_CHECKING:
    from policy_engine.rules.analysis import Entry

AGREEING = {"gt": (0, 1), "gte": (0, -1), "lt": (0, -1), "lte": (0, 1), "eq": (0,)}
"""For each operator, how far a title's day count may stand from its threshold: gt 60 is "for 60
days" or "61 days", gte 91 is "more than 90 days" or "91 days or more"."""

# A reminder's title names the terms in days too ("Terms up to 30 days: two days ahead"): only a
# count said to be ahead of the due date is its lead. 前 alone is no such word: 账龄前十天 is the first
# ten days of age and 30天前期 an earlier period; before a count it must be 提前 or follow the due date.
_LEAD_BEFORE = re.compile(r"(?:提前|(?:到期|期满|截止|付款|还款)日?之?前)\s*$")
_LEAD_AFTER = re.compile(r"^\s*(?:ahead|before|early|in\s+advance|prior|之?前(?![期名列排\d一二两三四五六七八九十百]))",
                         re.I)
# "more than 90 days" reads gte 91, so at gte 61 it should say 60; "under 30 days" reads lte 29.
_ABOVE = re.compile(r"(?:(?:more|longer|later)\s+than|over|beyond|超过|多于)\s*$", re.I)
_BELOW = re.compile(r"(?:(?:less|fewer|shorter)\s+than|under|within\s+less\s+than|不到|少于|不足)\s*$", re.I)
# A rule's title is held to its threshold only where it words its count as one ("for 60 days", "more
# than 90 days past due", 超过60天, 30天以内): "Customers on 30-day terms" or 30天账期客户 names another number.
_BOUND_BEFORE = re.compile(r"(?:\b(?:for|over|beyond|past|after|within|under|at\s+(?:least|most)|(?:more|longer|later|"
                           r"less|fewer|shorter|older)\s+than)|超过|多于|不到|少于|不足|满|逾期)\s*$", re.I)
_BOUND_AFTER = re.compile(r"^\s*(?:or\s+(?:more|longer|less|fewer)|past\s+due|overdue|old\b|ago\b|"
                          r"以上|以下|以内|之内|内|未)", re.I)


def day_title_problems(rules: list[Entry], unsound: frozenset[str] = frozenset()) -> list[Problem]:
    """title_number_mismatch at each title (zh, en) stating other days than its reminder's lead or its one
    day threshold; the rules in `unsound` (a condition problem already refuses them) are not read."""
    problems = []
    for rule, node, doc, loc in rules:
        for lang in ("zh", "en"):
            title = getattr(rule.spec.title, lang)
            if rule.kind == "reminder":
                message = _lead_message(title, int(rule.spec.lead_days))
            elif rule.name not in unsound:
                message = _threshold_message(title, _day_threshold(node, rule.stage))
            else:
                message = None
            if message:
                where = (*loc, "title", lang)
                problems.append(doc.problem(where, "title_number_mismatch", f"rule {rule.id}: title.{lang}: {message}"))
    return problems


def _lead_message(title: str, lead: int) -> str | None:
    stated = [c for c in day_counts(title)
              if _LEAD_BEFORE.search(title[:c.start]) or _LEAD_AFTER.match(title[c.end:])]
    if not stated or any(c.days == lead for c in stated):
        return None
    says = " and ".join(_said(c) for c in stated)
    return (f'the title says {says} but lead_days is {lead}; write "{written_as(stated[0], lead)}" in its place '
            f"(or lead_days: {stated[0].days:g}, if the title is right)")


def _threshold_message(title: str, cmp: Cmp | None) -> str | None:
    counts = day_counts(title)
    if cmp is None or len(counts) != 1:
        return None
    count, threshold = counts[0], int(cmp.value)
    if not (_BOUND_BEFORE.search(title[:count.start]) or _BOUND_AFTER.match(title[count.end:])):
        return None
    if any(count.days == threshold + step for step in AGREEING[cmp.op]):
        return None
    shift = _shift(cmp.op, title[:count.start])
    right = f"{cmp.field}: {{{cmp.op}: {count.days - shift:g}}}"
    return (f"the title says {_said(count)} but the condition is {cmp.field} {cmp.op} {threshold}; write "
            f'"{written_as(count, threshold + shift)}" in its place (or {right}, if the title is right)')


def _shift(op: str, before: str) -> int:
    """From the threshold to the count a title words as it does: "more than 60 days" is gte 61."""
    if op == "gte" and _ABOVE.search(before):
        return -1
    if op == "lte" and _BELOW.search(before):
        return 1
    return 0


def _day_threshold(node: Node | None, stage: str) -> Cmp | None:
    """The one comparison of a field counted in days with a whole number; None when none, several or another."""
    scope = scope_for(stage)
    days = [c for c in comparisons(node) if c.field in scope and scope[c.field].unit == "days"]
    if len(days) != 1 or days[0].op not in AGREEING:
        return None
    value = days[0].value
    return days[0] if is_number(value) and float(value).is_integer() else None


def comparisons(node: Node | None) -> Iterator[Cmp]:
    """Every comparison of a condition, in the order written."""
    if isinstance(node, Cmp):
        yield node
    elif isinstance(node, Group):
        for item in node.items:
            yield from comparisons(item)


def _said(count: DayCount) -> str:
    """The phrase as written, with its days when it counts weeks."""
    return f'"{count.phrase}" ({count.days:g} days)' if count.in_weeks else f'"{count.phrase}"'
