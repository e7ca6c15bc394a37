"""What `simulate` says of each change a candidate makes that the counts above do not name, and why.

A risk officer who raises the AA limit on a book with no AA customer saw "0 changed" and no word on why, and read
"my change does nothing". The lines say what simulate knows from the engine (adapters/batch/simulate_rules.py):
the grades a rule applies to and that no customer holds them, or else that it fired for no customer either way.
A rule moved in a first-hit table and a setting outside the rules (a scorecard weight, a feature window) changed
no rule's content and were not named at all: each gets its line, a moved rule with the customers it decided for
under each policy, a setting with what it decides and how many customers that moves for
(adapters/batch/simulate_settings.py), and what it does alone on the live rules (adapters/batch/simulate_alone.py),
with one line saying for which customers and what the whole candidate does to the same ones.
"""

from __future__ import annotations

from typing import Any

from policy_engine.words import plural

SHOWN = 12
"""Changes named on screen; --json lists them all."""
NAMED = 3
"""Rules a moved rule now decides before or after, named in its line."""


def why_lines(result: dict[str, Any]) -> list[str]:
    """One line per changed rule that fired for no customer, live or candidate (the grades no customer holds when
    they are known); one per moved rule that fired; when no customer changed, one per changed rule that fired and
    decided the same; then one per changed setting."""
    rows = result.get("changed_rules") or []
    if result.get("order_check") is None:  # an order step fires only for an order: the line above says so
        rows = [r for r in rows if r["kind"] != "order_checks"]
    idle = [_idle(r) for r in rows if not r["live"] and not r["candidate"]]
    fired = [r for r in rows if r["live"] or r["candidate"]]
    same = [_same(r) for r in fired] if not result["changed"] else [_fired(r) for r in fired if r.get("moved")]
    settings = [_setting(s, result) for s in result.get("changed_settings") or ()]
    lines = idle + same + settings
    if len(lines) > SHOWN:
        more = len(lines) - SHOWN
        lines = [*lines[:SHOWN], f"… and {more} more {plural(more, 'change')} (--json lists them all)"]
    return lines + _sample_line(result.get("settings_alone"))


def _rule(row: dict[str, Any]) -> str:
    """`the changed rule limit.a`, `the moved rule score.character.mostly_prompt (scorecard.character row 2 → 1,
    now before score.character.prompt)`."""
    moved = row.get("moved")
    if not moved:
        return f"the {row['status']} rule {row['rule_id']}"
    (table, to_table), (row_at, to_row) = moved["table"], moved["row"]
    where = f"{table} row {row_at} → " + (f"{to_row}" if table == to_table else f"{to_table} row {to_row}")
    passed = [f"now {word} {_names(moved[key])}" for key, word in (("now_before", "before"), ("now_after", "after"))
              if moved[key]]  # fmt: skip
    also = "" if row["status"] == "moved" else "also moved: "
    return f"the {row['status']} rule {row['rule_id']} ({also}{', '.join([where, *passed])})"


def _names(rule_ids: list[str]) -> str:
    """`a`, `a and b`, `a, b, c and 2 more`."""
    if len(rule_ids) <= NAMED:
        return " and ".join([", ".join(rule_ids[:-1]), rule_ids[-1]]) if len(rule_ids) > 1 else rule_ids[0]
    return f"{', '.join(rule_ids[:NAMED])} and {len(rule_ids) - NAMED} more"


def _idle(row: dict[str, Any]) -> str:
    """`the changed rule limit.aa applies to grade AA only, and no customer in this portfolio is graded AA, …`."""
    rule = _rule(row)
    grades, graded = row["grades"], row["graded"]
    if grades and graded and not graded["live"] and not graded["candidate"]:
        which = " or ".join(grades)
        return (f"{rule} applies to {plural(len(grades), 'grade')} {' and '.join(grades)} only, and no customer in "
                f"this portfolio is graded {which}, live or candidate: it decides nothing here")
    return f"{rule} fired for no customer in this portfolio, live or candidate: it decides nothing here"


def _fired(row: dict[str, Any]) -> str:
    """`the moved rule … fired for 41 customers live and 118 with the candidate`."""
    live, cand = row["live"], row["candidate"]
    return f"{_rule(row)} fired for {live:,} {plural(live, 'customer')} live and {cand:,} with the candidate"


def _same(row: dict[str, Any]) -> str:
    """`the changed rule limit.a fired for 67 customers live and 67 with the candidate, and …`."""
    return f"{_fired(row)}, and changed none of what is compared for them"


