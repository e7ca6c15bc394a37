"""The nightly batch says lint's warnings on the rules it runs with (`likely_percent`: a ratio's threshold written as
a percentage), once a run, on stderr as `lint` prints them and in its summary's `policy_warnings`; the run goes on
and ends as it would without them. Past 50 it says the first 50 and counts the rest, on stderr and in the summary
(`policy_warning_count`); `credit-policy lint` lists them all."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.integration.test_batch_support import AS_OF, RULES, cli, make_portfolio, summary_of
from tests.many_rules import likely_percents_file

# A redundant `lt: 50` beside the shipped `lt: 0.5` (every trend under 0.5 is under 50): a likely percentage in a rule
# set that decides as the shipped one does.
ORDER_DROP = ("{order_trend_ratio: {lt: 0.5}}",
              "{all: [{order_trend_ratio: {lt: 0.5}}, {order_trend_ratio: {lt: 50}}]}")


def _warned_rules(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    path = rules / "warnings.yaml"
    text = path.read_text()
    assert ORDER_DROP[0] in text
    path.write_text(text.replace(*ORDER_DROP, 1))
    return rules


def test_the_batch_says_each_warning_once_and_runs_all_the_same(tmp_path: Path) -> None:
    url, rules = make_portfolio(tmp_path), _warned_rules(tmp_path)

    batch = cli("batch", "--db", url, "--as-of", AS_OF.isoformat(), "--rules", str(rules), "--workers", "2",
                "--quiet")  # fmt: skip

    summary = summary_of(batch)
    said = [line for line in batch.stderr.splitlines() if line.startswith("warning: ")]
    assert batch.returncode == 0 and summary["status"] == "complete" and summary["evaluated_now"] == 300
    assert len(said) == 1 and said[0].startswith(f"warning: {rules / 'warnings.yaml'}:")
    assert ": likely_percent: rule warn.order_drop: " in said[0]
    assert summary["policy_warnings"] == [said[0].removeprefix("warning: ")] and summary["policy_warning_count"] == 1


def test_rules_without_warnings_add_nothing_to_the_batchs_output(tmp_path: Path) -> None:
    url = make_portfolio(tmp_path)

    batch = cli("batch", "--db", url, "--as-of", AS_OF.isoformat(), "--quiet")

    assert batch.returncode == 0 and batch.stderr == "" and "policy_warnings" not in summary_of(batch)


def test_the_batch_says_the_first_50_warnings_and_counts_the_rest_on_stderr_and_in_its_summary(tmp_path: Path) -> None:
    url, rules = make_portfolio(tmp_path, customers=20), _warned_rules(tmp_path)
    (rules / "zz_many.yaml").write_text(likely_percents_file(1, 60))  # 60 more: 61 in all

    batch = cli("batch", "--db", url, "--as-of", AS_OF.isoformat(), "--rules", str(rules), "--quiet")
    linted = cli("lint", str(rules))

    said = [line for line in batch.stderr.splitlines() if line.startswith("warning: ")]
    summary = summary_of(batch)
    assert batch.returncode == 0 and len(said) == 51
    assert said[:50] == [f"warning: {w}" for w in summary["policy_warnings"]]
    assert said[50] == f"warning: … and 11 more (`credit-policy lint {rules}` lists them all)"
    assert summary["policy_warning_count"] == 61  # the summary on stdout is bounded as stderr is, counted exactly
    listed = [line.removeprefix("warning: ") for line in linted.stdout.splitlines() + linted.stderr.splitlines()
              if "likely_percent" in line]  # nothing lost: lint lists all 61
    assert len(listed) == 61 and listed[:50] == summary["policy_warnings"]
