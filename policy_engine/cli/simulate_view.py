"""How `simulate` shows its comparison on screen: tables (the CSV and the order of changes: simulate_changes.py)."""

from __future__ import annotations

import math
import sys
from decimal import Decimal
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from policy_engine.api import SAID_PROBLEMS
from policy_engine.cli.simulate_changes import action_delta, by_move, limit_change, relative_change
from policy_engine.cli.simulate_segments import segments_table, selection_lines, why_cell
from policy_engine.cli.simulate_why import why_lines
from policy_engine.words import plural


def _amount(text: Any, sign: bool = False) -> str:
    """A decimal amount as people read it: 993,598,000.00 (the JSON output keeps the plain string)."""
    try:
        value = Decimal(str(text))
    except ArithmeticError:
        return str(text)
    return f"{value:+,}" if sign else f"{value:,}"


def _titled(title: str) -> Table:
    """A table at least as wide as its title: a narrow table wrapped its title over several lines (`changed
    customers (all 1, largest relative limit move first)` on four, the headline's `(candidate)` on a second)."""
    return Table(title=title, min_width=cell_len(title))


def simulation_tables(result: dict[str, Any], limit: int) -> None:
    """Print the comparison: headline counts, rule tests, rules, actions, probe orders, changed customers."""
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
    _headline(out, result)
    if result.get("order_checks_differ") and result["order_check"] is None:
        out.print("the candidate changes the order checks (orders.yaml): they decide a new order, and none was "
                  "checked, so their effect is not in these counts; run again with --order-amount AMOUNT "
                  "(a probe order for every customer) to see it")  # fmt: skip
    _rule_tests(out, result["candidate"].get("rule_tests"))
    if warned := len(result["candidate"].get("warnings", ())):
        printed = "printed first" if warned <= SAID_PROBLEMS else f"the first {SAID_PROBLEMS} printed first"
        out.print(f"the candidate's rule files have {warned:,} lint {plural(warned, 'warning')} ({printed}, on "
                  "stderr): probable slips that do not refuse the rule set; `credit-policy lint --strict` fails on "
                  "them")  # fmt: skip
    if not result["customers"]:  # no rule, action or probe counts to show: an empty table says nothing
        out.print("the store holds no customers: nothing was compared (load some with `credit-policy import` "
                  "or `credit-policy demo-data`)")
        return
    _grades(out, result)
    segments_table(out, result)
    _rules(out, result["rules"])
    _actions(out, result["actions"], result["action_changes"])
    if result["order_check"] is not None:
        _orders(out, result["order_check"])
    for line in why_lines(result):  # a change that decides nothing here, and why, where the engine tells
        out.print(line, markup=False)
    if not result["changed"]:
        probe = ", probe order outcome" if result["order_check"] is not None else ""
        out.print(f"no customer's grade, grade class, value class, limit, limit validity, next review, review "
                  f"cadence{probe} or actions change")  # fmt: skip
        return
    _changed_customers(out, result, limit)


def _headline(out: Console, result: dict[str, Any]) -> None:
    credit = result["credit_extended"]
    head = _titled(f"simulation as of {result['as_of']}: {result['live']['policy_version']} (live) → "
                   f"{result['candidate']['policy_version']} (candidate)")  # fmt: skip
    head.add_column("")
    head.add_column("customers", justify="right")
    rows = [("evaluated", "customers"), ("changed", "changed"), ("grade", "grade_changes"),
            ("grade class", "grade_class_changes"), ("value class", "value_class_changes"),
            ("credit limit", "limit_changes"), ("limit valid until", "limit_valid_until_changes"),
            ("review cadence", "review_changes"), ("actions", "action_changes")]  # fmt: skip
    way = result["directions"]  # which way they move: a count alone does not say
    ways = {"grade_changes": ("grade_up", "up", "grade_down", "down"),
            "limit_changes": ("limit_raised", "raised", "limit_cut", "cut"),
            "review_changes": ("review_sooner", "sooner", "review_later", "later")}  # fmt: skip
    for label, key in rows:
        cell = f"{result[key]:,}"
        if key in ways and result[key]:
            a, a_word, b, b_word = ways[key]
            cell += f" ({way[a]:,} {a_word}, {way[b]:,} {b_word})"
        head.add_row(label, cell)
    due = result["reviews_due"]
    head.add_row(f"reviews due by {result['as_of']}",
                 f"{due['live']:,} → {due['candidate']:,} ({due['change']:+,d})")
    if result["order_check"] is not None:
        head.add_row("probe order outcome", f"{result['order_check']['changes']:,}")
    for row in credit["by_currency"]:  # one line per currency: amounts in two currencies do not add up
        label = "credit extended" + (f" ({row['currency']})" if len(credit["by_currency"]) > 1 else "")
        head.add_row(label, f"{_amount(row['live'])} → {_amount(row['candidate'])} "
                            f"({_amount(row['change'], sign=True)}) {row['currency']}")
    out.print(head)


def _rule_tests(out: Console, tests: dict[str, Any] | None) -> None:
    if tests is None:
        out.print("the candidate has no tests/ directory: no rule test cases were run")
    elif tests["pass"]:
        out.print(f"the candidate's rule tests: {_cases_pass(tests)}")
    else:
        out.print(f"the candidate's rule tests: {_cases_pass(tests)}; a service started "
                  f"with --rule-tests would refuse this rule set until its cases agree:")
        for problem in tests["problems"][:20]:  # one line each, however long: grep and paste take it whole
            out.print(f"  {problem}", markup=False, soft_wrap=True)
        if len(tests["problems"]) > 20:
            out.print(f"  … and {len(tests['problems']) - 20} more (--json lists them all)")


