"""Evaluate a compiled policy: features → engine (which rules fire) → declared effects → a decision.

The engine decides which conditions hold (matching.py sends it each stage's facts); this module only
applies what the fired rules declare, in the combination order their files state (first hit, collect,
priority).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from policy_engine import effects
from policy_engine.domain.currency import require_customer_currency
from policy_engine.domain.errors import EngineFailure
from policy_engine.domain.models import (
    CustomerDecision,
    CustomerSnapshot,
    OrderDecision,
    OrderRequest,
    trusted,
)
from policy_engine.domain.order_bounds import require_order_within_bound
from policy_engine.domain.values import GRADE_RANK, GRADES
from policy_engine.features import as_stood, features_as_stood
from policy_engine.ir import CompiledRule, Program
from policy_engine.matching import PolicyMatching
from policy_engine.trace import build_trace


@dataclass
class Evaluation:
    """The working state of one evaluation: contexts per stage and the rules that fired."""

    as_of: date
    snapshot: CustomerSnapshot
    context: dict[str, Any]
    fired: list[CompiledRule] = field(default_factory=list)
    invoice_hits: list[tuple[CompiledRule, int]] = field(default_factory=list)
    invoice_contexts: list[dict[str, Any]] = field(default_factory=list)
    order_step: CompiledRule | None = None  # the order step that decided (the trace names it for the others)


class Policy(PolicyMatching):
    """A compiled policy, ready to evaluate many customers. Thread-safe (the engine is locked)."""

    def __init__(self, program: Program):
        self.program = program
        self.version = program.version
        self.files = dict(program.files)
        self.rule_ids = [r.id for r in program.rules]
        self.warnings = program.warnings  # lint's, for whoever loads the rules to say (credit-policy lint)
        self.loaded_at = datetime.now(UTC)
        super().__init__(program)  # the engine ruleset and the facts each stage sends it (matching.py)
        k = program.kinds
        self.classes = {g: c for c, grades in k["grade_bands"].classes.items() for g in grades}
        self.order_hit = k["order_checks"].hit
        self.order_default = k["order_checks"].default
        self.score_plan = effects.score_plan(k["scorecard"])
        self.combine = effects.merge_combine([w.combine for w in k.get("warning_signs", [])])

    def evaluate(
        self, snapshot: CustomerSnapshot, as_of: date | None = None, explain: bool = False
    ) -> CustomerDecision:
        """The credit decision for one customer as of a date (today when omitted)."""
        ev = self._evaluate(snapshot, as_of or date.today())
        return self._decision(ev, explain)

    def check_order(
        self, snapshot: CustomerSnapshot, order: OrderRequest, as_of: date | None = None, explain: bool = False
    ) -> OrderDecision:
        """May this order ship? The customer's decision plus the order-check outcome (InvalidInput at `currency`
        for an order in another currency than the customer's: its amount would be read as theirs)."""
        require_customer_currency(order, snapshot)
        day = as_of or date.today()
        ev = self._evaluate(snapshot, day)
        ctx = ev.context
        ctx["order_amount"] = order.amount
        ctx["order_payment_term_days"] = order.payment_term_days
        # The order may already be among the snapshot's open orders (taken, then checked before it
        # ships): it is in the exposure then (if ordered by `day`: ev.snapshot is cut there, as the
        # features are), so it counts once, at the amount asked for now.
        counted = sum((o.amount for o in ev.snapshot.orders
                       if o.status == "open" and o.order_id == order.order_id), Decimal(0))
        require_order_within_bound(snapshot.customer_id, ctx["exposure"], counted, order.amount)
        ctx["available_credit_after"] = ctx["available_credit"] + counted - order.amount
        steps = self.match_stage("order", ctx)
        ev.fired += steps
        step = ev.order_step = effects.pick_order_step(steps, self.order_hit)
        outcome = step.spec.outcome if step else self.order_default
        reasons = [effects.reason(step, ctx)] if step else []
        return trusted(
            OrderDecision,
            customer_id=snapshot.customer_id,
            order_id=order.order_id,
            outcome=outcome,
            available_credit_after=effects.money_out(ctx["available_credit_after"]),
            reasons=reasons,
            customer=self._decision(ev, explain),
        )

    def score_breakdown(
        self, snapshot: CustomerSnapshot, as_of: date | None = None
    ) -> tuple[effects.ScoreBreakdown, CompiledRule, str]:
        """How the customer's 5C score is reached, the grade band the engine matched for it, and the grade after
        the warning signs (for writing a case at a band's edge without working the blend out by hand)."""
        ev = self._evaluate(snapshot, as_of or date.today())
        band = next(r for r in ev.fired if r.kind == "grade_band")
        return effects.score_breakdown(self.score_plan, ev.fired, ev.context), band, ev.context["grade"]

    def decide_from_features(
        self, snapshot: CustomerSnapshot, features: dict[str, Any], as_of: date, explain: bool = False
    ) -> CustomerDecision:
        """The decision given features computed beforehand (benchmarks; `features` is not modified)."""
        return self._decision(self._evaluate(snapshot, as_of, dict(features)), explain)

    def rate_features(self, features: dict[str, Any]) -> tuple[float, str, list[str]]:
        """Scorecard, grade bands and warning signs only: (score, final grade, warning rule ids)."""
        ev = Evaluation(date.min, _NO_SNAPSHOT, dict(features))
        ev.fired = self.match_stage("customer", ev.context)
        self._rate(ev)
        return ev.context["score"], ev.context["grade"], [r.id for r in ev.fired if r.kind == "warning"]

    def _evaluate(self, snapshot: CustomerSnapshot, as_of: date, features: dict[str, Any] | None = None) -> Evaluation:
        # Invoice-stage facts, the order check and the review date read the snapshot as it stood on
        # as_of, as the features do (cut once here for both; an uncut one is returned as is).
        snapshot = as_stood(snapshot, as_of)
        ctx = features if features is not None else features_as_stood(snapshot, as_of, self.program.settings)
        ev = Evaluation(as_of, snapshot, ctx)
        self._assess(ev)
        self._rate(ev)
        self._profile(ev)
        return ev

    def _assess(self, ev: Evaluation) -> None:
        """Customer-stage rules (5C rows, warning signs, follow-ups) and invoice rules in one engine call."""
        facts = self._facts("customer", ev.context)  # ids 0 … len - 1: one per kind of rule
        shared = len(facts)
        if "invoice" in self._stage_facts:  # one fact per open invoice, ids from `shared` on
            for inv in ev.snapshot.invoices:
                if inv.amount > inv.paid_amount:
                    ictx = effects.invoice_context(inv, ev.as_of)
                    facts.append(self._fact("invoice", ictx, shared + len(ev.invoice_contexts), ev.context))
                    ev.invoice_contexts.append(ictx)
        for rule, fid in self._match(facts, shared):
            if fid == 0:
                ev.fired.append(rule)
            else:
                ev.invoice_hits.append((rule, fid - 1))

    def _rate(self, ev: Evaluation) -> None:
        ctx = ev.context
        ctx["score"] = effects.score(self.score_plan, ev.fired, ctx)
        bands = [r for r in self.match_stage("rating", ctx) if r.kind == "grade_band"]
        if not bands:
            raise EngineFailure(f"no grade band matched score {ctx['score']}")
        ev.fired.append(bands[0])
        base = bands[0].spec.grade
        warn = effects.combine_warnings([r for r in ev.fired if r.kind == "warning"], self.combine)
        rank = min(len(GRADES), max(GRADE_RANK[base] + warn.notches, warn.cap_rank))
        grade = GRADES[rank - 1]
        ctx.update(
            base_grade=base,
            base_grade_rank=GRADE_RANK[base],
            grade=grade,
            grade_rank=rank,
            grade_class=self.classes[grade],
            downgrade_notches=warn.notches,
            hold_orders=warn.hold_orders,
            urgent_review=warn.urgent,
            request_collateral=warn.collateral,
            warning_count=warn.count,
        )
        ctx["_warnings"] = warn

    def _profile(self, ev: Evaluation) -> None:
        ctx = ev.context
        fired = self.match_stage("profile", ctx)
        limit_row = next((r for r in fired if r.kind == "limit"), None)
        cadence_row = next((r for r in fired if r.kind == "cadence"), None)
        if limit_row is None or cadence_row is None:
            raise EngineFailure(f"no credit limit or review cadence row for grade {ctx['grade']}")
        ev.fired += [limit_row, cadence_row]
        # What to gather at the review: chosen in this same engine call (review_information is optional).
        ev.fired += [r for r in fired if r.kind == "gather"][:1]
        ctx["credit_limit"] = effects.credit_limit(limit_row.spec.limit, ctx, ctx["_warnings"].limit_factor)
        ctx["limit_valid_until"] = effects.add_months(ev.as_of, limit_row.spec.validity_months)
        ctx["available_credit"] = ctx["credit_limit"] - ctx["exposure"]
        ctx["next_review_on"] = effects.next_review(ev.snapshot.last_review_on, ev.as_of, cadence_row, ctx)

    def _decision(self, ev: Evaluation, explain: bool) -> CustomerDecision:
        ctx = ev.context
        reminders = effects.pick_reminders(ev.invoice_hits)
        return trusted(
            CustomerDecision,
            customer_id=ev.snapshot.customer_id,
            policy_version=self.version,
            as_of=ev.as_of,
            score=ctx["score"],
            grade=ctx["grade"],
            grade_class=ctx["grade_class"],
            credit_limit=ctx["credit_limit"],
            currency=ev.snapshot.currency,
            limit_valid_until=ctx["limit_valid_until"],
            exposure=effects.money_out(ctx["exposure"]),
            available_credit=effects.money_out(ctx["available_credit"]),
            next_review_on=ctx["next_review_on"],
            actions=effects.actions(ev.fired, ctx, ev.as_of, reminders, ev.invoice_contexts),
            reasons=effects.reasons(ev.fired, ctx, reminders, ev.invoice_contexts),
            trace=build_trace(self.program, ev) if explain else [],
            value_class=ev.snapshot.value_class,
        )


_NO_SNAPSHOT = CustomerSnapshot.model_construct(customer_id="")

