"""title_number_mismatch for percentages: a title stating a bound in percent its rule's ratio threshold does not have.

`Debt ratio above 80%` (负债率超过80%) on `{debt_ratio: {gt: 0.85}}` linted clean, and the title is what every
decision's reasons show. A ratio field (the catalogue's plain numbers and shares: debt_ratio, current_ratio,
limit_utilisation …) holds a fraction, so 80% is 0.8 and a ratio of 1.2 is 120%. As for day counts, a title is held
to its rule only where it words its one percentage as a bound (above, under, at least, 超过, 以上, ≥ …) and the rule
has one threshold on a ratio field: a range (40–60%) or list says nothing.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

from policy_engine.features import FieldSpec
from policy_engine.rules.condition_nodes import Cmp, is_number
from policy_engine.rules.day_titles import comparisons
from policy_engine.rules.month_counts import stands_alone
from policy_engine.rules.number_words import EN_WORD_NUM, ZH_NUM, en_spelled, read_number, zh_numeral
from policy_engine.rules.problems import Problem
from policy_engine.rules.scopes import scope_for

if TYPE_CHECKING:
    from policy_engine.rules.analysis import Entry

_PERCENT = re.compile(rf"(?P<n>\d+(?:\.\d+)?|{EN_WORD_NUM})\s*(?:%|％|\s*per\s*cent\b)|百分之(?P<zh>{ZH_NUM})", re.I)
_BOUND_BEFORE = re.compile(r"(?:\b(?:above|over|beyond|exceed(?:s|ing)?|below|under|up\s+to|at\s+(?:least|most)|"
                           r"(?:more|greater|higher|less|lower|fewer)\s+than)|超过|超出|高于|低于|大于|小于|多于|少于|"
                           r"不到|不足|不超过|不低于|达到|[<>≤≥＜＞]=?)\s*$", re.I)
_BOUND_AFTER = re.compile(r"^\s*(?:(?:or|and)\s+(?:more|less|above|below|over|under|higher|lower)\b|"
                          r"以上|以下|以内|之内)", re.I)
_OPS = ("gt", "gte", "lt", "lte", "eq")


class Percent(NamedTuple):
    """A percentage as written in a title: the phrase, its value (80 for 80%), its number as written, where it is."""

    phrase: str
    value: float
    number: str
    start: int
    end: int


def is_ratio(spec: FieldSpec) -> bool:
    """Whether a field holds a ratio or share as a fraction (0.8 for 80%): a plain number that is no money, score,
    count of days or months (the catalogue's unit is empty, 0-1 or 0-1+)."""
    return spec.type == "number" and not spec.money and spec.unit in ("", "0-1", "0-1+")


def percent_title_problems(rules: list[Entry], unsound: frozenset[str] = frozenset()) -> list[Problem]:
    """title_number_mismatch at each title (zh, en) whose one bounding percentage is not its rule's one ratio
    threshold; the rules in `unsound` (a condition problem already refuses them) are not read."""
    problems = []
    for rule, node, doc, loc in rules:
        cmp = None if rule.name in unsound else _ratio_threshold(list(comparisons(node)), rule.stage)
        if cmp is None:
            continue
        for lang in ("zh", "en"):
            message = _message(getattr(rule.spec.title, lang), cmp)
            if message:
                problems.append(doc.problem((*loc, "title", lang), "title_number_mismatch", f"title.{lang}: {message}"))
    return problems


def _ratio_threshold(found: list[Cmp], stage: str) -> Cmp | None:
    """The one comparison of a ratio field with a number; None when none, several or another operator."""
    scope = scope_for(stage)
    ratios = [c for c in found if c.field in scope and is_ratio(scope[c.field])]
    if len(ratios) != 1 or ratios[0].op not in _OPS or not is_number(ratios[0].value):
        return None
    return ratios[0]


def _message(title: str, cmp: Cmp) -> str | None:
    stated = _percentages(title)
    if len(stated) != 1:
        return None
    said = stated[0]
    if not (_BOUND_BEFORE.search(title[:said.start]) or _BOUND_AFTER.match(title[said.end:])):
        return None
    threshold, fraction = float(cmp.value), round(said.value / 100, 8)
    if abs(fraction - threshold) < 1e-9:
        return None
    right = f"{cmp.field}: {{{cmp.op}: {fraction:g}}}"
    head = f'the title says "{said.phrase}" ({fraction:g}) but the condition is {cmp.field} {cmp.op} {threshold:g}'
    if abs(said.value - threshold) < 1e-9:  # the percentage itself as the threshold: "8500%" would be no fix
        return (f"{head}, the percentage written whole: {said.phrase} is {fraction:g}, as a ratio is a fraction "
                f"here; write {right}")
    meant = round(threshold * 100, 6)
    return f'{head}; write "{_written_as(said, meant)}" in its place (or {right}, if the title is right)'


def _percentages(title: str) -> list[Percent]:
    """Every percentage `title` states that stands alone (not an end of a range or list)."""
    found = []
    for match in _PERCENT.finditer(title):
        number = match["n"] or match["zh"]
        value = read_number(number)
        if value is not None and stands_alone(title, match.start(), match.end()):
            found.append(Percent(match[0], value, number, match.start(), match.end()))
    return found


def _written_as(said: Percent, value: float) -> str:
    """`value` percent written as `said` was: its digits, English words or Chinese numeral (whole numbers only)."""
    if re.fullmatch(r"\d+(?:\.\d+)?", said.number) or not float(value).is_integer():
        number = f"{value:g}"
    elif said.phrase.startswith("百分之"):
        number = zh_numeral(int(value))
    else:
        number = en_spelled(int(value))
    return said.phrase.replace(said.number, number, 1)
