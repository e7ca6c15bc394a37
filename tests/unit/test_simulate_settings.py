"""The settings a candidate changes outside its rules, each named by kind and path with both values and what it
decides: a scorecard weight, a feature window, a grade's class, how warning signs combine, the order checks' default,
the portfolio's give-up share. Titles, sources and the pack's name decide nothing and are not settings; rule rows are
compared as rules. Real copies of rules/ in tmp dirs, loaded as simulate loads them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.batch.simulate_rules import changed_rules
from adapters.batch.simulate_settings import changed_settings
from policy_engine.api import load_policy
from tests.rule_copies import RULES, edited_rules

CHARACTER_WEIGHT = ("scorecard.yaml", "    weight: 0.35                 # tunable default",
                    "    weight: 0.3                  # tunable default")
CAPACITY_WEIGHT = ("scorecard.yaml", "    weight: 0.2\n    default_points: 45           # no statement",
                   "    weight: 0.25\n    default_points: 45           # no statement")


@pytest.fixture(scope="module")
def live() -> Iterator[Any]:
    policy = load_policy(RULES)
    yield policy
    policy.close()


def test_a_weight_changed_alone_is_a_setting_and_no_rule(live: Any, tmp_path: Path) -> None:
    cand = load_policy(edited_rules(tmp_path, CHARACTER_WEIGHT, CAPACITY_WEIGHT))

    assert changed_rules(live, cand) == []
    assert changed_settings(live, cand) == [
        {"kind": "scorecard", "setting": "factors.capacity.weight", "live": 0.2, "candidate": 0.25, "affects": "score"},
        {"kind": "scorecard", "setting": "factors.character.weight", "live": 0.35, "candidate": 0.3,
         "affects": "score"}]  # fmt: skip


@pytest.mark.parametrize(("edit", "row"), [
    (("policy.yaml", "signal_window_days: 180", "signal_window_days: 90"),
     ("policy", "features.signal_window_days", 180, 90, "features")),
    (("grades.yaml", "  A: [AAA, AA, A]     #", "  A: [AAA, AA]     #"),
     ("grade_bands", "classes.A", ["AAA", "AA", "A"], ["AAA", "AA"], "grade_class")),
    (("warnings.yaml", "max_downgrade: 4", "max_downgrade: 3"),
     ("warning_signs", "combine.max_downgrade", 4, 3, "warning_signs")),
    (("orders.yaml", "default: APPROVE", "default: HOLD"), ("order_checks", "default", "APPROVE", "HOLD",
                                                            "order_outcome")),
    (("portfolio.yaml", "give_up_share: 0.05 ", "give_up_share: 0.1 "),
     ("portfolio", "give_up_share", 0.05, 0.1, "batch_report")),
    (("portfolio.yaml", "a_share: 0.75", "a_share: 0.7"), ("portfolio", "value_classes.a_share", 0.75, 0.7,
                                                           "value_class")),
])  # fmt: skip
def test_each_kind_of_setting_is_named_with_what_it_decides(live: Any, tmp_path: Path, edit: Any, row: Any) -> None:
    if edit[0] == "grades.yaml":  # grade A moves to class B: the class it leaves keeps a grade
        edit = (edit[0], edit[1], edit[2]), ("grades.yaml", "  B: [BBB, BB, B]", "  B: [A, BBB, BB, B]")
    else:
        edit = (edit,)
    cand = load_policy(edited_rules(tmp_path, *edit))

    rows = changed_settings(live, cand)

    kind, setting, before, after, affects = row
    assert {"kind": kind, "setting": setting, "live": before, "candidate": after, "affects": affects} in rows
    assert len(rows) == (2 if kind == "grade_bands" else 1)


def test_titles_sources_and_the_packs_name_are_no_settings(live: Any, tmp_path: Path) -> None:
    cand = load_policy(edited_rules(
        tmp_path, ("policy.yaml", "name: handbook-default", "name: handbook-trial"),
        ("scorecard.yaml", "title: {zh: 5C评估法, en: 5C scorecard}", "title: {zh: 5C评估法, en: The 5C scorecard}"),
        ("portfolio.yaml", 'source: "000 A类', 'source: "(000) A类')))

    assert cand.version != live.version
    assert changed_settings(live, cand) == []


def test_the_live_rules_against_themselves_change_no_setting(live: Any) -> None:
    assert changed_settings(live, live) == []
