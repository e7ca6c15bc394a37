"""One customer's live and candidate decisions side by side, for `simulate`, and the chunk's tallies.

What is compared is what the decision makes someone do: grade, class, limit and how long it holds,
the next review and its rule, the actions (a shipment hold, collection reminders, follow-ups) and,
with a probe order, the order check's outcome. The engine decides every one of them; this module
only reads the decisions it returns.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from adapters.batch.simulate_who import WHO, SegmentRow, merge_segments, settings_behind, who, why
from adapters.batch.worker import review_rule
from adapters.store.audit import fired_rule_ids
from policy_engine.domain.models import CustomerDecision, OrderDecision, OrderRequest
from policy_engine.domain.values import GRADE_RANK, GRADES

if TYPE_CHECKING:
    from adapters.batch.simulate_alone import AloneTally

ABOUT = ("customer_id", "name", "currency", *WHO)
"""Who a change is about, and why: every change carries them; they are not compared facts."""
COMPARED = ("grade", "grade_class", "credit_limit", "limit_valid_until", "next_review_on", "review_rule",
            "actions", "order_outcome")  # fmt: skip
REVIEW_ACTION = "CREDIT_REVIEW"
"""Every decision has exactly one; its date and rule are compared as next_review_on and review_rule."""
URGENT_REVIEW = f"{REVIEW_ACTION} urgent"
"""The review's urgency is compared as an action of its own: every customer has a review on both sides,
so a warning sign that makes it urgent changed no action count and looked as if it did nothing."""


def action_keys(decision: CustomerDecision) -> list[str]:
    """The decision's actions as sorted readable keys: `HOLD_ORDERS`, `COLLECTION_REMINDER INV-7` (the
    invoice it is about), `FOLLOW_UP due 2026-12-06` (when it is not due on the decision's day), and
    `CREDIT_REVIEW urgent` for an urgent review (a periodic one has no key). Severity otherwise and
    message wording are not part of a key."""
    keys = []
    for action in decision.actions:
        if action.code == REVIEW_ACTION:
            if action.severity == "urgent":
                keys.append(URGENT_REVIEW)
            continue
        key = f"{action.code} {action.target_id}" if action.target_id else action.code
        if action.due_on != decision.as_of:
            key += f" due {action.due_on.isoformat()}"
        keys.append(key)
    keys.sort()
    return keys


def compared_facts(decision: CustomerDecision, order: OrderDecision | None) -> dict[str, Any]:
    """What simulate compares of a decision (COMPARED), by name."""
    return {"grade": decision.grade, "grade_class": decision.grade_class, "credit_limit": decision.credit_limit,
            "limit_valid_until": decision.limit_valid_until, "next_review_on": decision.next_review_on,
            "review_rule": review_rule(decision), "actions": action_keys(decision),
            "order_outcome": order.outcome if order is not None else None}  # fmt: skip


@dataclass
class SimChunk:
    """One chunk's comparison, or the sum of all of them."""

    customers: int = 0
    changes: list[dict[str, Any]] = field(default_factory=list)
    fired_live: Counter[str] = field(default_factory=Counter)
    fired_candidate: Counter[str] = field(default_factory=Counter)
    limit_live: Decimal = Decimal(0)
    limit_candidate: Decimal = Decimal(0)
    # credit extended per currency: a limit in USD and one in CNY do not add up
    extended_live: dict[str, Decimal] = field(default_factory=dict)
    extended_candidate: dict[str, Decimal] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)
    # customers with at least one action of each code, and how many gain or lose it
    action_live: Counter[str] = field(default_factory=Counter)
    action_candidate: Counter[str] = field(default_factory=Counter)
    action_gained: Counter[str] = field(default_factory=Counter)
    action_lost: Counter[str] = field(default_factory=Counter)
    # the probe order's outcome per customer (empty without a probe)
    order_live: Counter[str] = field(default_factory=Counter)
    order_candidate: Counter[str] = field(default_factory=Counter)
    order_moves: Counter[tuple[str, str]] = field(default_factory=Counter)
    # customers per grade under each policy and the moves between them; the direction of each move
    grade_live: Counter[str] = field(default_factory=Counter)
    grade_candidate: Counter[str] = field(default_factory=Counter)
    grade_moves: Counter[tuple[str, str]] = field(default_factory=Counter)
    moves: Counter[str] = field(default_factory=Counter)  # grade_up/down, limit_raised/cut, review_sooner/later
    reviews_due_live: int = 0  # next review on or before the as-of day: the reviews to do now
    reviews_due_candidate: int = 0
    # customers whose 5C score moves: a changed scorecard weight shows here even where no grade changes
    score_changes: int = 0
    alone: AloneTally | None = None  # the sampled customers with each changed setting alone (simulate_alone.py)
    segments: dict[tuple[str, str], SegmentRow] = field(default_factory=dict)  # (segment, currency) → counts
    changed_rule_ids: frozenset[str] = frozenset()  # what the candidate changes: a change's `why` names them
    changed_settings: tuple[tuple[str, str], ...] = ()  # ("scorecard:factors.character.weight", what it decides)

    def add(self, customer_id: str, live: CustomerDecision, cand: CustomerDecision,
            orders: tuple[OrderDecision, OrderDecision] | None = None, name: str = "",
            segment: tuple[str, str] = ("", ""), value_class: list[str] | None = None) -> None:  # fmt: skip
        """Count one customer's two decisions and keep what differs (with `value_class`, [live, candidate], when the
        candidate's portfolio.yaml moves it), with who it is (name, currency, `segment`: its segment and size) and
        why (not compared)."""
        live_order, cand_order = orders if orders is not None else (None, None)
        self.customers += 1
        fired = fired_rule_ids(live, live_order), fired_rule_ids(cand, cand_order)
        self.fired_live.update(fired[0])
        self.fired_candidate.update(fired[1])
        self.limit_live += live.credit_limit
        self.limit_candidate += cand.credit_limit
        _add(self.extended_live, {live.currency: live.credit_limit})
        _add(self.extended_candidate, {cand.currency: cand.credit_limit})
        codes_live, codes_cand = _codes(live), _codes(cand)
        self.action_live.update(codes_live)
        self.action_candidate.update(codes_cand)
        if codes_live != codes_cand:
            self.action_gained.update(codes_cand - codes_live)
            self.action_lost.update(codes_live - codes_cand)
        if live_order is not None and cand_order is not None:
            self.order_live[live_order.outcome] += 1
            self.order_candidate[cand_order.outcome] += 1
            if live_order.outcome != cand_order.outcome:
                self.order_moves[(live_order.outcome, cand_order.outcome)] += 1
        self._directions(live, cand)
        before, after = compared_facts(live, live_order), compared_facts(cand, cand_order)
        diff = {k: [before[k], after[k]] for k in COMPARED if before[k] != after[k]}
        if value_class is not None:  # a value class is the portfolio's, ranked apart: decisions take the stored one
            diff["value_class"] = value_class
        self.segments.setdefault((segment[0], live.currency), SegmentRow()).add(live, cand, bool(diff))
        if diff:
            moved = {*diff, *(("score",) if live.score != cand.score else ())}
            reasons = why(*fired, self.changed_rule_ids, settings_behind(self.changed_settings, moved))
            self.changes.append({"customer_id": customer_id, **diff, "name": name, "currency": live.currency,
                                 **who(live, cand, *segment, reasons)})

    def _directions(self, live: CustomerDecision, cand: CustomerDecision) -> None:
        """Count the grades under both, whether the score moves, and which way a grade, a limit and a next review
        move."""
        self.grade_live[live.grade] += 1
        self.grade_candidate[cand.grade] += 1
        self.score_changes += live.score != cand.score
        self.reviews_due_live += live.next_review_on <= live.as_of
        self.reviews_due_candidate += cand.next_review_on <= cand.as_of
        if live.grade != cand.grade:
            self.grade_moves[(live.grade, cand.grade)] += 1
            self.moves["grade_down" if GRADE_RANK[cand.grade] > GRADE_RANK[live.grade] else "grade_up"] += 1
        if live.credit_limit != cand.credit_limit:
            self.moves["limit_cut" if cand.credit_limit < live.credit_limit else "limit_raised"] += 1
        if live.next_review_on != cand.next_review_on:
            self.moves["review_sooner" if cand.next_review_on < live.next_review_on else "review_later"] += 1

    def merge(self, other: SimChunk) -> None:
        """Add another chunk's counts (its changes are collected by the caller)."""
        self.customers += other.customers
        self.reviews_due_live += other.reviews_due_live
        self.reviews_due_candidate += other.reviews_due_candidate
        self.score_changes += other.score_changes
        self.limit_live += other.limit_live
        self.limit_candidate += other.limit_candidate
        self.errors.extend(other.errors)
        for name in ("fired_live", "fired_candidate", "action_live", "action_candidate", "action_gained",
                     "action_lost", "order_live", "order_candidate", "order_moves", "grade_live", "grade_candidate",
                     "grade_moves", "moves"):  # fmt: skip
            getattr(self, name).update(getattr(other, name))
        merge_segments(self.segments, other.segments)
        _add(self.extended_live, other.extended_live)
        _add(self.extended_candidate, other.extended_candidate)
        if other.alone is not None:
            if self.alone is None:
                self.alone = other.alone
            else:
                self.alone.merge(other.alone)