def _cases_pass(tests: dict[str, Any]) -> str:
    """`82 of 83 cases pass`, `1 of 1 case passes`."""
    one = tests["cases"] == 1
    return f"{tests['passed']} of {tests['cases']} {'case passes' if one else 'cases pass'}"


def _counts_table(title: str, first: str, rows: list[list[str]], extra: tuple[str, ...] = ()) -> Table:
    table = _titled(title)
    table.add_column(first)
    for name in ("live", "candidate", "change", *extra):
        table.add_column(name, justify="right")
    for row in rows:
        table.add_row(*row)
    return table


def _grades(out: Console, result: dict[str, Any]) -> None:
    if not result["grade_changes"]:
        return
    rows = [[g["grade"], f"{g['live']:,}", f"{g['candidate']:,}", f"{g['change']:+,d}"] for g in result["grades"]]
    out.print(_counts_table("customers per grade", "grade", rows))
    for move in result["grade_moves"][:12]:
        out.print(f"  {move['live']} → {move['candidate']}: {_customers(move['customers'])}")
    if len(result["grade_moves"]) > 12:
        more = len(result["grade_moves"]) - 12
        out.print(f"  … and {more} more {plural(more, 'move')} (--json lists them all)")


def _rules(out: Console, rules: list[dict[str, Any]]) -> None:
    if not rules:
        out.print("no rule fires more or less often with the candidate rules")
        return
    notes = any(r["status"] for r in rules[:40])  # a rule that exists on one side only
    rows = [[r["rule_id"], f"{r['live']:,}", f"{r['candidate']:,}", f"{r['change']:+,d}",
             *([r["status"]] if notes else [])] for r in rules[:40]]  # fmt: skip
    out.print(_counts_table("rules firing more or less often", "rule", rows, ("note",) if notes else ()))


def _actions(out: Console, actions: list[dict[str, Any]], changed: int) -> None:
    """The customers with each action code; `changed` customers' actions differ at all."""
    if not actions:
        out.print("no customer gains or loses an action code with the candidate rules")
        if changed:  # a second action of a code already held (another rule's FOLLOW_UP, say) is a change too
            who = "customer gets" if changed == 1 else "customers get"
            has = "it already has" if changed == 1 else "they already have"
            out.print(f"{changed:,} {who} more or fewer actions of a code {has} "
                      "(the changed customers below list them)")
        return
    # `CREDIT_REVIEW urgent`: the customers whose review turns urgent (gain it) or periodic again (lose it)
    rows = [[" ".join(filter(None, (a["code"], a.get("severity")))), f"{a['live']:,}", f"{a['candidate']:,}",
             f"{a['change']:+,d}", f"{a['gained']:,}", f"{a['lost']:,}"] for a in actions]  # fmt: skip
    out.print(_counts_table("customers with each action", "action", rows, ("gain it", "lose it")))


def _orders(out: Console, check: dict[str, Any]) -> None:
    rows = [[o["outcome"], f"{o['live']:,}", f"{o['candidate']:,}", f"{o['change']:+,d}"] for o in check["outcomes"]]
    title = (f"a probe order of {_amount(check['amount'])} ({check['payment_term_days']}-day terms) "
             f"for every customer")  # fmt: skip
    out.print(_counts_table(title, "outcome", rows))
    if not check["moves"]:
        out.print("no customer's probe order gets another outcome with the candidate rules")
    for move in check["moves"]:
        out.print(f"  {move['live']} → {move['candidate']}: {_customers(move['customers'])}")


def _cell(change: dict[str, Any], key: str) -> str:
    if key == "why":
        return why_cell(change)
    if key not in change:
        return ""
    if key == "actions":
        gained, lost = action_delta(change[key])
        return " ".join([*(f"+{k}" for k in gained), *(f"−{k}" for k in lost)])
    if key == "credit_limit":
        share = relative_change(change)
        pct = "" if math.isinf(share) else f", {share:+.0%}"
        return (f"{_amount(change[key][0])} → {_amount(change[key][1])} "
                f"({_amount(limit_change(change), sign=True)}{pct}) {change.get('currency') or ''}").rstrip()
    return " → ".join(str(v) for v in change[key])


def _changed_customers(out: Console, result: dict[str, Any], limit: int) -> None:
    listed = len(result["changes"])  # with a filter, the customers it selected
    for line in selection_lines(result.get("selection")):
        out.print(line, markup=False)
    if not listed:
        return
    shown = min(limit, listed)
    which = "" if result.get("selection") is None else f" selected by {result['selection']['said']}"
    table = _titled(f"changed customers{which} ({'all' if shown == listed else f'first {shown} of'} "
                    f"{listed:,}, largest relative limit move first)")
    columns = [("customer", "customer_id"), ("grade", "grade"), ("grade class", "grade_class"),
               ("value class", "value_class"), ("limit", "credit_limit"), ("valid until", "limit_valid_until"),
               ("next review", "next_review_on"), ("cadence rule", "review_rule"), ("actions", "actions"),
               ("why (kind:setting changed, * changed rule, + fires now, − no longer)", "why")]  # fmt: skip
    if result["order_check"] is not None:
        columns.insert(-1, ("probe order", "order_outcome"))
    rows = by_move(result["changes"])[:limit]  # the customers a manager asks about first: the biggest moves
    columns = columns[:1] + [(name, key) for name, key in columns[1:] if any(key in c for c in rows)]
    for name, _ in columns:  # only what changes for the customers shown
        table.add_column(name)
    for c in rows:
        table.add_row(Text(c["customer_id"]), *(Text(_cell(c, key)) for _, key in columns[1:]))  # not markup
    out.print(table)


def _customers(count: int) -> str:
    """`1 customer`, `1,024 customers`."""
    return f"{count:,} {plural(count, 'customer')}"
