"""The report of `simulate`: what would change between the live and the candidate rules, counted and listed."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from adapters.batch.config import PortfolioConfig
from adapters.batch.simulate_compare import ABOUT, SimChunk, action_rows, credit_extended, grade_rows, order_check
from adapters.batch.simulate_who import segment_rows
from policy_engine.api import lint_warnings
from policy_engine.domain.models import OrderRequest


def simulation_summary(as_of: date, live: Any, cand: Any, live_cfg: PortfolioConfig, cand_cfg: PortfolioConfig,
                       total: SimChunk, changes: dict[str, dict[str, Any]],
                       order: OrderRequest | None) -> dict[str, Any]:  # fmt: skip
    """The report of `simulate`: the counts of each kind of change, the tables and every customer who changed."""
    ordered = [changes[c] for c in sorted(changes)]
    count = Counter(k for c in ordered for k in c if k not in ABOUT)
    return {
        "as_of": as_of.isoformat(),
        "live": {"policy_version": live.version, "portfolio": live_cfg.describe(), "warnings": lint_warnings(live)},
        "candidate": {"policy_version": cand.version, "portfolio": cand_cfg.describe(),
                      "warnings": lint_warnings(cand)},
        "customers": total.customers,
        "changed": len(ordered),
        "grade_changes": count["grade"],
        "grade_class_changes": count["grade_class"],
        "value_class_changes": count["value_class"],
        "limit_changes": count["credit_limit"],
        "review_changes": sum(1 for c in ordered if "next_review_on" in c or "review_rule" in c),
        "limit_valid_until_changes": count["limit_valid_until"],
        "action_changes": count["actions"],
        "score_changes": total.score_changes,
        "credit_extended": credit_extended(total),
        "segments": segment_rows(total.segments),
        **grade_rows(total),
        "rules": _rule_rows(total, live, cand),
        "actions": action_rows(total),
        # Every code a customer has, changed or not: a --gains/--loses code no one has is a misspelling, said so.
        "action_codes": sorted(set(total.action_live) | set(total.action_candidate)),
        "order_check": None if order is None else order_check(total, order, count["order_outcome"]),
        "errors": [{"customer_id": c, "error": e} for c, e in total.errors],
        "changes": ordered,
    }


def _rule_rows(total: SimChunk, live: Any, cand: Any) -> list[dict[str, Any]]:
    """The rules that would fire for more or fewer customers (added or removed ones said so), biggest change first."""
    rules: list[dict[str, Any]] = []
    for rule_id in sorted(set(total.fired_live) | set(total.fired_candidate) | set(live.rule_ids) | set(cand.rule_ids)):
        before, after = total.fired_live.get(rule_id, 0), total.fired_candidate.get(rule_id, 0)
        if before != after:
            status = "added" if rule_id not in live.rule_ids else "removed" if rule_id not in cand.rule_ids else ""
            rules.append({"rule_id": rule_id, "live": before, "candidate": after, "change": after - before,
                          "status": status})  # fmt: skip
    rules.sort(key=lambda r: (-abs(r["change"]), r["rule_id"]))
    return rules


def order_checks(policy: Any) -> Any:
    """What of the order checks decides an outcome (steps, default, hit), without titles and sources: the
    steps only decide a new order, so without a probe order their change shows nowhere else."""
    spec = policy.program.kinds.get("order_checks")
    if spec is None:
        return None
    words = {"title", "source", "note"}
    data = spec.model_dump(exclude=words)
    data["steps"] = [{k: v for k, v in step.items() if k not in words} for step in data["steps"]]
    return data


def candidate_rule_tests(cand: Any, candidate_dir: Path) -> dict[str, Any] | None:
    """The candidate's own test cases, as `serve` would run them before taking it: None when the
    candidate has no tests/ directory."""
    from policy_engine.casetests import failing, run_suite
    from policy_engine.rules.loader import TESTS_DIR

    if not (candidate_dir / TESTS_DIR).is_dir():
        return None
    suite = run_suite(cand, candidate_dir)
    problems = failing(suite)
    return {
        "cases": len(suite.results),
        "passed": sum(1 for r in suite.results if not r.failures),
        "pass": not problems,
        "problems": [str(p) for p in problems],
    }