def _setting(row: dict[str, Any], result: dict[str, Any]) -> str:
    """`the changed setting scorecard factors.character.weight: 0.35 → 0.3 (the 5C score, which moves for …)`."""
    values = " → ".join(_value(row[side]) for side in ("live", "candidate"))
    said = f"the changed setting {row['kind']} {row['setting']}: {values} ({_decides(row['affects'], result)})"
    if row["affects"] == "batch_report" or (row["affects"] == "order_outcome" and result.get("order_check") is None):
        return said  # which says why it is not measured, alone or with the candidate
    return said + _alone(row.get("alone"))


MOVED = (("score", "score"), ("grade", "grade"), ("grade_class", "grade class"), ("credit_limit", "limit"),
         ("order_outcome", "probe order outcome"), ("value_class", "value class"))
"""A setting alone's counts (simulate_alone.COUNTED) in words, the decisions apart."""


def _alone(alone: dict[str, Any] | None) -> str:
    """`; alone on the live rules, with factors.capacity.weight: 291 scores, 37 grades move; 37 decisions change`,
    or `; not measured alone: …`."""
    if alone is None:
        return ""
    if alone["customers"] is None:
        return f"; not measured alone: {alone['not_measured']}"
    together = f", with {_names(alone['with'])}" if alone["with"] else ""
    return f"; alone on the live rules{together}: {_effect(alone['customers'])}"


def _effect(counts: dict[str, Any]) -> str:
    """`291 scores, 37 grades move; 37 decisions change`, `1 limit moves`, `no customer's decision changes`."""
    moved = [(counts[key], plural(counts[key], word, word + "es" if word.endswith("s") else None))
             for key, word in MOVED if counts.get(key)]  # fmt: skip
    said = []
    if moved:
        one = len(moved) == 1 and moved[0][0] == 1
        said.append(f"{', '.join(f'{n:,} {words}' for n, words in moved)} {'moves' if one else 'move'}")
    decisions = counts["decisions"]
    if decisions:
        said.append(f"{decisions:,} {plural(decisions, 'decision changes', 'decisions change')}")
    elif not moved:
        said.append("no customer's decision changes")
    return "; ".join(said)


def _sample_line(alone: dict[str, Any] | None) -> list[str]:
    """Which customers the settings alone were measured for, and the whole candidate's counts on the same ones:
    changes interact, so the effects alone need not add up to the candidate's."""
    if alone is None:
        return []
    whom = (f"all {alone['customers']:,} customers" if alone["sample"] == "every customer" else
            f"{alone['customers']:,} of {alone['of']:,} customers ({alone['sample']})")  # fmt: skip
    return [f"each setting alone was applied to the live rules and evaluated for {whom}, value classes over the "
            f"whole book; with the whole candidate, on the same customers: {_effect(alone['candidate'])}. Changes "
            "can add to, offset or mask each other, so the effects alone need not add up to the candidate's"]


def _value(value: Any) -> str:
    """A setting's value as the file writes it: `0.35`, `AAA, AA, A`, `(none)` where one side has no such setting."""
    if value is None:
        return "(none)"
    return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)


COUNTED = {"score": ("the 5C score", "score_changes", "moves"), "grade": ("the grade of each score", "grade_changes",
           "changes"), "grade_class": ("the grade class of each grade", "grade_class_changes", "changes"),
           "value_class": ("the ABC value classes", "value_class_changes", "change")}  # fmt: skip
"""What a setting decides that simulate counts per customer: its words, the result's count, the verb."""
SAID = {"features": "the customer facts the rules read",
        "warning_signs": "how the warning signs that fire together combine",
        "batch_report": "the nightly report's key-customer rankings and give-up review, which simulate does not "
                        "compare"}
"""What a setting decides that simulate does not count apart (its effect is in the changed customers, with the
candidate's other changes), or does not compare at all."""


def _decides(affects: str, result: dict[str, Any]) -> str:
    """What a setting decides, and for how many customers that changes where simulate counts it."""
    if affects in COUNTED:
        words, key, verb = COUNTED[affects]
        count = result[key]
        who = f"{count:,} {plural(count, 'customer')}" if count else "no customer in this portfolio"
        return f"{words}, which {verb} for {who} with the candidate"
    if affects == "order_outcome":
        check = result.get("order_check")
        if check is None:
            return "a new order's check, which only a probe order shows: run again with --order-amount AMOUNT"
        changed = check["changes"]
        return f"a new order's check: the probe order's outcome changes for {changed:,} {plural(changed, 'customer')}"
    return SAID.get(affects, affects)
