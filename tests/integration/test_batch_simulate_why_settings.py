"""Every change simulate reports has a why, a setting's too: a scorecard weight or a value-class cut-off is named for
the customers it can have moved, and a customer whose value class alone moves has its segment and exposure. Before,
such a change's `why` was empty, and a value class moved by portfolio.yaml had neither segment nor why."""

from __future__ import annotations

from pathlib import Path

from adapters.batch.simulate import simulate
from adapters.store import open_store
from policy_engine.api import load_policy
from tests.integration.test_batch_support import AS_OF, RULES, make_portfolio
from tests.rule_copies import edited_rules
from tests.unit.test_simulate_settings import CAPACITY_WEIGHT, CHARACTER_WEIGHT

BBB_SHORTER = ("limits.yaml", "months_of_purchases: 2.5, share_of_net_worth: 0.15",
               "months_of_purchases: 2, share_of_net_worth: 0.15")  # fmt: skip
WEIGHTS = ["scorecard:factors.capacity.weight", "scorecard:factors.character.weight"]


def _scores_moved(url: str, candidate: Path) -> dict[str, bool]:
    """customer_id → whether its 5C score differs under the two rule sets, through the public API."""
    store = open_store(url)
    live, cand = load_policy(RULES), load_policy(candidate)
    out = {s.customer_id: live.evaluate(s, as_of=AS_OF).score != cand.evaluate(s, as_of=AS_OF).score
           for ids in store.iter_customer_ids(100) for s in store.get_snapshots(ids)}  # fmt: skip
    store.close()
    return out


def test_a_changed_weight_is_named_in_the_why_of_exactly_the_changes_whose_score_moved(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)
    candidate = edited_rules(tmp_path, CHARACTER_WEIGHT, CAPACITY_WEIGHT, BBB_SHORTER)

    result = simulate(url, RULES, candidate, AS_OF)

    moved = _scores_moved(url, candidate)
    named = {c["customer_id"]: c["why"]["changed_settings"] for c in result["changes"]}
    assert {c for c, s in named.items() if s} == {c for c in named if moved[c]} != set()
    assert all(s in ([], WEIGHTS) for s in named.values())
    assert all(any(c["why"].values()) for c in result["changes"])  # every change has a why
    assert {c for c, s in named.items() if not s} != set()  # the limit edit alone moved some: no weight named


def test_a_value_class_moved_by_portfolio_yaml_alone_has_its_segment_exposure_and_the_cut_off_as_why(
    tmp_path: Path,
) -> None:
    url = make_portfolio(tmp_path)
    candidate = edited_rules(tmp_path, ("portfolio.yaml", "a_share: 0.75", "a_share: 0.60"))

    result = simulate(url, RULES, candidate, AS_OF)

    store = open_store(url)
    segment = {s.customer_id: s.segment for ids in store.iter_customer_ids(100) for s in store.get_snapshots(ids)}
    store.close()
    assert result["changes"] and all(set(c) >= {"value_class", "exposure", "available_credit"}
                                     for c in result["changes"])  # fmt: skip
    assert all(c["segment"] == segment[c["customer_id"]] for c in result["changes"])
    assert {tuple(c["why"]["changed_settings"]) for c in result["changes"]} == {("portfolio:value_classes.a_share",)}
    assert sum(r["changed"] for r in result["segments"]) == result["changed"]  # the segments count them too
