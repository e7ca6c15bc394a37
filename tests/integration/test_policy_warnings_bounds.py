"""A served version with thousands of lint warnings: the `policy warnings` line lists the first 50 with the exact
count and says where the rest are; GetPolicy's `warnings` keeps them up to 1 MiB of their text and
`warning_count` counts them all (adapters/grpc/problem_lists.py, shared with a refused reload's problems)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from adapters.grpc.rules_source import summarise_policy
from adapters.grpc.versions import KEPT_PROBLEM_BYTES, ServedWarnings
from policy_engine.api import load_policy
from policy_engine.rules.problems import SAID_PROBLEMS, Problem
from tests.integration.conftest_grpc import copy_rules
from tests.integration.test_reload_failure import logged
from tests.integration.test_reload_refused_bounds import policy_info_after_reload
from tests.many_rules import likely_percents_file

RULES, ITEMS = 50, 100  # 5,000 likely_percent warnings, ~1.3 MB of text: past the 1 MiB GetPolicy keeps


def _text_bytes(problems: Any) -> int:
    return sum(len(f"{p.path}:{p.line}:{p.col}: {p.code}: {p.message}".encode()) for p in problems)


def test_a_version_of_thousands_of_warnings_logs_the_first_50_and_get_policy_keeps_a_mebibyte_and_the_count(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rules = copy_rules(tmp_path / "rules")

    def many_warnings(rules: Path) -> None:
        (rules / "zz_many.yaml").write_text(likely_percents_file(RULES, ITEMS))

    with caplog.at_level(logging.INFO, logger="credit_policy.service"):
        info = policy_info_after_reload(rules, many_warnings, taken=True)  # its summary from the child is bounded too

    [line] = logged(caplog, "policy warnings")
    kept = len(info.warnings)
    assert line["count"] == info.warning_count == RULES * ITEMS and line["version"] == info.version
    assert 3000 < kept < RULES * ITEMS and KEPT_PROBLEM_BYTES - 1000 < _text_bytes(info.warnings) <= KEPT_PROBLEM_BYTES
    assert line["warnings"] == [f"{w.path}:{w.line}:{w.col}: {w.code}: {w.message}"
                                for w in info.warnings[:SAID_PROBLEMS]]
    assert line["more"] == RULES * ITEMS - SAID_PROBLEMS
    assert line["see"] == (f"GetPolicy's warnings has the first {kept} (1 MiB of them); "
                           f"`credit-policy lint {rules}` prints all {RULES * ITEMS}")


def test_the_compile_childs_summary_keeps_the_first_mebibyte_of_warnings_and_counts_them_all(tmp_path: Path) -> None:
    rules = copy_rules(tmp_path / "rules")
    (rules / "zz_many.yaml").write_text(likely_percents_file(RULES, ITEMS))

    summary = summarise_policy(load_policy, rules)
    served = ServedWarnings.of(summary)

    assert summary.warning_count == served.count == RULES * ITEMS
    assert 3000 < len(summary.warnings) == len(served.warnings) < RULES * ITEMS
    assert _text_bytes(summary.warnings) <= KEPT_PROBLEM_BYTES


def test_a_few_warnings_are_logged_all_with_the_count_and_no_more() -> None:
    warnings = [Problem("rules/a.yaml", n, 1, "likely_percent", f"rule r{n}: 50 reads as 50 %") for n in range(1, 4)]

    class Policy:
        pass

    policy = Policy()
    policy.warnings = tuple(warnings)  # type: ignore[attr-defined]
    served = ServedWarnings.of(policy)

    assert served == ServedWarnings(tuple(warnings), 3)
    assert served.log_fields("rules") == {"count": 3, "warnings": [str(w) for w in warnings]}
    assert ServedWarnings.of(object()).log_fields("rules") == {}  # none: no `policy warnings` line


def test_between_50_and_the_mebibyte_the_line_says_get_policy_has_them_all() -> None:
    served = ServedWarnings(tuple(Problem("rules/a.yaml", n, 1, "likely_percent", "m") for n in range(1, 61)), 60)

    fields = served.log_fields("rules")

    assert (len(fields["warnings"]), fields["more"]) == (SAID_PROBLEMS, 10)
    assert fields["see"] == "GetPolicy's warnings has all 60; `credit-policy lint rules` prints all 60"
