"""Evaluation from many threads at once: no crash, the same answers as one thread."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

from policy_engine.api import Policy, load_policy
from policy_engine.synthetic import portfolio

AS_OF = date(2026, 11, 22)


def test_many_threads_evaluate_at_once_and_agree_with_one_thread(policy: Policy) -> None:
    snaps = portfolio(300, AS_OF, seed=11)
    expected = [policy.evaluate(s, as_of=AS_OF).model_dump() for s in snaps]

    with ThreadPoolExecutor(max_workers=16) as pool:
        got = list(pool.map(lambda s: policy.evaluate(s, as_of=AS_OF).model_dump(), snaps * 4))

    assert got == expected * 4


def test_two_policies_in_one_process_are_independent_under_threads(policy: Policy) -> None:
    other = load_policy()
    snaps = portfolio(100, AS_OF, seed=12)

    with ThreadPoolExecutor(max_workers=8) as pool:
        a = list(pool.map(lambda s: policy.evaluate(s, as_of=AS_OF).grade, snaps))
        b = list(pool.map(lambda s: other.evaluate(s, as_of=AS_OF).grade, snaps))
    other.close()

    assert a == b
