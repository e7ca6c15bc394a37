"""The declared effects of fired rules: score, warning combination, limit, review date, actions, reasons.

One module each: scoring.py (the 5C score), warning_signs.py (combining warning signs), limits.py (credit
limit, its validity, next review), reminders.py (invoice context and collection reminders),
decision_reasons.py and decision_actions.py (what a decision reports), decimals.py (rule numbers and
amounts as decimals). The evaluator calls them as `effects.<name>`.
"""

from policy_engine.effects.decimals import money_out
from policy_engine.effects.decision_actions import FIXED_ACTION_CODES, actions, pick_order_step
from policy_engine.effects.decision_reasons import REASON_CODES, reason, reason_code, reasons
from policy_engine.effects.limits import add_months, credit_limit, next_review
from policy_engine.effects.reminders import invoice_context, pick_reminders
from policy_engine.effects.scoring import ScoreBreakdown, ScorePlan, score, score_breakdown, score_plan
from policy_engine.effects.warning_signs import Warnings, combine_warnings, merge_combine

__all__ = [
    "FIXED_ACTION_CODES",
    "REASON_CODES",
    "ScorePlan",
    "Warnings",
    "actions",
    "add_months",
    "combine_warnings",
    "credit_limit",
    "invoice_context",
    "merge_combine",
    "money_out",
    "next_review",
    "pick_order_step",
    "pick_reminders",
    "reason",
    "reason_code",
    "reasons",
    "score",
    "score_plan",
    "score_breakdown",
    "ScoreBreakdown",
]
