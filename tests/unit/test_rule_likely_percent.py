"""A ratio's threshold written as a percentage (`{order_trend_ratio: {gt: 150}}` for 1.5) is a `likely_percent`
warning at it: `credit-policy lint` says it and passes, `lint --strict` fails; the rule set still loads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policy_engine.cli import build_app
from policy_engine.rules.compiler import compile_policy, lint
from policy_engine.rules.loader import read_rule_files

RulesCopy = Callable[..., Path]
ORDER_DROP = "{order_trend_ratio: {lt: 0.5}}"


def _warnings(rules: Path) -> list[tuple[str, int, int, str, str]]:
    """Each warning of the loaded rule set as (file name, line, column, code, message)."""
    policy = compile_policy(read_rule_files(rules), str(rules))
    try:
        return [(Path(w.path).name, w.line, w.col, w.code, w.message) for w in policy.warnings]
    finally:
        policy.close()


def _at(path: Path, text: str) -> tuple[int, int]:
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if text in t)
    return line, path.read_text().splitlines()[line - 1].index(text) + 1


@pytest.mark.parametrize(("new", "at", "said"), [
    ("{order_trend_ratio: {gt: 150}}", "gt: 150",
     '"order_trend_ratio" is a ratio (1.5 is 150%; real values lie from 0 to 10), so gt 150 is 150 times; '
     "if 150% was meant, write 1.5"),
    ("{order_trend_ratio: {lt: 50}}", "lt: 50", "if 50% was meant, write 0.5"),
    ("{order_trend_ratio: {gte: 10.5}}", "gte: 10.5", "if 10.5% was meant, write 0.105"),
    ("{order_spike_ratio: {gte: 300}}", "gte: 300", "if 300% was meant, write 3"),
    ("{current_ratio: {lt: 120}}", "lt: 120", "if 120% was meant, write 1.2"),
    ("{quick_ratio: {between: [0.5, 80]}}", "80]", "if 80% was meant, write [0.5, 0.8]"),
    ("{order_trend_ratio: {in: [1, 200]}}", "200]", "so in item 200 is 200 times; if 200% was meant, write 2"),
    # A signed fraction under 5 either way: a net margin of 300 % cannot be (profit is at most all of revenue).
    ("{net_margin: {gt: 3}}", "gt: 3",
     '"net_margin" is a fraction (1 is 100%; real values lie from -5 to 1), so gt 3 is 300%; if 3% was meant, '
     "write 0.03"),
])
def test_a_ratio_threshold_that_reads_as_a_percentage_is_a_warning_at_it(
    rules_copy: RulesCopy, new: str, at: str, said: str
) -> None:
    rules = rules_copy(("warnings.yaml", ORDER_DROP, new))

    found = _warnings(rules)

    [(name, line, col, code, message)] = found
    assert (name, line, col, code) == ("warnings.yaml", *_at(rules / "warnings.yaml", new[new.index(at):]),
                                       "likely_percent")
    assert message.startswith("rule warn.order_drop: ") and said in message
    assert lint(read_rule_files(rules), str(rules)) == []  # a warning, not a problem: the rules still load


@pytest.mark.parametrize("new", [
    "{order_trend_ratio: {lt: 0.5}}",  # the shipped sign
    "{order_trend_ratio: {gt: 10}}",  # the top of the realistic range: ten times the usual orders may be meant
    "{order_trend_ratio: {gt: 1001}}",  # 10.01 is past it too: no percentage of a realistic trend
    "{order_spike_ratio: {gte: 12}}",
    "{current_ratio: {lt: 2}}",
    "{net_margin: {lt: -3}}",  # a loss three times revenue is a realistic margin
    "{net_margin: {lt: 1}}",
    "{purchase_interval_ratio: {gte: 30}}",  # no realistic range in the catalogue: nothing is guessed
    "{dbt_open_max: {gte: 90}}",
])
def test_a_threshold_in_or_far_past_the_realistic_range_is_no_warning(rules_copy: RulesCopy, new: str) -> None:
    rules = rules_copy(("warnings.yaml", ORDER_DROP, new))

    assert _warnings(rules) == []


def test_lint_prints_the_warning_and_passes_and_strict_fails_on_it(rules_copy: RulesCopy) -> None:
    rules = rules_copy(("warnings.yaml", ORDER_DROP, "{order_trend_ratio: {gt: 150}}"))
    line, col = _at(rules / "warnings.yaml", "gt: 150")

    plain = CliRunner().invoke(build_app(), ["lint", str(rules)])
    strict = CliRunner().invoke(build_app(), ["lint", "--strict", str(rules)])

    assert plain.exit_code == 0 and strict.exit_code == 1
    assert f"warning: {rules}/warnings.yaml:{line}:{col}: likely_percent: rule warn.order_drop: " in plain.stderr
    assert plain.stdout.rstrip().endswith("1 warning (above)")
    assert strict.stdout.rstrip().endswith("1 warning (above; --strict fails on warnings)")


def test_the_shipped_rules_have_no_warning() -> None:
    result = CliRunner().invoke(build_app(), ["lint", "--strict"])

    assert result.exit_code == 0 and "warning" not in result.output
