"""`simulate` gives each changed setting its own effect: the live rules with that setting alone at its candidate
value, decided by the engine for the same customers, beside the whole candidate's counts on them. Before, a candidate
changing a weight, a feature window and `combine` together had one set of counts and no word on which moved whom.
Real copies of rules/ in tmp dirs; each effect alone is checked against simulating a candidate with that edit only."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from adapters.batch import simulate_alone
from adapters.batch.simulate import simulate
from tests.integration.test_batch_support import AS_OF, RULES, cli, make_portfolio
from tests.rule_copies import edited_rules
from tests.unit.test_simulate_settings import CAPACITY_WEIGHT, CHARACTER_WEIGHT

WINDOW = ("policy.yaml", "signal_window_days: 180", "signal_window_days: 30")
COMBINE = ("warnings.yaml", "max_downgrade: 4", "max_downgrade: 1")
A_SHARE = ("portfolio.yaml", "a_share: 0.75", "a_share: 0.85")
B_SHARE = ("portfolio.yaml", "b_share: 0.20", "b_share: 0.10")
GIVE_UP = ("portfolio.yaml", "give_up_share: 0.05 ", "give_up_share: 0.1 ")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    return make_portfolio(tmp_path_factory.mktemp("alone"))


def _customer_ids(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        ids = list(conn.execute(text("SELECT customer_id FROM customers")).scalars())
    engine.dispose()
    return ids


def _alone(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["setting"]: row["alone"] for row in result["changed_settings"]}


def _whole(result: dict[str, Any]) -> dict[str, int]:
    """A simulation's own counts, named as a setting's effect alone is."""
    return {"score": result["score_changes"], "grade": result["grade_changes"],
            "grade_class": result["grade_class_changes"], "credit_limit": result["limit_changes"]}  # fmt: skip


def test_each_setting_alone_counts_what_a_candidate_with_that_setting_only_would(store: str, tmp_path: Path) -> None:
    candidate = edited_rules(tmp_path, CHARACTER_WEIGHT, CAPACITY_WEIGHT, WINDOW, COMBINE)

    result = simulate(store, RULES, candidate, AS_OF)
    alone = _alone(result)
    singles = {setting: simulate(store, RULES, edited_rules(tmp_path, *edits, name=setting), AS_OF)
               for setting, edits in (("features.signal_window_days", [WINDOW]), ("combine.max_downgrade", [COMBINE]),
                                      ("factors.character.weight", [CHARACTER_WEIGHT, CAPACITY_WEIGHT]))}  # fmt: skip

    assert alone["factors.character.weight"]["with"] == ["factors.capacity.weight"]  # lint: weights add up to 1
    assert alone["factors.capacity.weight"]["customers"] == alone["factors.character.weight"]["customers"]
    for setting, single in singles.items():
        counts = alone[setting]["customers"]
        assert {k: counts[k] for k in _whole(single)} == _whole(single), setting
        assert counts["decisions"] == single["changed"] and counts["order_outcome"] is None, setting
    # a feature window and `combine` now have counts of their own, and they overlap: the sum is not the whole
    assert alone["features.signal_window_days"]["customers"]["grade"] > 0
    assert alone["combine.max_downgrade"]["customers"]["grade"] > 0
    sample = result["settings_alone"]
    assert sample["customers"] == sample["of"] == result["customers"] == 300 and sample["sample"] == "every customer"
    assert {k: sample["candidate"][k] for k in _whole(result)} == _whole(result)
    assert sample["candidate"]["decisions"] == result["changed"]
    assert sum(alone[s]["customers"]["grade"] for s in singles) != result["grade_changes"]


def test_the_screen_and_json_say_each_setting_alone_and_for_whom(store: str, tmp_path: Path) -> None:
    candidate = edited_rules(tmp_path, WINDOW, COMBINE, GIVE_UP)

    run = cli("simulate", "--rules", str(candidate), "--db", store, "--as-of", AS_OF.isoformat(), "--limit", "0")
    as_json = json.loads(cli("simulate", "--rules", str(candidate), "--db", store, "--as-of", AS_OF.isoformat(),
                             "--json").stdout)  # fmt: skip

    assert run.returncode == 0, run.stderr
    screen = " ".join(run.stdout.split())  # rich wraps long lines at 200 columns
    window = _alone(as_json)["features.signal_window_days"]["customers"]
    assert (f"the changed setting policy features.signal_window_days: 180 → 30 (the customer facts the rules read); "
            f"alone on the live rules: {window['grade']} grades") in screen
    assert f"move; {window['decisions']} decisions change" in screen
    not_compared = {"with": [], "customers": None, "not_measured": simulate_alone.NOT_COMPARED}
    assert _alone(as_json)["give_up_share"] == not_compared
    assert ("each setting alone was applied to the live rules and evaluated for all 300 customers, value classes over "
            "the whole book; with the whole candidate, on the same customers:") in screen
    assert "so the effects alone need not add up to the candidate's" in screen


def test_a_setting_lint_refuses_alone_says_so_and_its_value_class_partner_too(store: str, tmp_path: Path) -> None:
    candidate = edited_rules(tmp_path, A_SHARE, B_SHARE)  # 0.85 + 0.10 is fine; 0.85 + 0.20 alone is not

    result = simulate(store, RULES, candidate, AS_OF)

    a_share, b_share = (_alone(result)[f"value_classes.{k}"] for k in ("a_share", "b_share"))
    assert a_share["customers"] is None
    assert a_share["not_measured"].startswith("the live rules with it alone do not load (portfolio.yaml: ")
    assert "a_share + b_share must stay below 1" in a_share["not_measured"]
    assert b_share["not_measured"] is None and b_share["customers"]["value_class"] > 0  # B narrows: some B become C
    assert b_share["customers"]["decisions"] == 0  # decisions take the class the store holds, as simulate's do


def test_more_settings_than_the_bound_are_not_measured_alone_and_say_why(store: str, tmp_path: Path) -> None:
    edits = [WINDOW, COMBINE, CHARACTER_WEIGHT, CAPACITY_WEIGHT, ("policy.yaml", "due_change_window_days: 90",
             "due_change_window_days: 60"), ("portfolio.yaml", "a_share: 0.75", "a_share: 0.7")]  # fmt: skip
    candidate = edited_rules(tmp_path, *edits)  # five units: two windows, combine, the weights, a cut-off

    result = simulate(store, RULES, candidate, AS_OF)

    assert result["settings_alone"] is None
    reasons = {row["alone"]["not_measured"] for row in result["changed_settings"]}
    assert reasons == {"the candidate changes 5 settings that decide per customer; each is measured alone when at "
                       "most 4 are (each costs another evaluation of up to 2,000 customers): compare them in smaller "
                       "candidates"}


@pytest.mark.parametrize("workers", [1, 2])
def test_a_book_past_the_sample_is_measured_on_a_fixed_sample_said_with_its_size(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    monkeypatch.setattr(simulate_alone, "SAMPLE", 100)  # 300 customers: 1 in 3
    candidate = edited_rules(tmp_path, COMBINE)

    result = simulate(store, RULES, candidate, AS_OF, workers=workers)

    expected = sum(1 for customer_id in _customer_ids(store) if zlib.crc32(customer_id.encode()) % 3 == 0)
    sample = result["settings_alone"]
    assert (sample["customers"], sample["of"]) == (expected, 300) and 70 < expected < 130
    assert sample["sample"] == "1 in 3, by the CRC-32 of the customer id"
    counts = _alone(result)["combine.max_downgrade"]["customers"]
    assert counts["grade"] == sample["candidate"]["grade"] < result["grade_changes"]  # the one change: the same
