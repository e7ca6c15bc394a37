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
from typing import Any

from adapters.batch.worker import review_rule
from adapters.store.audit import fired_rule_ids
from policy_engine.domain.models import CustomerDecision, OrderDecision, OrderRequest

COMPARED = ("grade", "grade_class", "credit_limit", "limit_valid_until", "next_review_on", "review_rule",
            "actions", "order_outcome")  # fmt: skip
REVIEW_ACTION = "CREDIT_REVIEW"
"""Every decision has exactly one; its date and rule are compared as next_review_on and review_rule."""


def action_keys(decision: CustomerDecision) -> list[str]:
    """The decision's actions but the review, as sorted readable keys: `HOLD_ORDERS`,
    `COLLECTION_REMINDER INV-7` (the invoice it is about), `FOLLOW_UP due 2026-12-06` (when it is
    not due on the decision's day). Severity and message wording are not part of a key."""
    keys = []
    for action in decision.actions:
        if action.code == REVIEW_ACTION:
            continue
        key = f"{action.code} {action.target_id}" if action.target_id else action.code
        if action.due_on != decision.as_of:
            key += f" due {action.due_on.isoformat()}"
        keys.append(key)
    keys.sort()
    return keys


def _facts(decision: CustomerDecision, order: OrderDecision | None) -> dict[str, Any]:
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

    def add(self, customer_id: str, live: CustomerDecision, cand: CustomerDecision,
            orders: tuple[OrderDecision, OrderDecision] | None = None) -> None:  # fmt: skip
        """Count one customer's two decisions and keep what differs."""
        live_order, cand_order = orders if orders is not None else (None, None)
        self.customers += 1
        self.fired_live.update(fired_rule_ids(live, live_order))
        self.fired_candidate.update(fired_rule_ids(cand, cand_order))
        self.limit_live += live.credit_limit
        self.limit_candidate += cand.credit_limit
        codes_live, codes_cand = {a.code for a in live.actions}, {a.code for a in cand.actions}
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
        before, after = _facts(live, live_order), _facts(cand, cand_order)
        diff = {k: [before[k], after[k]] for k in COMPARED if before[k] != after[k]}
        if diff:
            self.changes.append({"customer_id": customer_id, **diff})

    def merge(self, other: SimChunk) -> None:
        """Add another chunk's counts (its changes are collected by the caller)."""
        self.customers += other.customers
        self.limit_live += other.limit_live
        self.limit_candidate += other.limit_candidate
        self.errors.extend(other.errors)
        for name in ("fired_live", "fired_candidate", "action_live", "action_candidate", "action_gained",
                     "action_lost", "order_live", "order_candidate", "order_moves"):  # fmt: skip
            getattr(self, name).update(getattr(other, name))


def action_rows(total: SimChunk) -> list[dict[str, Any]]:
    """Per action code: customers with it live and with the candidate, and how many gain or lose it."""
    rows: list[dict[str, Any]] = []
    for code in sorted(set(total.action_gained) | set(total.action_lost)):
        live, cand = total.action_live[code], total.action_candidate[code]
        rows.append({"code": code, "live": live, "candidate": cand, "change": cand - live,
                     "gained": total.action_gained[code], "lost": total.action_lost[code]})  # fmt: skip
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
