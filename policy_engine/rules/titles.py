"""title_number_mismatch: a review or limit row whose title states a number of months the row no longer has.

Risk staff change `interval_months` and forget the title, and the title is what each decision's
reasons and actions show ("Class B every three months" on a row that reviews every two). Every lint
problem refuses the rule set, so only what month_counts reads for sure is compared, and a title
is right when any month count it states is the row's.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from policy_engine.rules.month_counts import MonthCount, month_counts
from policy_engine.rules.number_words import en_words, zh_numeral
from policy_engine.rules.problems import Problem

if TYPE_CHECKING:
    from policy_engine.rules.analysis import Entry

SETTINGS = {"cadence": "interval_months", "limit": "validity_months"}
"""The rule kinds whose titles are checked, and the setting their month count must agree with."""

# A limit counts months of purchases too ("four months of purchases"): only a count said to be the
# limit's validity is its validity_months.
_VALID_BEFORE = re.compile(r"(?:valid(?:ity)?(?:\s+(?:for|of))?|holds?(?:\s+for)?|有效期?\s*[为是：:]?)\s*$", re.I)
_VALID_AFTER = re.compile(r"^\s*(?:validity|valid|有效)", re.I)


def title_problems(rules: list[Entry]) -> list[Problem]:
    """title_number_mismatch at each title (zh, en) of a review or limit row that states other months."""
    problems = []
    for rule, _node, doc, loc in rules:
        setting = SETTINGS.get(rule.kind)
        if setting is None:
            continue
        months = getattr(rule.spec, setting)
        for lang in ("zh", "en"):
            stated = _stated(rule.kind, getattr(rule.spec.title, lang))
            if stated and all(count.months != months for count in stated):
                message = _message(rule.id, lang, stated, setting, months)
                problems.append(doc.problem((*loc, "title", lang), "title_number_mismatch", message))
    return problems


def _stated(kind: str, title: str) -> list[MonthCount]:
    """The month counts of `title` that speak of the row's setting."""
    counts = month_counts(title)
    if kind != "limit":
        return counts
    return [c for c in counts if _VALID_BEFORE.search(title[:c.start]) or _VALID_AFTER.match(title[c.end:])]


def _message(rule_id: str, lang: str, stated: list[MonthCount], setting: str, months: int) -> str:
    says = " and ".join(f'"{c.phrase}" ({_months(c.months)})' for c in stated)
    instead = _phrase(setting, lang, months)
    # The settings take whole months: half a month (半个月) has no setting to offer instead.
    whole = [c.months for c in stated if float(c.months).is_integer()]
    other = f" (or {setting}: {_count(whole[0])}, if the title is right)" if whole else ""
    return (f"rule {rule_id}: title.{lang}: the title says {says} but {setting} is {months}; write "
            f'"{instead}" in its place{other}')


def _phrase(setting: str, lang: str, months: int) -> str:
    """How the shipped titles would say `months` for this setting, in this language."""
    if setting == "validity_months":
        return f"有效期{zh_numeral(months)}个月" if lang == "zh" else f"valid {_months(months, words=True)}"
    if months == 1:
        return "每月" if lang == "zh" else "every month"
    return f"每{zh_numeral(months)}个月" if lang == "zh" else f"every {en_words(months)} months"


def _count(months: float) -> str:
    return f"{months:g}"


def _months(months: Any, words: bool = False) -> str:
    n = en_words(int(months)) if words and float(months).is_integer() else _count(months)
    return f"{n} month" if months == 1 else f"{n} months"
