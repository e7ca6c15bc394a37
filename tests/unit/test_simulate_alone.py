"""The live rule files with one changed setting at its candidate value (simulate_alone.alone_files): loaded as any
rule set is, they differ from the live ones in that setting only, in every file of its kind, with a setting left at
its default (not written) written in. Real copies of rules/ in tmp dirs."""

from __future__ import annotations

from pathlib import Path

from adapters.batch.simulate_alone import alone_files, plan_alone, sample_stride, sampled
from adapters.batch.simulate_settings import changed_settings
from policy_engine.api import load_policy, load_policy_from_files
from tests.rule_copies import edited_rules

COMBINE_BLOCK = ("warnings.yaml", """combine:
  downgrade: sum          # notches of several signs add up ...
  max_downgrade: 4        # ... to at most four notches (tunable default)
  cap_grade: worst        # the lowest cap wins
  limit_factor: min       # the deepest cut wins
""", "")


def test_one_setting_is_changed_and_nothing_else_with_its_comment_kept(tmp_path: Path) -> None:
    live = load_policy(edited_rules(tmp_path, name="live"))

    files = alone_files(live.files, "warning_signs", [("combine.max_downgrade", 2)])
    alone = load_policy_from_files(files)

    assert [(r["setting"], r["live"], r["candidate"]) for r in changed_settings(live, alone)] == [
        ("combine.max_downgrade", 4, 2)]
    assert [path for path in files if files[path] != live.files[path]] == ["warnings.yaml"]
    assert "# the deepest cut wins" in files["warnings.yaml"]
    live.close()
    alone.close()


def test_a_setting_left_at_its_default_is_written_in(tmp_path: Path) -> None:
    live = load_policy(edited_rules(tmp_path, COMBINE_BLOCK, name="live"))  # every combine setting at its default

    alone = load_policy_from_files(alone_files(live.files, "warning_signs", [("combine.limit_factor", "product")]))

    assert [(r["setting"], r["live"], r["candidate"]) for r in changed_settings(live, alone)] == [
        ("combine.limit_factor", "min", "product")]
    live.close()
    alone.close()


def test_every_file_of_the_kind_gets_it_so_lint_takes_the_rule_set(tmp_path: Path) -> None:
    rules = edited_rules(tmp_path, name="live")
    text = (rules / "warnings.yaml").read_text(encoding="utf-8")
    head = text[: text.index("rules:")]
    (rules / "more_warnings.yaml").write_text(head + "rules: []\n", encoding="utf-8")  # the same combine
    live = load_policy(rules)
    cand = load_policy(edited_rules(tmp_path, ("warnings.yaml", "max_downgrade: 4", "max_downgrade: 2"),
                                    ("warnings.yaml", "limit_factor: min ", "limit_factor: product "),
                                    name="candidate"))  # fmt: skip

    [unit, other] = plan_alone(live, changed_settings(live, cand), probe=False)

    assert unit.why_not == "" and unit.policy is not None
    assert unit.policy.combine != live.combine and other.policy.combine != live.combine
    for policy in (live, cand, unit.policy, other.policy):
        policy.close()


def test_the_sample_is_every_customer_up_to_its_size_and_a_fixed_one_past_it() -> None:
    ids = [f"C{i:07d}" for i in range(10_000)]

    stride = sample_stride(len(ids))
    chosen = [c for c in ids if sampled(c, stride)]

    assert sample_stride(2_000) == 1 and all(sampled(c, 1) for c in ids[:2_000])
    assert stride == 5 and 1_800 < len(chosen) < 2_200
    assert chosen == [c for c in reversed(ids) if sampled(c, stride)][::-1]  # not by position: by the id
