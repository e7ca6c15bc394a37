"""The shipped rule test cases (rules/tests/), read by the product's own case-file reader, so a test that
checks `credit-policy test`'s or `simulate`'s counts needs no edit when risk staff add a case.

Only the case files' content is counted here; what the product prints is what the tests check against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from policy_engine.api import DEFAULT_RULES_DIR, load_policy
from policy_engine.casefiles import read_case_docs
from policy_engine.casetests import run_suite


@dataclass(frozen=True)
class ShippedCase:
    """One case of rules/tests/: its id, the fixture its snapshot names (`base:`) and the fields it sets."""

    case_id: str
    base: str | None
    fields: frozenset[str]


@cache
def shipped_cases() -> tuple[ShippedCase, ...]:
    """Every shipped case, in the order `credit-policy test` runs them; the shipped files read cleanly."""
    docs, problems = read_case_docs(DEFAULT_RULES_DIR)
    assert not problems, problems
    out = []
    for doc in docs:
        for case in doc.data.get("cases") or []:
            snapshot = dict(case.get("snapshot") or {})
            base = snapshot.pop("base", None)
            out.append(ShippedCase(case["id"], base, frozenset(snapshot)))
    return tuple(out)


def based_on(fixture: str, taking: str | None = None) -> list[str]:
    """Ids of the cases built on `fixture`; with `taking`, only those that take that field from it (a case
    that sets the field itself is not affected by a problem in the fixture's value)."""
    return [c.case_id for c in shipped_cases() if c.base == fixture and (taking is None or taking not in c.fields)]


@cache
def fired_only_by(case_ids: frozenset[str]) -> int:
    """How many shipped rules fire in no shipped case outside `case_ids` (measured on a clean run): the rules
    `credit-policy test` can no longer show fired while those cases are not run."""
    policy = load_policy()
    try:
        suite = run_suite(policy, DEFAULT_RULES_DIR)
        rule_ids = {rule.id for rule in policy.program.rules}
    finally:
        policy.close()
    assert suite.ok, "the shipped cases must pass on the shipped rules"
    fired = set().union(*(r.fired for r in suite.results if r.case_id not in case_ids))
    return len(rule_ids - fired)