def _codes(decision: CustomerDecision) -> set[str]:
    """The decision's action codes, and `CREDIT_REVIEW urgent` when its review is urgent."""
    codes = {a.code for a in decision.actions}
    if any(a.code == REVIEW_ACTION and a.severity == "urgent" for a in decision.actions):
        codes.add(URGENT_REVIEW)
    return codes


def _add(sums: dict[str, Decimal], amounts: dict[str, Decimal]) -> None:
    for currency, amount in amounts.items():
        sums[currency] = sums.get(currency, Decimal(0)) + amount


def action_rows(total: SimChunk) -> list[dict[str, Any]]:
    """Per action code: customers with it live and with the candidate, and how many gain or lose it; the
    urgent review as a row of its own (`severity` "urgent"; null on a code's row: any severity)."""
    rows: list[dict[str, Any]] = []
    for key in sorted(set(total.action_gained) | set(total.action_lost)):
        live, cand = total.action_live[key], total.action_candidate[key]
        code, _, severity = key.partition(" ")
        rows.append({"code": code, "severity": severity or None, "live": live, "candidate": cand,
                     "change": cand - live, "gained": total.action_gained[key],
                     "lost": total.action_lost[key]})  # fmt: skip
    rows.sort(key=lambda r: (-abs(r["change"]), -(r["gained"] + r["lost"]), r["code"]))
    return rows


