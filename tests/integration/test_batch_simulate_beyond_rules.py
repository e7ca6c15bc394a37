"""`simulate` names every change a candidate makes, not only rule changes: a row moved up a first-hit table is a
`moved` rule with the customers it decided for under each policy (the engine's counts), and a setting outside the
rules (a scorecard weight, the give-up share) is a `changed_settings` row with what it decides and how many customers
that moves for; both said on screen. Before, a candidate changing only a weight or only the order listed nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.batch.simulate import simulate
from adapters.batch.simulate_alone import NOT_COMPARED
from tests.integration.test_batch_support import AS_OF, RULES, cli, make_portfolio
from tests.rule_copies import edited_rules, moved
from tests.unit.test_simulate_settings import CAPACITY_WEIGHT, CHARACTER_WEIGHT

MOSTLY_FIRST = moved("scorecard.yaml", "      - id: score.character.mostly_prompt",
                     "      - id: score.character.prompt")
"""`mostly on time` (80 points) above `pays on time` (95): a prompt payer now scores as a mostly prompt one."""
GIVE_UP = ("portfolio.yaml", "give_up_share: 0.05 ", "give_up_share: 0.1 ")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    return make_portfolio(tmp_path_factory.mktemp("beyond"))


def _screen(store: str, candidate: Path, *more: str) -> str:
    run = cli("simulate", "--rules", str(candidate), "--db", store, "--as-of", AS_OF.isoformat(), *more)
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_a_row_moved_up_a_first_hit_table_is_named_with_the_customers_it_decides_for(
    store: str, tmp_path: Path
) -> None:
    candidate = edited_rules(tmp_path, MOSTLY_FIRST)

    result = simulate(store, RULES, candidate, AS_OF)
    screen = _screen(store, candidate)

    fired = {r["rule_id"]: r for r in result["rules"]}
    [row] = result["changed_rules"]
    assert row["status"] == "moved" and row["rule_id"] == "score.character.mostly_prompt"
    assert row["moved"] == {"table": ["scorecard.character", "scorecard.character"], "row": [2, 1],
                            "now_before": ["score.character.prompt"], "now_after": []}  # fmt: skip
    prompt = fired["score.character.prompt"]  # it decided for some live, and for none once shadowed
    assert prompt["live"] > 0 and prompt["candidate"] == 0 and result["score_changes"] == prompt["live"]
    assert (row["live"], row["candidate"]) == (fired[row["rule_id"]]["live"], fired[row["rule_id"]]["candidate"])
    assert row["candidate"] - row["live"] == prompt["live"] and result["changed"] > 0
    assert (f"the moved rule score.character.mostly_prompt (scorecard.character row 2 → 1, now before "
            f"score.character.prompt) fired for {row['live']} customers live and {row['candidate']} with the "
            "candidate") in screen


def test_a_weight_changed_alone_is_named_with_the_scores_it_moves(store: str, tmp_path: Path) -> None:
    candidate = edited_rules(tmp_path, CHARACTER_WEIGHT, CAPACITY_WEIGHT)

    result = simulate(store, RULES, candidate, AS_OF)
    screen = _screen(store, candidate)
    as_json = json.loads(_screen(store, candidate, "--json"))

    assert result["changed_rules"] == [] and 0 < result["score_changes"] <= result["customers"]
    assert [(s["setting"], s["live"], s["candidate"]) for s in result["changed_settings"]] == [
        ("factors.capacity.weight", 0.2, 0.25), ("factors.character.weight", 0.35, 0.3)]
    assert as_json["changed_settings"] == result["changed_settings"]
    assert as_json["score_changes"] == result["score_changes"]
    assert (f"the changed setting scorecard factors.character.weight: 0.35 → 0.3 (the 5C score, which moves for "
            f"{result['score_changes']} customers with the candidate)") in screen


def test_a_setting_simulate_does_not_compare_says_so_and_changes_no_customer(store: str, tmp_path: Path) -> None:
    candidate = edited_rules(tmp_path, GIVE_UP)

    result = simulate(store, RULES, candidate, AS_OF)
    screen = _screen(store, candidate)

    assert result["changed"] == 0 and result["score_changes"] == 0 and result["changed_rules"] == []
    assert result["changed_settings"] == [{"kind": "portfolio", "setting": "give_up_share", "live": 0.05,
                                           "candidate": 0.1, "affects": "batch_report",
                                           "alone": {"with": [], "customers": None,
                                                     "not_measured": NOT_COMPARED}}]  # fmt: skip
    assert result["settings_alone"] is None  # nothing was evaluated alone, so no sample is said
    assert ("the changed setting portfolio give_up_share: 0.05 → 0.1 (the nightly report's key-customer rankings "
            "and give-up review, which simulate does not compare)") in screen