def order_check(total: SimChunk, order: OrderRequest, changed: int) -> dict[str, Any]:
    """The probe order's outcomes under both policies and the moves between them."""
    outcomes = sorted(set(total.order_live) | set(total.order_candidate))
    return {
        "amount": str(order.amount),
        "payment_term_days": order.payment_term_days,
        "changes": changed,
        "outcomes": [{"outcome": o, "live": total.order_live[o], "candidate": total.order_candidate[o],
                      "change": total.order_candidate[o] - total.order_live[o]} for o in outcomes],  # fmt: skip
        "moves": [{"live": a, "candidate": b, "customers": n}
                  for (a, b), n in sorted(total.order_moves.items(), key=lambda m: (-m[1], m[0]))],  # fmt: skip
    }


def grade_rows(total: SimChunk) -> dict[str, Any]:
    """Customers per grade under both policies (AAA first), the moves between grades (most customers
    first) and how many customers move up or down a grade, get a higher or lower limit, an earlier or
    later next review, and are due for review on the as-of day under each."""
    m = total.moves
    return {
        "grades": [{"grade": g, "live": total.grade_live[g], "candidate": total.grade_candidate[g],
                    "change": total.grade_candidate[g] - total.grade_live[g]}
                   for g in GRADES if total.grade_live[g] or total.grade_candidate[g]],  # fmt: skip
        "grade_moves": [{"live": a, "candidate": b, "customers": n}
                        for (a, b), n in sorted(total.grade_moves.items(), key=lambda x: (-x[1], x[0]))],  # fmt: skip
        "directions": {"grade_up": m["grade_up"], "grade_down": m["grade_down"], "limit_raised": m["limit_raised"],
                       "limit_cut": m["limit_cut"], "review_sooner": m["review_sooner"],
                       "review_later": m["review_later"]},  # fmt: skip
        "reviews_due": {"live": total.reviews_due_live, "candidate": total.reviews_due_candidate,
                        "change": total.reviews_due_candidate - total.reviews_due_live},  # fmt: skip
    }


def credit_extended(total: SimChunk) -> dict[str, Any]:
    """The credit extended under both policies and its change, per currency; the totals only when every
    customer trades in one currency (`currency` names it; null when several, which do not add up)."""
    live, cand = total.extended_live, total.extended_candidate
    rows = [{"currency": c, "live": str(live.get(c, Decimal(0))), "candidate": str(cand.get(c, Decimal(0))),
             "change": str(cand.get(c, Decimal(0)) - live.get(c, Decimal(0)))}
            for c in sorted(set(live) | set(cand))]  # fmt: skip
    single = len(rows) <= 1
    return {"live": str(total.limit_live) if single else None,
            "candidate": str(total.limit_candidate) if single else None,
            "change": str(total.limit_candidate - total.limit_live) if single else None,
            "currency": rows[0]["currency"] if len(rows) == 1 else None, "by_currency": rows}  # fmt: skip
